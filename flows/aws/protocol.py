"""The two wire protocols (spec/a2i.md §2, §3, §6): rest-json for the A2I runtime, json 1.1 for
SageMaker. Responses, error bodies, timestamps."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from django.http import HttpResponse

from flows.errors import Conflict, InUse, InvalidInput, LimitExceeded, LoupeError, NotFound, QuotaExceeded, WrongState

Protocol = Literal["rest-json", "json"]

REST_JSON_CONTENT_TYPE = "application/json"
JSON_11_CONTENT_TYPE = "application/x-amz-json-1.1"


@dataclass
class AwsError(Exception):
    """An error to answer in the caller's protocol."""

    code: str
    message: str
    status: int = 400


#: Domain error -> (A2I code, HTTP status). A2I's statuses are modelled (§6.2).
_A2I_CODES: dict[type[LoupeError], tuple[str, int]] = {
    InvalidInput: ("ValidationException", 400),
    WrongState: ("ValidationException", 400),
    NotFound: ("ResourceNotFoundException", 404),
    Conflict: ("ConflictException", 409),
    InUse: ("ConflictException", 409),
    QuotaExceeded: ("ServiceQuotaExceededException", 402),
    LimitExceeded: ("ServiceQuotaExceededException", 402),
}

#: Domain error -> SageMaker code; every client fault is 400 (§6.3).
_SAGEMAKER_CODES: dict[type[LoupeError], str] = {
    InvalidInput: "ValidationException",
    WrongState: "ValidationException",
    NotFound: "ResourceNotFound",
    Conflict: "ConflictException",
    InUse: "ResourceInUse",
    LimitExceeded: "ResourceLimitExceeded",
    QuotaExceeded: "ResourceLimitExceeded",
}


def from_domain(exc: LoupeError, protocol: Protocol) -> AwsError:
    for cls in type(exc).__mro__:
        if protocol == "rest-json" and cls in _A2I_CODES:
            code, status = _A2I_CODES[cls]
            return AwsError(code, exc.message, status)
        if protocol == "json" and cls in _SAGEMAKER_CODES:
            return AwsError(_SAGEMAKER_CODES[cls], exc.message, 400)
    return AwsError("InternalServerException", "Internal error.", 500)


def new_request_id() -> str:
    return str(uuid.uuid4())


def _dumps(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def success(data: dict[str, Any], protocol: Protocol, request_id: str) -> HttpResponse:
    response = HttpResponse(
        _dumps(data),
        status=200,
        content_type=REST_JSON_CONTENT_TYPE if protocol == "rest-json" else JSON_11_CONTENT_TYPE,
    )
    response["x-amzn-RequestId"] = request_id
    return response


def error(err: AwsError, protocol: Protocol, request_id: str) -> HttpResponse:
    """An error body botocore reads: ``__type`` (json 1.1 reads only that), ``message`` and
    ``Message`` (so ``e.response["Message"]`` is filled), and for rest-json ``x-amzn-ErrorType``."""
    body = {"__type": err.code, "message": err.message, "Message": err.message}
    response = HttpResponse(
        _dumps(body),
        status=err.status,
        content_type=REST_JSON_CONTENT_TYPE if protocol == "rest-json" else JSON_11_CONTENT_TYPE,
    )
    response["x-amzn-RequestId"] = request_id
    if protocol == "rest-json":
        response["x-amzn-ErrorType"] = err.code
    # A client error here is an answer, not an incident: keep it out of django.request's warnings
    # (the AWS edge logs what is worth logging, with the request id).
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def iso8601(value: datetime | None) -> str | None:
    """A2I timestamps: ISO 8601 UTC with milliseconds."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def epoch(value: datetime | None) -> float | None:
    """SageMaker timestamps: epoch seconds."""
    if value is None:
        return None
    return round(value.timestamp(), 3)


def drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}
