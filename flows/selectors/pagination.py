"""Keyset pagination with opaque tokens, for the AWS list operations (spec/a2i.md §17).

A token is the sort key of the last item of a page plus a fingerprint of the query, signed so
that a forged or mangled token is refused (``InvalidInput``) instead of silently restarting.
Consecutive tokens name different items, so a token is never repeated.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from django.core import signing
from django.db.models import Model, Q, QuerySet

from flows.errors import InvalidInput

_SALT = "loupe.aws.next-token"
M = TypeVar("M", bound=Model)


@dataclass
class Page(Generic[M]):
    items: list[M]
    next_token: str | None


def _fingerprint(query: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(query, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _encode_value(value: Any) -> Any:
    return {"dt": value.isoformat()} if isinstance(value, datetime) else value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict) and "dt" in value:
        return datetime.fromisoformat(value["dt"])
    return value


def page(
    qs: QuerySet[M],
    *,
    fields: list[str],
    descending: bool,
    limit: int,
    token: str | None,
    query: dict[str, Any],
    field: str = "nextToken",
) -> Page[M]:
    """One page of ``qs`` ordered by ``fields`` (the last must be unique, e.g. ``pk``)."""
    fp = _fingerprint(query)
    if token:
        try:
            data = signing.loads(token, salt=_SALT)
            if not isinstance(data, dict) or data.get("q") != fp or len(data.get("k", [])) != len(fields):
                raise ValueError
            after = [_decode_value(v) for v in data["k"]]
        except (signing.BadSignature, ValueError, TypeError, KeyError):
            raise InvalidInput(
                "The NextToken is not valid for this request: pass the token of the previous page with the same "
                "parameters.",
                field=field,
            ) from None
        op = "lt" if descending else "gt"
        cond = Q()
        for i in range(len(fields) - 1, -1, -1):
            here = Q(**{f"{fields[i]}__{op}": after[i]})
            cond = here if i == len(fields) - 1 else here | (Q(**{fields[i]: after[i]}) & cond)
        qs = qs.filter(cond)
    order = [f"-{f}" if descending else f for f in fields]
    rows = list(qs.order_by(*order)[: limit + 1])
    next_token = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        key = [_encode_value(getattr(last, f)) for f in fields]
        next_token = signing.dumps({"k": key, "q": fp}, salt=_SALT, compress=True)
    return Page(items=rows, next_token=next_token)


@dataclass(frozen=True)
class CreationPaging:
    """A list operation's creation-time filters and paging (CreationTimeAfter inclusive,
    CreationTimeBefore exclusive, SortOrder, MaxResults, NextToken)."""

    created_after: datetime | None = None
    created_before: datetime | None = None
    descending: bool = True
    limit: int = 100
    token: str | None = None


@dataclass(frozen=True)
class NamePaging:
    """A list operation's NameContains filter, SortBy (Name or CreateDate) and paging."""

    name_contains: str | None = None
    sort_by: str = "CreateDate"
    descending: bool = False
    limit: int = 100
    token: str | None = None


def page_by_creation(qs: QuerySet[M], paging: CreationPaging, *, op: str, **query: Any) -> Page[M]:
    """One page of ``qs`` within the creation-time window, ordered by creation time. ``op`` and
    ``query`` identify the listing in the token's fingerprint."""
    if paging.created_after is not None:
        qs = qs.filter(created_at__gte=paging.created_after)
    if paging.created_before is not None:
        qs = qs.filter(created_at__lt=paging.created_before)
    return page(
        qs,
        fields=["created_at", "pk"],
        descending=paging.descending,
        limit=paging.limit,
        token=paging.token,
        query={"op": op, **query, "a": paging.created_after, "b": paging.created_before, "d": paging.descending},
    )


def page_by_name(qs: QuerySet[M], paging: NamePaging, *, op: str) -> Page[M]:
    """One page of ``qs`` narrowed to names containing ``name_contains`` (any case), ordered by
    name or creation time."""
    if paging.name_contains:
        qs = qs.filter(name__icontains=paging.name_contains)
    return page(
        qs,
        fields=["name", "pk"] if paging.sort_by == "Name" else ["created_at", "pk"],
        descending=paging.descending,
        limit=paging.limit,
        token=paging.token,
        query={"op": op, "n": paging.name_contains, "s": paging.sort_by, "d": paging.descending},
    )
