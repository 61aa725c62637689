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
