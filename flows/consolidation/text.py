"""Free text: never merged. The answer most similar to the others (weighted) is kept whole, with
an agreement score: the weighted mean similarity of every answer to the one kept."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from difflib import SequenceMatcher

from flows.consolidation.common import ConsolidationError, FieldResult, Vote, effective_votes


def normalize(text: str) -> str:
    """What two workers' texts are compared on: Unicode NFKC, case folded, runs of white space
    collapsed. The text kept is a worker's own, not this form."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def free_text(votes: Sequence[Vote]) -> FieldResult:
    kept = effective_votes(votes)
    for v in kept:
        if not isinstance(v.value, str):
            raise ConsolidationError(f"free_text needs strings; worker {v.worker_id} gave {type(v.value).__name__}.")
    weight_of: dict[str, float] = defaultdict(float)
    raw_of: dict[str, str] = {}
    for v in kept:
        key = normalize(v.value)
        weight_of[key] += v.weight
        raw_of.setdefault(key, v.value)
    total = sum(weight_of.values())
    scores = {k: sum(w * similarity(k, other) for other, w in weight_of.items()) / total for k in weight_of}
    best = min(scores, key=lambda k: (-scores[k], -weight_of[k], k))
    return FieldResult(
        value=raw_of[best],
        method="free_text",
        confidence=scores[best],
        details={"agreement": round(scores[best], 6), "exactShare": round(weight_of[best] / total, 6)},
    )
