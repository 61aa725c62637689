"""Plain-data types and helpers shared by the consolidation methods. No ORM, no I/O.

Every method takes a list of ``Vote``s (one per worker that answered the field) with a weight per
worker, and returns a ``FieldResult``. The methods hold three properties the tests check:

* unanimous answers consolidate to themselves;
* the result does not depend on the order of the votes (inputs are sorted canonically first);
* a worker whose weight is 0 has no influence (zero-weight votes are dropped before anything
  else; when every weight is 0 they all count equally, so there is still an answer).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


class ConsolidationError(ValueError):
    """Settings or answers that a consolidation method cannot work with (message safe to show)."""


@dataclass(frozen=True)
class Vote:
    """One worker's value for one field, with the worker's weight (>= 0)."""

    worker_id: str
    value: Any
    weight: float = 1.0


@dataclass
class FieldResult:
    """The consolidated value of one field, the method that produced it, and how much the
    workers agreed (``confidence`` in [0, 1]); ``details`` carries method-specific facts."""

    value: Any
    method: str
    confidence: float
    details: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        return {"method": self.method, "confidence": round(self.confidence, 6), **self.details}


def canonical(value: Any) -> str:
    """A stable text form of a JSON value (sorted keys), used to compare and to break ties."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def effective_votes(votes: Sequence[Vote]) -> list[Vote]:
    """Votes sorted by worker id, zero-weight workers dropped (all kept, weight 1, if every
    weight is 0). Negative or non-finite weights are refused."""
    for v in votes:
        if not isinstance(v.weight, int | float) or not math.isfinite(v.weight) or v.weight < 0:
            raise ConsolidationError(f"Worker {v.worker_id} has weight {v.weight!r}; weights must be finite and >= 0.")
    ordered = sorted(votes, key=lambda v: (v.worker_id, canonical(v.value)))
    kept = [v for v in ordered if v.weight > 0]
    if kept:
        return kept
    return [Vote(v.worker_id, v.value, 1.0) for v in ordered]


def weighted_median(values: Sequence[float], weights: Sequence[float]) -> float:
    """The lower weighted median: the smallest value whose cumulative weight reaches half of the
    total. Always one of ``values``, so it lies within their range."""
    if not values:
        raise ConsolidationError("weighted_median of no values")
    pairs = sorted(zip(values, weights, strict=True))
    total = sum(w for _, w in pairs)
    acc = 0.0
    for value, w in pairs:
        acc += w
        if acc >= total / 2 - 1e-12:
            return value
    return pairs[-1][0]  # pragma: no cover - float round-off only


def weighted_mean(values: Sequence[float], weights: Sequence[float]) -> float:
    total = sum(weights)
    mean = sum(v * w for v, w in zip(values, weights, strict=True)) / total
    # Round-off must not carry the mean outside the range of its inputs.
    return min(max(mean, min(values)), max(values))


def number_like(values: Sequence[Any]) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def keep_int(value: float, inputs: Sequence[Any]) -> float | int:
    """Integers in, integer out (rounded): pixel coordinates stay pixels. The rounded value stays
    within [min, max] of the inputs because both ends are integers."""
    if all(isinstance(v, int) and not isinstance(v, bool) for v in inputs):
        return round(value)
    return value
