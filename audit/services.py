"""``audit_record``: the one-line call the services make after each write.

The actor comes from the request being served (``AuditActorMiddleware`` keeps it in a context
variable): the signed-in user, the API key of an ``Api-Key`` or SigV4 request (already verified
by then: services run after authentication), or ``system`` outside requests.
"""

from __future__ import annotations

import contextvars
import re
from typing import Any

from django.http import HttpRequest

from audit.models import AuditEntry
from workforce.models import Organization

_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar("loupe_audit_request", default=None)
_SIGV4_KEY = re.compile(r"Credential=([A-Za-z0-9]+)/")


def current_actor() -> str:
    request = _request.get()
    if request is None:
        return "system"
    user = getattr(request, "user", None)
    api_key = getattr(user, "api_key", None)
    if api_key is not None:
        return f"api-key:{api_key.access_key_id}"
    if user is not None and getattr(user, "is_authenticated", False) and getattr(user, "pk", None):
        return f"user:{getattr(user, 'email', '') or user.pk}"
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header.startswith("Api-Key "):
        return f"api-key:{header[8:].partition(':')[0].strip()}"
    match = _SIGV4_KEY.search(header)
    if match:
        return f"api-key:{match.group(1)}"
    return "anonymous"


def audit_record(
    *, organization: Organization, action: str, resource: str, details: dict[str, Any] | None = None
) -> AuditEntry:
    """Add one entry (call it inside the write's transaction)."""
    return AuditEntry.objects.create(
        organization=organization,
        actor=current_actor()[:300],
        action=action,
        resource=str(resource)[:2048],
        details=details or {},
    )


class AuditActorMiddleware:
    """Keeps the request being served where ``audit_record`` finds its actor."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)
