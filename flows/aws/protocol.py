"""The two wire protocols (spec/a2i.md §2, §3, §6): rest-json for the A2I runtime, json 1.1 for
SageMaker. Responses, error bodies, timestamps, list paging."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from django.http import HttpResponse

from flows import validation
from flows.errors import Conflict, InUse, InvalidInput, LimitExceeded, LoupeError, NotFound, QuotaExceeded, WrongState
from flows.selectors.pagination import CreationPaging, M, NamePaging, Page

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


def creation_paging(members: Mapping[str, Any]) -> CreationPaging:
    """CreationTimeAfter, CreationTimeBefore, SortOrder (default Descending), MaxResults and
    NextToken of a list operation, from its body (json 1.1) or query string (rest-json)."""
    return CreationPaging(
        created_after=validation.timestamp(members.get("CreationTimeAfter"), "creationTimeAfter"),
        created_before=validation.timestamp(members.get("CreationTimeBefore"), "creationTimeBefore"),
        descending=validation.sort_order(members.get("SortOrder")) != "Ascending",
        limit=validation.max_results(members.get("MaxResults")) or 100,
        token=validation.next_token(members.get("NextToken")),
    )


def name_contains(members: Mapping[str, Any], name_pattern: str) -> str | None:
    """The NameContains filter of a list operation, checked against ``name_pattern``."""
    return validation.string(
        members.get("NameContains"), "nameContains", min_len=1, max_len=63, pattern=name_pattern, optional=True
    )


def name_paging(members: Mapping[str, Any], name_pattern: str) -> NamePaging:
    """NameContains (checked against ``name_pattern``), SortBy (default CreateDate), SortOrder
    (default Ascending), MaxResults and NextToken of a list operation."""
    name = name_contains(members, name_pattern)
    sort_by = validation.enum(members.get("SortBy"), "sortBy", ("Name", "CreateDate"), optional=True)
    return NamePaging(
        name_contains=name,
        sort_by=sort_by or "CreateDate",
        descending=validation.sort_order(members.get("SortOrder")) == "Descending",
        limit=validation.max_results(members.get("MaxResults")) or 100,
        token=validation.next_token(members.get("NextToken")),
    )


def page_out(member: str, result: Page[M], item: Callable[[M], dict[str, Any]]) -> dict[str, Any]:
    """A list operation's answer: ``member`` holds the page's items, NextToken is there when
    there are more."""
    return drop_none({member: [item(x) for x in result.items], "NextToken": result.next_token})
