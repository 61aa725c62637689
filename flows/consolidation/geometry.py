"""Geometry: bounding boxes clustered by IoU and fused (as Ground Truth does), keypoints and
polygons / lines / polylines matched across workers and averaged robustly.

Matching is the same for every shape: workers are visited heaviest first (ties by id), each
worker's shapes of one label are matched one-to-one to the clusters built so far (Hungarian
assignment on the similarity, a worker adds at most one shape to a cluster), and unmatched shapes
start clusters of their own. A cluster is kept when its workers carry more than ``min_agreement``
of the total weight.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from flows.consolidation.common import (
    ConsolidationError,
    FieldResult,
    Vote,
    canonical,
    effective_votes,
    keep_int,
    weighted_mean,
    weighted_median,
)

Box = tuple[float, float, float, float]  # left, top, right, bottom


@dataclass
class _Member:
    worker_id: str
    weight: float
    shape: dict[str, Any]


@dataclass
class _Cluster:
    label: Any
    members: list[_Member] = field(default_factory=list)

    @property
    def weight(self) -> float:
        return sum(m.weight for m in self.members)


def _num(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConsolidationError(f"{what} must be a finite number, not {value!r}.")
    return float(value)


def box_of(shape: dict[str, Any]) -> Box:
    left, top = _num(shape.get("left"), "left"), _num(shape.get("top"), "top")
    width, height = _num(shape.get("width"), "width"), _num(shape.get("height"), "height")
    return left, top, left + width, top + height


def iou(a: Box, b: Box) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    area_a = max(0.0, a[2] - a[0]) * max(0.0, a[3] - a[1])
    area_b = max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])
    union = area_a + area_b - inter
    if union <= 0:
        return 1.0 if a == b else 0.0
    return inter / union


def _vertices(shape: dict[str, Any]) -> list[tuple[float, float]]:
    raw = shape.get("vertices")
    if not isinstance(raw, list) or not raw:
        raise ConsolidationError("A polygon or line needs a non-empty list of vertices.")
    out = []
    for p in raw:
        if not isinstance(p, dict):
            raise ConsolidationError("Each vertex must be an object with x and y.")
        out.append((_num(p.get("x"), "x"), _num(p.get("y"), "y")))
    return out


def _bounds(points: Sequence[tuple[float, float]]) -> Box:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def _cluster(
    votes: Sequence[Vote],
    *,
    shapes_of: Callable[[Any], list[dict[str, Any]]],
    similarity: Callable[[dict[str, Any], list[_Member]], float],
    threshold: float,
) -> tuple[list[_Cluster], float]:
    kept = effective_votes(votes)
    total = sum(v.weight for v in kept)
    clusters: list[_Cluster] = []
    for vote in sorted(kept, key=lambda v: (-v.weight, v.worker_id)):
        by_label: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for shape in shapes_of(vote.value):
            by_label[canonical(shape.get("label"))].append(shape)
        for label_key in sorted(by_label):
            shapes = sorted(by_label[label_key], key=canonical)
            candidates = [c for c in clusters if canonical(c.label) == label_key]
            matched: set[int] = set()
            if candidates:
                sim = np.array([[similarity(s, c.members) for c in candidates] for s in shapes])
                rows, cols = linear_sum_assignment(-sim)
                for r, c in zip(rows, cols, strict=True):
                    if sim[r, c] >= threshold:
                        candidates[c].members.append(_Member(vote.worker_id, vote.weight, shapes[r]))
                        matched.add(int(r))
            for i, shape in enumerate(shapes):
                if i not in matched:
                    clusters.append(_Cluster(shape.get("label"), [_Member(vote.worker_id, vote.weight, shape)]))
    return clusters, total


def _list_of(key: str) -> Callable[[Any], list[dict[str, Any]]]:
    def get(value: Any) -> list[dict[str, Any]]:
        if not isinstance(value, dict):
            raise ConsolidationError(f"Expected an object with {key!r}.")
        items = value.get(key) or []
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise ConsolidationError(f"{key!r} must be a list of objects.")
        return items

    return get


def _image_properties(votes: Sequence[Vote]) -> Any:
    props = [v.value.get("inputImageProperties") for v in votes if isinstance(v.value, dict)]
    props = [p for p in props if p is not None]
    if not props:
        return None
    counts: dict[str, int] = defaultdict(int)
    for p in props:
        counts[canonical(p)] += 1
    best = min(counts, key=lambda k: (-counts[k], k))
    return next(p for p in props if canonical(p) == best)


def _summary(kept: list[tuple[_Cluster, float]], total: float, method: str, n_clusters: int) -> FieldResult:
    confidences = [conf for _, conf in kept]
    return FieldResult(
        value=None,
        method=method,
        confidence=sum(confidences) / len(confidences) if confidences else (1.0 if n_clusters == 0 else 0.0),
        details={
            "shapes": [
                {
                    "label": c.label,
                    "workers": len(c.members),
                    "support": round(c.weight / total, 6),
                    "confidence": round(conf, 6),
                }
                for c, conf in kept
            ],
            "dropped": n_clusters - len(kept),
        },
    )


def bounding_boxes(votes: Sequence[Vote], *, iou_threshold: float = 0.5, min_agreement: float = 0.5) -> FieldResult:
    """crowd-bounding-box answers (``{"boundingBoxes": [...], "inputImageProperties": {...}}``):
    boxes of one label clustered by IoU >= ``iou_threshold``, each kept cluster fused into the
    weighted mean of its members' edges (so the fused box lies within their hull). Confidence of
    a box: its support times the mean IoU of its members with the fused box."""

    def similarity(shape: dict[str, Any], members: list[_Member]) -> float:
        return iou(box_of(shape), _fuse_box(members))

    clusters, total = _cluster(
        votes, shapes_of=_list_of("boundingBoxes"), similarity=similarity, threshold=iou_threshold
    )
    kept: list[tuple[_Cluster, float]] = []
    boxes = []
    for c in clusters:
        if c.weight / total <= min_agreement and not math.isclose(c.weight, total):
            continue
        fused = _fuse_box(c.members)
        conf = c.weight / total * sum(iou(box_of(m.shape), fused) for m in c.members) / len(c.members)
        kept.append((c, conf))
        boxes.append({"label": c.label, **_box_value(c.members)})
    order = sorted(range(len(boxes)), key=lambda i: canonical(boxes[i]))
    result = _summary([kept[i] for i in order], total, "bounding_boxes", len(clusters))
    value: dict[str, Any] = {"boundingBoxes": [boxes[i] for i in order]}
    props = _image_properties(effective_votes(votes))
    if props is not None:
        value["inputImageProperties"] = props
    result.value = value
    return result


def _ltwh(members: list[_Member]) -> tuple[float, float, float, float]:
    """Weighted means of left, top, width and height. The mean is linear, so left + width is the
    mean of the right edges: the fused box lies within the hull of its members."""
    weights = [m.weight for m in members]
    return tuple(  # type: ignore[return-value]
        weighted_mean([_num(m.shape.get(k), k) for m in members], weights) for k in ("left", "top", "width", "height")
    )


def _fuse_box(members: list[_Member]) -> Box:
    left, top, width, height = _ltwh(members)
    return left, top, left + width, top + height


def _box_value(members: list[_Member]) -> dict[str, float | int]:
    left, top, width, height = _ltwh(members)
    raw = [m.shape for m in members]
    if all(
        isinstance(s[k], int) and not isinstance(s[k], bool) for s in raw for k in ("left", "top", "width", "height")
    ):
        # Pixels in, pixels out: round the edges (each stays within the integer range of its
        # members' edges), then derive the size.
        edges = []
        for near, size, value in (("left", "width", left), ("top", "height", top)):
            far = value + (width if near == "left" else height)
            lo = round(value)
            hi = min(max(round(far), min(s[near] + s[size] for s in raw)), max(s[near] + s[size] for s in raw))
            edges.append((lo, hi - lo))
        return {"left": edges[0][0], "top": edges[1][0], "width": edges[0][1], "height": edges[1][1]}
    return {"left": left, "top": top, "width": width, "height": height}


def keypoints(
    votes: Sequence[Vote], *, distance_threshold: float | None = None, min_agreement: float = 0.5
) -> FieldResult:
    """crowd-keypoint answers (``{"keypoints": [{"label","x","y"}], ...}``): points of one label
    matched across workers within ``distance_threshold`` pixels (default: 5% of the image's
    diagonal, or 10 px without image properties), fused by the coordinate-wise weighted median."""
    kept_votes = effective_votes(votes)
    if distance_threshold is None:
        props = _image_properties(kept_votes)
        try:
            distance_threshold = 0.05 * math.hypot(float(props["width"]), float(props["height"]))
        except (TypeError, KeyError, ValueError):
            distance_threshold = 10.0
    limit = max(distance_threshold, 1e-9)

    def point(shape: dict[str, Any]) -> tuple[float, float]:
        return _num(shape.get("x"), "x"), _num(shape.get("y"), "y")

    def fuse(members: list[_Member]) -> tuple[float, float]:
        pts = [point(m.shape) for m in members]
        w = [m.weight for m in members]
        return weighted_median([p[0] for p in pts], w), weighted_median([p[1] for p in pts], w)

    def similarity(shape: dict[str, Any], members: list[_Member]) -> float:
        return 1.0 - min(1.0, math.dist(point(shape), fuse(members)) / (2 * limit))

    clusters, total = _cluster(votes, shapes_of=_list_of("keypoints"), similarity=similarity, threshold=0.5)
    kept: list[tuple[_Cluster, float]] = []
    points = []
    for c in clusters:
        if c.weight / total <= min_agreement and not math.isclose(c.weight, total):
            continue
        x, y = fuse(c.members)
        spread = sum(math.dist(point(m.shape), (x, y)) for m in c.members) / len(c.members)
        kept.append((c, c.weight / total * max(0.0, 1.0 - spread / limit)))
        raw = [m.shape for m in c.members]
        points.append(
            {"label": c.label, "x": keep_int(x, [s["x"] for s in raw]), "y": keep_int(y, [s["y"] for s in raw])}
        )
    order = sorted(range(len(points)), key=lambda i: canonical(points[i]))
    result = _summary([kept[i] for i in order], total, "keypoints", len(clusters))
    value: dict[str, Any] = {"keypoints": [points[i] for i in order]}
    props = _image_properties(kept_votes)
    if props is not None:
        value["inputImageProperties"] = props
    result.value = value
    return result


def _align(
    points: list[tuple[float, float]], ref: list[tuple[float, float]], closed: bool
) -> list[tuple[float, float]]:
    """``points`` reordered to best match ``ref`` vertex by vertex (same length): any rotation and
    either direction for a closed polygon, either direction for an open line."""
    n = len(points)
    candidates: list[list[tuple[float, float]]] = []
    for seq in (points, points[::-1]):
        if closed:
            candidates.extend(seq[i:] + seq[:i] for i in range(n))
        else:
            candidates.append(seq)
    return min(candidates, key=lambda c: (sum(math.dist(a, b) for a, b in zip(c, ref, strict=True)), c))


def _shape_distance(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> float:
    """Symmetric mean distance from each vertex to the other shape's nearest vertex."""
    d1 = sum(min(math.dist(p, q) for q in b) for p in a) / len(a)
    d2 = sum(min(math.dist(p, q) for q in a) for p in b) / len(b)
    return (d1 + d2) / 2


