"""JSON problem bodies (RFC 9457) for every REST error.

Every error leaves the REST API as ``application/problem+json``::

    {"type": ".../problems/<code>", "title": "Not Found", "status": 404, "code": "not_found",
     "detail": "Human loop x does not exist.", "errors": {"name": ["..."]}}

``errors`` (per-field messages) is present for invalid input. Domain errors from the services
(``flows.errors``) map to statuses here:

==================================  ======  ==================
domain error                        status  code
==================================  ======  ==================
InvalidInput, WrongState            400     invalid_input / wrong_state
NotFound                            404     not_found
Conflict, InUse                     409     conflict / in_use
LimitExceeded, QuotaExceeded        429     limit_exceeded / quota_exceeded
==================================  ======  ==================

Limits answer 429 (not 402): they are per-organization caps on live resources, not billing, and
a client that backs off and retries after finishing or deleting work can succeed.

Domain errors name the offending member in A2I's lowerCamelCase (``humanLoopName``); a view may
set ``field_aliases`` (member path -> REST field) and otherwise paths are turned into snake_case,
so the REST caller sees its own field names, in ``errors`` and in the message text.
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler

from config.unavailable import DETAIL as UNAVAILABLE_DETAIL
from config.unavailable import RETRY_AFTER_SECONDS, is_unavailable, log_unavailable
from flows import errors as domain
from flows.services.batch import DuplicateInBatch

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"

#: (domain error class, HTTP status, code), most specific first.
DOMAIN_ERRORS: list[tuple[type[domain.LoupeError], int, str]] = [
    (DuplicateInBatch, status.HTTP_409_CONFLICT, "duplicate_in_batch"),
    (domain.WrongState, status.HTTP_400_BAD_REQUEST, "wrong_state"),
    (domain.InvalidInput, status.HTTP_400_BAD_REQUEST, "invalid_input"),
    (domain.NotFound, status.HTTP_404_NOT_FOUND, "not_found"),
    (domain.Conflict, status.HTTP_409_CONFLICT, "conflict"),
    (domain.InUse, status.HTTP_409_CONFLICT, "in_use"),
    (domain.LimitExceeded, status.HTTP_429_TOO_MANY_REQUESTS, "limit_exceeded"),
    (domain.QuotaExceeded, status.HTTP_429_TOO_MANY_REQUESTS, "quota_exceeded"),
]

_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def snake_case(path: str) -> str:
    """``humanLoopInput.inputContent`` -> ``human_loop_input.input_content``."""
    return _CAMEL.sub(r"_\1", path).lower()


def domain_error_code(exc: domain.LoupeError) -> tuple[int, str]:
    """(HTTP status, problem code) for a domain error."""
    for cls, code_status, code in DOMAIN_ERRORS:
        if isinstance(exc, cls):
            return code_status, code
    return status.HTTP_400_BAD_REQUEST, "invalid_input"


def rest_field(field: str | None, aliases: dict[str, str] | None = None) -> str | None:
    """The REST name of a domain error's member path."""
    if field is None:
        return None
    if aliases:
        if field in aliases:
            return aliases[field]
        for path, name in aliases.items():
            if field.startswith(path + "."):
                return name + snake_case(field[len(path) :])
    return snake_case(field)


def rest_message(exc: domain.LoupeError, aliases: dict[str, str] | None = None) -> str:
    """The domain error's message with its member path written as the REST field."""
    if exc.field is None:
        return exc.message
    name = rest_field(exc.field, aliases)
    return exc.message.replace(f"'{exc.field}'", f"'{name}'")


def item_error(exc: domain.LoupeError, aliases: dict[str, str] | None = None) -> dict[str, Any]:
    """The error of one refused item of a batch: its code, message and REST field (if any)."""
    _, code = domain_error_code(exc)
    error = {"code": code, "detail": rest_message(exc, aliases)}
    field = rest_field(exc.field, aliases)
    if field:
        error["field"] = field
    return error


def problem(
    status_code: int,
    code: str,
    detail: str,
    *,
    errors: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": f"https://loupe.local/problems/{code}",
        "title": status_title(status_code),
        "status": status_code,
        "code": code,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return Response(body, status=status_code, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def _aliases(context: dict[str, Any]) -> dict[str, str] | None:
    view = context.get("view")
    return getattr(view, "field_aliases", None)


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, domain.LoupeError):
        code_status, code = domain_error_code(exc)
        aliases = _aliases(context)
        message = rest_message(exc, aliases)
        field = rest_field(exc.field, aliases)
        return problem(code_status, code, message, errors={field: [message]} if field else None)
    if is_unavailable(exc):
        # The database (or Redis) is out for a moment: retryable, not a defect (config/unavailable.py).
        view = context.get("view")
        log_unavailable(view.__class__.__name__ if view is not None else "REST API", exc)
        return problem(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "service_unavailable",
            UNAVAILABLE_DETAIL,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    response = exception_handler(exc, context)
    if response is None:
        # A defect, not the caller's fault: logged with its stack, answered as a problem body
        # without one.
        logger.exception("Unhandled error in %s", context.get("view").__class__.__name__, exc_info=exc)
        return problem(
            status.HTTP_500_INTERNAL_SERVER_ERROR, "internal_error", "The server failed to handle this request."
        )
    code = "error"
    if isinstance(exc, APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
    detail = response.data
    if isinstance(exc, ValidationError):
        body_detail = "The request is not valid."
        if isinstance(detail, dict):
            first = next(iter(detail.items()), None)
            if first is not None:
                body_detail = f"The request is not valid: {first[0]}: {_first_message(first[1])}"
            errors = detail
        else:
            body_detail = f"The request is not valid: {_first_message(detail)}"
            errors = {"non_field_errors": detail}
        return problem(response.status_code, "invalid", body_detail, errors=errors, headers=_headers(response))
    text = str(detail["detail"]) if isinstance(detail, dict) and "detail" in detail else str(detail)
    return problem(response.status_code, str(code), text, headers=_headers(response))


def _first_message(value: Any) -> str:
    while isinstance(value, list | dict):
        if not value:
            return ""
        value = value[0] if isinstance(value, list) else next(iter(value.values()))
    return str(value)


def _headers(response: Response) -> dict[str, str]:
    keep = ("WWW-Authenticate", "Retry-After", "Allow")
    return {name: response[name] for name in keep if response.has_header(name)}


def status_title(code: int) -> str:
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return "Error"


def api_not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    """Any /api/v1/ path no route serves: a problem body, not Django's HTML page."""
    body = {
        "type": "https://loupe.local/problems/not_found",
        "title": status_title(404),
        "status": 404,
        "code": "not_found",
        "detail": f"No API endpoint at {request.path}.",
    }
    return JsonResponse(body, status=404, content_type=PROBLEM_CONTENT_TYPE)
