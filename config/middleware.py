"""Security headers on every response (issue 8).

* ``Content-Security-Policy``: portal pages load everything from this origin only (styles may be
  inline: the templates use ``style`` attributes); other responses (JSON, text, files) get a
  policy that allows nothing. A view that sets its own policy keeps it: the sandboxed task frame
  and the media documents set stricter ones.
* ``Permissions-Policy``: no camera, microphone, geolocation, payment, USB, ... for any page or
  the task templates framed by it.
* HSTS is Django's ``SecurityMiddleware`` (``SECURE_HSTS_SECONDS``, on only when HTTPS is
  configured: see ``config/settings.py``).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django.http.response import HttpResponseBase

PORTAL_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "font-src 'self'",
        "connect-src 'self'",
        # Not narrowed: the sandboxed task frame is contained by its own policy and the bridge,
        # which watch (and blank) a template that navigates the frame; a parent frame-src would
        # swap the frame for an error page first, and the host would never learn of it.
        "frame-src *",
        "frame-ancestors 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ]
)
OTHER_CSP = "default-src 'none'; frame-ancestors 'none'"
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
        "interest-cohort",
    )
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            content_type = response.get("Content-Type", "")
            response["Content-Security-Policy"] = PORTAL_CSP if content_type.startswith("text/html") else OTHER_CSP
        if "Permissions-Policy" not in response:
            response["Permissions-Policy"] = PERMISSIONS_POLICY
        return response