def polygons(
    votes: Sequence[Vote], *, key: str = "polygons", iou_threshold: float = 0.5, min_agreement: float = 0.5
) -> FieldResult:
    """crowd-polygon / crowd-polyline / crowd-line answers (``{key: [{"label","vertices"}]}``):
    shapes of one label matched by the IoU of their bounding rectangles, then fused robustly.
    When every member has the same number of vertices, they are aligned to the heaviest member
    (rotation and direction) and each vertex is the coordinate-wise weighted median; otherwise
    the member closest to all others (weighted medoid) is kept whole."""
    closed = key == "polygons"

    def similarity(shape: dict[str, Any], members: list[_Member]) -> float:
        return iou(_bounds(_vertices(shape)), _bounds(_vertices(members[0].shape)))

    clusters, total = _cluster(votes, shapes_of=_list_of(key), similarity=similarity, threshold=iou_threshold)
    kept: list[tuple[_Cluster, float]] = []
    shapes = []
    for c in clusters:
        if c.weight / total <= min_agreement and not math.isclose(c.weight, total):
            continue
        verts = [_vertices(m.shape) for m in c.members]
        weights = [m.weight for m in c.members]
        raw_vertices = [p for m in c.members for p in m.shape["vertices"]]
        if len({len(v) for v in verts}) == 1:
            ref = verts[0]
            aligned = [_align(v, ref, closed) for v in verts]
            fused = [
                (
                    weighted_median([a[i][0] for a in aligned], weights),
                    weighted_median([a[i][1] for a in aligned], weights),
                )
                for i in range(len(ref))
            ]
            how = "median"
        else:
            scores = [
                sum(w * _shape_distance(v, other) for other, w in zip(verts, weights, strict=True)) for v in verts
            ]
            best = min(range(len(verts)), key=lambda i: (scores[i], canonical(c.members[i].shape)))
            fused = verts[best]
            how = "medoid"
        spread = sum(_shape_distance(v, fused) for v in verts) / len(verts)
        diag = max(1e-9, math.dist(_bounds(fused)[:2], _bounds(fused)[2:]))
        kept.append((c, c.weight / total * max(0.0, 1.0 - spread / diag)))
        vertices = [
            {"x": keep_int(x, [p["x"] for p in raw_vertices]), "y": keep_int(y, [p["y"] for p in raw_vertices])}
            for x, y in fused
        ]
        shapes.append({"label": c.label, "vertices": vertices, "_how": how})
    order = sorted(range(len(shapes)), key=lambda i: canonical(shapes[i]))
    result = _summary([kept[i] for i in order], total, key, len(clusters))
    for entry, i in zip(result.details["shapes"], order, strict=True):
        entry["fusion"] = shapes[i].pop("_how")
    value: dict[str, Any] = {key: [shapes[i] for i in order]}
    props = _image_properties(effective_votes(votes))
    if props is not None:
        value["inputImageProperties"] = props
    result.value = value
    return result
