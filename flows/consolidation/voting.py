"""Votes over discrete answers: single label, multiple labels, exact values, numbers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from flows.consolidation.common import (
    FieldResult,
    Vote,
    canonical,
    effective_votes,
    keep_int,
    number_like,
    weighted_median,
)


def single_label(votes: Sequence[Vote], *, method: str = "weighted_vote") -> FieldResult:
    """The value with the most weight wins (ties: the smallest canonical form, so the result does
    not depend on the order of the votes). Values are compared by their canonical JSON form, so
    this works for labels, booleans and whole objects alike. Confidence: the winner's share."""
    kept = effective_votes(votes)
    totals: dict[str, float] = defaultdict(float)
    values: dict[str, Any] = {}
    for v in kept:
        key = canonical(v.value)
        totals[key] += v.weight
        values.setdefault(key, v.value)
    total = sum(totals.values())
    winner = min(totals, key=lambda k: (-totals[k], k))
    return FieldResult(
        value=values[winner],
        method=method,
        confidence=totals[winner] / total,
        details={"distribution": {k: round(w / total, 6) for k, w in sorted(totals.items())}},
    )


def multi_label(
    votes: Sequence[Vote],
    *,
    items: Callable[[Any], Sequence[Hashable]],
    threshold: float = 0.5,
    method: str = "weighted_vote",
) -> tuple[list[Hashable], FieldResult]:
    """Each item (label, span, ...) that ``items`` extracts from a vote is kept when the workers
    who chose it carry more than ``threshold`` of the total weight. Returns the kept items in a
    canonical order, and a result whose value the caller shapes; confidence is the mean, over
    every item anyone chose, of the share that agreed with the outcome (1.0 if nobody chose any)."""
    kept = effective_votes(votes)
    total = sum(v.weight for v in kept)
    support: dict[str, float] = defaultdict(float)
    item_of: dict[str, Hashable] = {}
    for v in kept:
        for item in {canonical(i): i for i in items(v.value)}.items():
            support[item[0]] += v.weight
            item_of.setdefault(item[0], item[1])
    chosen = sorted(k for k, s in support.items() if s / total > threshold)
    agreement = [max(s, total - s) / total for s in support.values()]
    confidence = sum(agreement) / len(agreement) if agreement else 1.0
    return [item_of[k] for k in chosen], FieldResult(
        value=None,
        method=method,
        confidence=confidence,
        details={"support": {k: round(s / total, 6) for k, s in sorted(support.items())}},
    )


def numeric(votes: Sequence[Vote], *, method: str = "median") -> FieldResult:
    """Weighted median of numbers: robust to one wild answer. Confidence: the share of weight
    within 5% (of the range's magnitude) of the median."""
    kept = effective_votes(votes)
    values = [v.value for v in kept]
    if not number_like(values):
        return single_label(votes, method="exact")
    weights = [v.weight for v in kept]
    med = weighted_median(values, weights)
    scale = max(abs(x) for x in values) or 1.0
    close = sum(w for x, w in zip(values, weights, strict=True) if abs(x - med) <= 0.05 * scale)
    return FieldResult(value=keep_int(med, values), method=method, confidence=close / sum(weights))
