"""Calibrated review thresholds: how much review buys how much accuracy. Pure (no ORM).

Input: items ``(model confidence, model label, human label, weight)``, the human label taken as
the truth. A threshold ``t`` means "review when confidence < t" (the any-model condition
``PredictionConfidenceCheck`` with ``ConfidenceLessThan: t``); reviewed items end up right (the
human's answer), the others keep the model's label. For every useful ``t``:

* ``review_rate(t)`` = weight of items with confidence < t / total weight;
* ``accuracy(t)`` = (weight reviewed + weight kept whose model label equals the human's) / total.

``accuracy`` never decreases as ``t`` grows, so the threshold that reaches a target accuracy with
the fewest reviews is the smallest ``t`` whose accuracy reaches the target. Chosen that tightly on
the reviewed items, it falls a little short on predictions not seen yet; so by default the
recommendation asks the *lower* one-sided 95 % bound of the accuracy to reach the target (a
Wilson bound on the error rate of the predictions kept without review), ``bounded=False`` for the
observed accuracy.

Weights correct for how the items were chosen: a loop that only a ``Sampling`` condition of
``p`` percent started stands for ``100 / p`` predictions (``flows.services.routing``), so a flow
that samples its confident predictions still gets an unbiased curve. Without any sampling of the
confident ones, the curve only speaks for the predictions that were reviewed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Item:
    confidence: float
    model_label: Any
    human_label: Any
    weight: float = 1.0

    @property
    def correct(self) -> bool:
        return labels_equal(self.model_label, self.human_label)


@dataclass(frozen=True)
class Point:
    #: Review when confidence < threshold.
    threshold: float
    review_rate: float
    accuracy: float
    #: One-sided lower confidence bound of ``accuracy`` (Wilson bound on the kept items' error rate).
    accuracy_lower: float = 0.0

    def as_json(self) -> dict[str, float]:
        return {
            "threshold": self.threshold,
            "reviewRate": self.review_rate,
            "accuracy": self.accuracy,
            "accuracyLowerBound": self.accuracy_lower,
        }


@dataclass(frozen=True)
class Calibration:
    target: float
    #: True: the recommendation holds the target at the curve's lower bound (see ``recommend``).
    bounded: bool
    items: int
    #: Accuracy of the model alone (no review).
    model_accuracy: float | None
    #: From "review nothing" to "review everything", thresholds ascending.
    curve: list[Point]
    #: The smallest threshold whose accuracy reaches ``target`` (None without items).
    recommended: Point | None


def labels_equal(a: Any, b: Any) -> bool:
    """Labels compare as text when both are scalars (a model's ``3`` and a form's ``"3"`` agree)."""
    if isinstance(a, dict | list) or isinstance(b, dict | list):
        return bool(a == b)
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, float) and a.is_integer():
        a = int(a)
    if isinstance(b, float) and b.is_integer():
        b = int(b)
    return str(a).strip() == str(b).strip()


def wilson_upper(errors: float, n: float, z: float) -> float:
    """Upper bound of a proportion seen as ``errors`` out of ``n`` (Wilson score interval)."""
    if n <= 0:
        return 1.0
    p = errors / n
    z2 = z * z
    centre = p + z2 / (2 * n)
    margin = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return min(1.0, (centre + margin) / (1 + z2 / n))


#: z of the one-sided 95 % bound used by default.
Z_95 = 1.6448536269514722


def calibration_curve(items: Iterable[Item], *, z: float = Z_95) -> list[Point]:
    """The (threshold, review rate, accuracy, accuracy lower bound) curve, one point per distinct
    confidence plus "review everything". O(n log n). Weights count as that many items in the
    bound (a sampled loop standing for 20 predictions is 20 observations: optimistic, noted)."""
    rows = sorted(
        (float(i.confidence), float(i.weight), i.correct) for i in items if math.isfinite(i.confidence) and i.weight > 0
    )
    if not rows:
        return []
    total = sum(w for _, w, _ in rows)
    kept_correct = sum(w for _, w, ok in rows if ok)
    reviewed = 0.0
    points: list[Point] = []
    i = 0
    while i < len(rows):
        c = rows[i][0]
        # Threshold c: everything below c is reviewed, c itself and above are kept.
        kept = total - reviewed
        lower = 1.0 - (kept / total) * wilson_upper(kept - kept_correct, kept, z)
        points.append(Point(c, reviewed / total, (reviewed + kept_correct) / total, lower))
        while i < len(rows) and rows[i][0] == c:
            _, w, ok = rows[i]
            reviewed += w
            kept_correct -= w if ok else 0.0
            i += 1
    points.append(Point(math.nextafter(rows[-1][0], math.inf), 1.0, 1.0, 1.0))
    return points


def recommend(curve: list[Point], target: float, *, bounded: bool = True) -> Point | None:
    """The point with the fewest reviews whose accuracy reaches ``target``: by default its lower
    confidence bound (so that the threshold holds on predictions not seen yet), with
    ``bounded=False`` the accuracy observed on these items."""
    for point in curve:
        value = point.accuracy_lower if bounded else point.accuracy
        if value >= target - 1e-12:
            return point
    return None


def thin(curve: list[Point], keep: int = 200, always: Point | None = None) -> list[Point]:
    """At most about ``keep`` points for drawing: evenly by review rate, first and last kept."""
    if len(curve) <= keep:
        return curve
    out: list[Point] = []
    step = 1.0 / keep
    next_rate = -1.0
    for point in curve:
        if point.review_rate >= next_rate or point is curve[-1] or point == always:
            out.append(point)
            next_rate = point.review_rate + step
    return out


def calibrate(items: Iterable[Item], target: float, *, bounded: bool = True) -> Calibration:
    if not 0 < target <= 1:
        raise ValueError("target accuracy must be in (0, 1]")
    items = list(items)
    curve = calibration_curve(items)
    return Calibration(
        target=target,
        bounded=bounded,
        items=len(items),
        model_accuracy=curve[0].accuracy if curve else None,
        curve=curve,
        recommended=recommend(curve, target, bounded=bounded),
    )


def apply_threshold(items: Iterable[Item], threshold: float) -> tuple[float, float]:
    """(accuracy, review rate) of reviewing items with confidence < ``threshold``."""
    total = reviewed = right = 0.0
    for item in items:
        total += item.weight
        if item.confidence < threshold:
            reviewed += item.weight
            right += item.weight
        elif item.correct:
            right += item.weight
    if total == 0:
        return 0.0, 0.0
    return right / total, reviewed / total


def chart_svg_data(calibration: Calibration, *, width: int = 560, height: int = 320, pad: int = 44) -> dict[str, Any]:
    """Coordinates for the server-side SVG chart (accuracy against review rate)."""
    curve = thin(calibration.curve, always=calibration.recommended)
    lo = min([p.accuracy for p in curve] + [calibration.target]) if curve else 0.0
    lo = max(0.0, math.floor(lo * 20) / 20)  # round down to 5 %
    span = 1.0 - lo or 1.0
    inner_w, inner_h = width - 2 * pad, height - 2 * pad

    def xy(rate: float, acc: float) -> tuple[float, float]:
        return round(pad + rate * inner_w, 1), round(pad + (1.0 - (acc - lo) / span) * inner_h, 1)

    points = " ".join(f"{x},{y}" for x, y in (xy(p.review_rate, p.accuracy) for p in curve))
    rec = calibration.recommended
    rec_xy = xy(rec.review_rate, rec.accuracy) if rec else None
    target_y = xy(0, calibration.target)[1]
    y_ticks = []
    steps = 5
    for k in range(steps + 1):
        acc = lo + span * k / steps
        y_ticks.append({"y": xy(0, acc)[1], "label": f"{acc * 100:.0f}%" if span >= 0.05 else f"{acc * 100:.1f}%"})
    x_ticks = [{"x": xy(r / 4, lo)[0], "label": f"{r * 25}%"} for r in range(5)]
    return {
        "width": width,
        "height": height,
        "pad": pad,
        "left": pad,
        "right": width - pad,
        "top": pad,
        "bottom": height - pad,
        "points": points,
        "recommended": {"x": rec_xy[0], "y": rec_xy[1]} if rec_xy else None,
        "target_y": target_y,
        "y_ticks": y_ticks,
        "x_ticks": x_ticks,
    }
