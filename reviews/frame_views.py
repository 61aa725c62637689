"""Views of the task frame, its media, and the engineer's template preview page.

The frame and media views never read the session or set a cookie: the signed token in the URL
is the whole authority, and it is re-checked against the database on every request.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.html import escape
from django.views.decorators.clickjacking import xframe_options_exempt, xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from flows.errors import InvalidInput, NotFound
from reviews import prebuilt
from reviews.media import MediaDenied, guess_content_type, media_read
from reviews.taskframe import (
    FrameDenied,
    content_security_policy,
    frame_document,
    preview_create,
    preview_organization_for,
)
from workforce.models import Membership, Role

_FRAME_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}


def _origin(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


def _denied_document(message: str) -> str:
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Unavailable</title></head>'
        f'<body><p role="alert">{escape(message)}</p></body></html>'
    )


@require_GET
@xframe_options_sameorigin
def task_frame(request: HttpRequest, token: str) -> HttpResponse:
    """The rendered template as a whole HTML document, for a sandboxed iframe."""
    try:
        document = frame_document(token)
        response = HttpResponse(document.html, content_type="text/html; charset=utf-8")
        media_origins = document.media_origins
    except FrameDenied as exc:
        response = HttpResponse(
            _denied_document(exc.message), status=exc.status, content_type="text/html; charset=utf-8"
        )
        media_origins = ()
    for name, value in _FRAME_HEADERS.items():
        response[name] = value
    response["Content-Security-Policy"] = content_security_policy(
        self_origin=_origin(request), media_origins=media_origins
    )
    return response


@require_GET
@xframe_options_exempt  # a granted document may be shown in an <iframe> of the (opaque-origin) task frame
def task_media(request: HttpRequest, token: str, name: str) -> HttpResponseBase:
    """A local object granted by ``grant_read_access``."""
    del name  # only there so that the URL ends with the object's file name
    try:
        path = media_read(token)
    except MediaDenied as exc:
        response: HttpResponseBase = HttpResponse(
            exc.message, status=exc.status, content_type="text/plain; charset=utf-8"
        )
    else:
        response = FileResponse(path.open("rb"), content_type=guess_content_type(path))
        response["Cache-Control"] = "private, max-age=300"
        # An SVG or HTML object opened directly must not run scripts on our origin.
        response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"
    # The frame has an opaque origin: images read back into a canvas need CORS.
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


# --- Preview page ---------------------------------------------------------------------------


@login_required
@require_GET
def preview_page(request: HttpRequest) -> HttpResponse:
    organization = preview_organization_for(request.user, request.GET.get("org", ""))  # type: ignore[arg-type]
    if organization is None:
        return render(
            request,
            "reviews/preview_forbidden.html",
            {"message": "Only engineers and admins of an organization can preview task templates."},
            status=403,
        )
    template_text, input_text, notice = "", "{}", ""
    chosen = request.GET.get("prebuilt", "")
    if chosen:
        item = prebuilt.prebuilt_get(chosen)
        if item is None:
            notice = f"There is no pre-built task UI named {chosen!r}."
        else:
            template_text, input_text = item.template, json.dumps(item.example_input, indent=2)
    others = (
        Membership.objects.filter(user_id=request.user.pk or 0, role__in=(Role.ADMIN, Role.ENGINEER))
        .exclude(organization=organization)
        .select_related("organization")
        .order_by("organization__name")
    )
    context: dict[str, Any] = {
        "organization": organization,
        "other_organizations": [m.organization for m in others],
        "template_text": template_text,
        "input_text": input_text,
        "notice": notice,
        "prebuilt_items": prebuilt.prebuilt_list(),
        "chosen": chosen,
    }
    return render(request, "reviews/preview.html", context)


@login_required
@require_POST
def preview_render(request: HttpRequest) -> JsonResponse:
    """Store a template and input for the preview frame: ``{"frame_url", "frame_token"}``, or
    ``{"errors": [{"code", "message"}]}`` with status 400."""
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return JsonResponse({"errors": [{"code": "InvalidRequest", "message": "The request is not JSON."}]}, status=400)
    if not isinstance(body, dict) or not isinstance(body.get("template", ""), str):
        return JsonResponse(
            {"errors": [{"code": "InvalidRequest", "message": 'Send {"template": ..., "input": ...}.'}]}, status=400
        )
    input_value = body.get("input", "{}")
    input_text = input_value if isinstance(input_value, str) else json.dumps(input_value)
    try:
        created = preview_create(
            user=request.user,  # type: ignore[arg-type]
            template=body.get("template", ""),
            input_text=input_text,
            account_id=str(body.get("organization") or ""),
        )
    except NotFound as exc:
        return JsonResponse({"errors": [{"code": "Forbidden", "message": exc.message}]}, status=403)
    except InvalidInput as exc:
        code = "InvalidInput" if exc.field == "input" else "InvalidTemplate"
        return JsonResponse({"errors": [{"code": code, "field": exc.field, "message": exc.message}]}, status=400)
    return JsonResponse({"frame_url": created.frame_url, "frame_token": created.frame_token})
