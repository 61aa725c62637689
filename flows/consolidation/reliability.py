"""Worker reliability from a flow's answers, with crowd-kit's aggregation models.

Input: discrete observations ``(item, worker, label)``: an item is one field of one loop (see
``observations``), a label its canonical value. A model (Dawid-Skene, GLAD, MACE, Wawa, ...)
infers each item's true label; a worker's accuracy is their (smoothed) agreement with those
inferred labels, and their weight is the log-odds of a worker that good being right among K
classes: ``log((K - 1) * p / (1 - p))``, 0 for a worker no better than chance. With these weights
a weighted vote is the maximum-likelihood answer under the one-coin model.

Pure: plain data in, plain data out; pandas and crowd-kit stay inside this module.
"""

from __future__ import annotations

import math
import warnings
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flows.consolidation.common import ConsolidationError, canonical
from flows.consolidation.dispatch import RELIABILITY_MODELS, infer_kind

#: Accuracy is clipped here so that one perfect worker does not get an infinite weight.
MAX_ACCURACY = 0.99
#: Beta prior on accuracy: this many pseudo-answers at the prior accuracy (shrinks workers with
#: few answers towards it).
PRIOR_STRENGTH = 2.0
PRIOR_ACCURACY = 0.7


@dataclass(frozen=True)
class Reliability:
    worker_id: str
    accuracy: float
    weight: float
    answers: int


def observations(answers: Iterable[tuple[str, str, Mapping[str, Any]]]) -> list[tuple[str, str, str]]:
    """``(loop key, worker id, answerContent)`` -> discrete ``(item, worker, label)`` rows: one
    item per discrete field of a loop (single labels, one-choice groups, booleans; each
    multi-label option as a yes/no item). Geometry and free text carry no discrete label and
    are left out."""
    by_field: dict[tuple[str, str], list[tuple[str, Any]]] = defaultdict(list)
    for loop, worker, content in answers:
        for name, value in content.items():
            by_field[(loop, name)].append((worker, value))
    rows: list[tuple[str, str, str]] = []
    for (loop, name), votes in by_field.items():
        values = [v for _, v in votes]
        kind = infer_kind(values)
        item = f"{loop}\x1f{name}"
        if kind == "label":
            rows += [(item, w, v["label"]) for w, v in votes]
        elif kind == "choice":
            rows += [(item, w, next(k for k, on in v.items() if on)) for w, v in votes]
        elif kind == "exact" and all(isinstance(v, bool) for v in values):
            rows += [(item, w, canonical(v)) for w, v in votes]
        elif kind in ("labels", "checkboxes"):
            chosen = {
                w: set(map(str, v["labels"])) if kind == "labels" else {k for k, on in v.items() if on}
                for w, v in votes
            }
            for option in sorted(set().union(*chosen.values())):
                rows += [(f"{item}\x1f{option}", w, "1" if option in s else "0") for w, s in chosen.items()]
    return rows


def _model(name: str) -> Any:
    from crowdkit.aggregation import GLAD, MACE, DawidSkene, OneCoinDawidSkene, Wawa, ZeroBasedSkill

    if name == "dawid_skene":
        return DawidSkene(n_iter=100)
    if name == "one_coin_dawid_skene":
        return OneCoinDawidSkene(n_iter=100)
    if name == "glad":
        return GLAD(n_iter=50, silent=True)
    if name == "mace":
        return MACE(n_iter=50, random_state=0)
    if name == "wawa":
        return Wawa()
    if name == "zero_based_skill":
        return ZeroBasedSkill(n_iter=100)
    raise ConsolidationError(f"Unknown reliability model {name!r}; choose one of {list(RELIABILITY_MODELS)}.")


def inferred_labels(rows: Sequence[tuple[str, str, str]], model: str) -> dict[str, str]:
    """The true label of each item as ``model`` infers it (``majority_agreement``: plain
    majority vote, ties broken by the smallest label)."""
    if model == "majority_agreement":
        counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for item, _, label in rows:
            counts[item][label] += 1
        return {item: min(c, key=lambda lab: (-c[lab], lab)) for item, c in counts.items()}
    import pandas as pd

    frame = pd.DataFrame(rows, columns=["task", "worker", "label"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        labels = _model(model).fit_predict(frame)
    return {str(k): str(v) for k, v in labels.items()}


def estimate(rows: Sequence[tuple[str, str, str]], *, model: str = "dawid_skene") -> dict[str, Reliability]:
    """Per-worker accuracy and weight from discrete observations. Items answered by one worker
    say nothing about anyone and are ignored. Returns {} when nothing can be estimated."""
    workers_per_item: dict[str, set[str]] = defaultdict(set)
    for item, worker, _ in rows:
        workers_per_item[item].add(worker)
    useful = [r for r in rows if len(workers_per_item[r[0]]) > 1]
    if not useful:
        return {}
    truth = inferred_labels(useful, model)
    classes: dict[str, set[str]] = defaultdict(set)
    for item, _, label in useful:
        classes[item].add(label)
    hits: dict[str, float] = defaultdict(float)
    seen: dict[str, int] = defaultdict(int)
    k_sum: dict[str, float] = defaultdict(float)
    for item, worker, label in useful:
        seen[worker] += 1
        hits[worker] += label == truth.get(item)
        k_sum[worker] += max(2, len(classes[item]))
    out = {}
    for worker in sorted(seen):
        n = seen[worker]
        p = (hits[worker] + PRIOR_STRENGTH * PRIOR_ACCURACY) / (n + PRIOR_STRENGTH)
        p = min(p, MAX_ACCURACY)
        k = k_sum[worker] / n
        weight = max(0.0, math.log((k - 1) * p / (1 - p)))
        out[worker] = Reliability(worker_id=worker, accuracy=round(p, 6), weight=round(weight, 6), answers=n)
    return out
