"""JSON problem bodies (RFC 9457) for every REST error."""

from __future__ import annotations

from typing import Any

from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = exception_handler(exc, context)
    if response is None:
        return None
    code = getattr(exc, "default_code", "error")
    detail = response.data
    body: dict[str, Any] = {
        "type": f"https://loupe.local/problems/{code}",
        "title": status_title(response.status_code),
        "status": response.status_code,
        "code": code,
    }
    if isinstance(exc, ValidationError):
        body["detail"] = "The request is not valid."
        body["errors"] = detail
    elif isinstance(detail, dict) and "detail" in detail:
        body["detail"] = str(detail["detail"])
    else:
        body["detail"] = detail
    response.data = body
    response["Content-Type"] = "application/problem+json"
    return response


def status_title(code: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return "Error"
