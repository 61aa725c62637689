"""The sandboxed task frame: what a worker (or an engineer previewing) sees of a task template.

The portal embeds ``frame_url_for_task(task, worker)`` as
``<iframe sandbox="allow-scripts allow-forms" src=...>``: without ``allow-same-origin`` the frame
has an opaque origin, so the template's scripts cannot read the portal page, the worker's cookies
or storage. The frame document carries a strict Content-Security-Policy (no network access but
our own static files, granted media and the presigned S3 origin), and never reads or sets a
cookie: who may see it is decided by the signed token in its URL alone, checked again against the
database on every load (the worker must still hold the task).

The answer leaves the frame only by ``postMessage`` (``static/crowd/frame-bridge.js``), tagged with
the frame token, which the portal checks (``static/portal/task-frame-host.js``).
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.html import escape

from flows.errors import InvalidInput, NotFound
from flows.models import Task, TaskStatus
from reviews.media import media_signer_for_task, media_signer_for_user
from reviews.models import PreviewRender
from reviews.rendering import RenderError, RenderResult, template_check, template_render
from workforce.models import Membership, Organization, Role, User

__all__ = [
    "FrameDenied",
    "FrameDocument",
    "frame_document",
    "frame_token_for_task",
    "frame_url_for_task",
    "preview_create",
    "preview_organization_for",
]

_SALT = "loupe.reviews.taskframe"
_FRAME_PREFIX = "/task-frame/"
#: Largest preview input (RenderUiTemplate's Task.Input limit, spec/a2i.md §15).
MAX_PREVIEW_INPUT_CHARS = 128_000
_PREVIEW_RETENTION = timedelta(days=1)


def frame_token_ttl_seconds() -> int:
    """How long a frame URL may be (re)loaded. Access is re-checked on every load anyway."""
    return int(getattr(settings, "LOUPE_FRAME_TOKEN_TTL_SECONDS", 3600))


# --- Tokens ---------------------------------------------------------------------------------


def frame_token_for_task(task: Task, worker: User) -> str:
    """The signed token naming ``task`` as held by ``worker``."""
    return signing.dumps({"k": "task", "t": task.pk, "w": worker.pk}, salt=_SALT)


def frame_url_for_task(task: Task, worker: User) -> str:
    """The URL to embed in the portal (root-relative): ``/task-frame/<token>/``."""
    return f"{_FRAME_PREFIX}{frame_token_for_task(task, worker)}/"


def _frame_token_for_preview(preview: PreviewRender) -> str:
    return signing.dumps({"k": "preview", "p": str(preview.pk)}, salt=_SALT)


def frame_url_for_preview(preview: PreviewRender) -> str:
    return f"{_FRAME_PREFIX}{_frame_token_for_preview(preview)}/"


# --- The frame document ---------------------------------------------------------------------


class FrameDenied(Exception):
    def __init__(self, message: str, *, status: int = 403) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class FrameDocument:
    html: str
    media_origins: tuple[str, ...]
    errors: list[RenderError]


def frame_document(token: str) -> FrameDocument:
    """Render the document a frame token names. Raises ``FrameDenied`` for a bad or expired
    token, or when its holder no longer holds the task."""
    try:
        payload = signing.loads(token, salt=_SALT, max_age=frame_token_ttl_seconds())
    except signing.SignatureExpired as exc:
        raise FrameDenied("This task link has expired; reload the page.", status=410) from exc
    except signing.BadSignature as exc:
        raise FrameDenied("This task link is not valid.") from exc
    if not isinstance(payload, dict):
        raise FrameDenied("This task link is not valid.")
    kind = payload.get("k")
    if kind == "task":
        return _task_document(token, payload)
    if kind == "preview":
        return _preview_document(token, payload)
    raise FrameDenied("This task link is not valid.")


def _task_document(token: str, payload: dict[str, Any]) -> FrameDocument:
    try:
        task_id, worker_id = int(payload["t"]), int(payload["w"])
    except (KeyError, TypeError, ValueError) as exc:
        raise FrameDenied("This task link is not valid.") from exc
    task = (
        Task.objects.select_related("loop__organization", "loop__flow_definition__human_task_ui")
        .filter(
            pk=task_id,
            worker_id=worker_id,
            status=TaskStatus.LEASED,
            lease_expires_at__gt=timezone.now(),
        )
        .first()
    )
    if task is None:
        raise FrameDenied("This task is no longer assigned to you.")
    worker = User(pk=worker_id)
    try:
        task_input = json.loads(task.loop.input_content)
    except ValueError:
        task_input = {}
    result = template_render(
        content=task.loop.flow_definition.human_task_ui.template,
        task_input=task_input,
        media=media_signer_for_task(task=task, worker=worker),
    )
    return _document(token, result)


def _preview_document(token: str, payload: dict[str, Any]) -> FrameDocument:
    try:
        preview_id = uuid.UUID(str(payload.get("p")))
    except ValueError as exc:
        raise FrameDenied("This preview link is not valid.") from exc
    preview = PreviewRender.objects.select_related("organization", "user").filter(pk=preview_id).first()
    if preview is None:
        raise FrameDenied("This preview has expired; render it again.", status=410)
    task_input = json.loads(preview.input_content)
    result = template_render(
        content=preview.template,
        task_input=task_input,
        media=media_signer_for_user(organization=preview.organization, user=preview.user),
    )
    return _document(token, result)


_HTML_OPEN = re.compile(r"<html\b[^>]*>", re.IGNORECASE)
_HEAD_OPEN = re.compile(r"<head\b[^>]*>", re.IGNORECASE)


def _head(token: str) -> str:
    return (
        '<meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="loupe-frame-token" content="{escape(token)}">'
        f'<script src="{escape(settings.STATIC_URL)}crowd/frame-bridge.js"></script>'
    )


def _document(token: str, result: RenderResult) -> FrameDocument:
    if result.errors:
        items = "".join(f"<li><code>{escape(e.code)}</code> {escape(e.message)}</li>" for e in result.errors)
        html = (
            f"<!DOCTYPE html><html><head>{_head(token)}<title>Template error</title></head>"
            f'<body><div role="alert" id="loupe-render-errors"><p>This task template could not be rendered:</p>'
            f"<ul>{items}</ul></div></body></html>"
        )
        return FrameDocument(html=html, media_origins=(), errors=result.errors)
    body = result.html
    # A template may be a whole document (the 2025 v2 style has <head>); put our head first in it.
    head_match = _HEAD_OPEN.search(body)
    if head_match:
        html = body[: head_match.end()] + _head(token) + body[head_match.end() :]
        if not body.lstrip()[:9].lower().startswith("<!doctype"):
            html = "<!DOCTYPE html>" + html
    elif _HTML_OPEN.search(body):
        m = _HTML_OPEN.search(body)
        assert m is not None
        html = "<!DOCTYPE html>" + body[: m.end()] + f"<head>{_head(token)}</head>" + body[m.end() :]
    else:
        html = f"<!DOCTYPE html><html><head>{_head(token)}<title>Task</title></head><body>{body}</body></html>"
    return FrameDocument(html=html, media_origins=result.media_origins, errors=[])


def content_security_policy(*, self_origin: str, media_origins: tuple[str, ...]) -> str:
    """The frame's CSP. ``'self'`` and the server's explicit origin are both listed: in a sandboxed
    (opaque-origin) document, browsers differ on what ``'self'`` matches."""
    sources = " ".join(["'self'", self_origin, *media_origins]).strip()
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src {sources} 'unsafe-inline'",
            f"style-src {sources} 'unsafe-inline'",
            f"img-src {sources} data: blob:",
            f"media-src {sources} data: blob:",
            f"font-src {sources} data:",
            "connect-src 'none'",
            # Documents granted by grant_read_access (a PDF or page in an <iframe>) and nothing
            # else of ours: a path-restricted source keeps the portal's own pages out.
            f"frame-src {' '.join([self_origin + '/task-media/', *media_origins])}",
            "child-src 'none'",
            "worker-src 'none'",
            "object-src 'none'",
            "manifest-src 'none'",
            "form-action 'none'",
            "frame-ancestors 'self'",
            "base-uri 'none'",
        ]
    )


# --- Preview --------------------------------------------------------------------------------

_PREVIEW_ROLES = (Role.ADMIN, Role.ENGINEER)


def preview_organization_for(user: User, account_id: str = "") -> Organization | None:
    """The organization (the one with ``account_id``, or else the first) whose engineer or admin
    ``user`` is, or None (workers, team leads, strangers to that organization)."""
    if not user.is_authenticated or not user.is_active:
        return None
    memberships = Membership.objects.select_related("organization").filter(user=user, role__in=_PREVIEW_ROLES)
    if account_id:
        memberships = memberships.filter(organization__account_id=account_id)
    membership = memberships.order_by("id").first()
    return membership.organization if membership else None


@dataclass(frozen=True)
class PreviewCreated:
    frame_url: str
    frame_token: str


def preview_create(*, user: User, template: str, input_text: str, account_id: str = "") -> PreviewCreated:
    """Check an engineer's template and JSON input and store them for the preview frame.

    Raises ``InvalidInput`` (message safe to show) for an empty or oversized template, template
    errors, or input that is not JSON; ``NotFound`` if ``user`` is no engineer or admin.
    """
    organization = preview_organization_for(user, account_id)
    if organization is None:
        raise NotFound("Only engineers and admins of an organization can preview task templates.")
    errors = template_check(template)
    if errors:
        raise InvalidInput(_errors_text(errors), field="template")
    if len(input_text) > MAX_PREVIEW_INPUT_CHARS:
        raise InvalidInput(
            f"The input has {len(input_text):,} characters; the limit is {MAX_PREVIEW_INPUT_CHARS:,}.", field="input"
        )
    try:
        parsed = json.loads(input_text or "{}")
    except ValueError as exc:
        raise InvalidInput(f"The input is not valid JSON: {exc}.", field="input") from exc
    if not isinstance(parsed, dict):
        raise InvalidInput("The input must be a JSON object (it becomes task.input).", field="input")
    # Render once now so that render-time problems (runaway loops, huge output) show on the page
    # instead of inside the frame.
    rendered = template_render(
        content=template, task_input=parsed, media=media_signer_for_user(organization=organization, user=user)
    )
    if rendered.errors:
        raise InvalidInput(_errors_text(rendered.errors), field="template")
    with transaction.atomic():
        PreviewRender.objects.filter(created_at__lt=timezone.now() - _PREVIEW_RETENTION).delete()
        preview = PreviewRender.objects.create(
            organization=organization, user=user, template=template, input_content=json.dumps(parsed)
        )
    token = _frame_token_for_preview(preview)
    return PreviewCreated(frame_url=f"{_FRAME_PREFIX}{token}/", frame_token=token)


def _errors_text(errors: list[RenderError]) -> str:
    return "\n".join(f"{e.code}: {e.message}" for e in errors)
