"""Enforce the organization MFA rule on every page, not only right after sign-in."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse

from workforce.mfa import mfa_setup_required

#: Paths that stay reachable while TOTP is not set up: the MFA pages and sign-out themselves,
#: static files, and the machine APIs (API keys and tokens are not sessions).
_OPEN_PREFIXES = ("/accounts/", "/static/", "/api/", "/task-frame/", "/task-media/", "/human-loops")


class MfaRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Path and header tests first: the task frame and media views must never touch the
        # session (reading request.user would, and would add "Vary: Cookie").
        if (
            request.path.startswith(_OPEN_PREFIXES)
            or "HTTP_X_AMZ_TARGET" in request.META
            or "HTTP_AUTHORIZATION" in request.META
        ):
            return self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and mfa_setup_required(user):
            target = reverse("mfa_activate_totp")
            if request.headers.get("accept", "").startswith("application/json"):
                body = {"detail": "Set up two-factor authentication first.", "location": target}
                return JsonResponse(body, status=403)
            return HttpResponseRedirect(target)
        return self.get_response(request)
