"""Whether one worker's answer agrees with a reference answer (a gold item's known answer, or a
loop's consolidated answer), with the flow's consolidation settings. Pure: no ORM, no I/O.

Each field of the reference is judged by the method consolidation would use for it
(``dispatch.consolidate_field``'s choice, from the settings and the two values' shape):

* single label, one-choice groups: the same label / the same choice;
* multi-label, checkboxes, entities, moderation labels: the same set;
* bounding boxes, keypoints, polygons, polylines, lines: the two answers consolidated together
  drop no shape, i.e. every shape of each is matched one-to-one to a shape of the other with the
  same label (boxes and polygons at IoU >= ``iouThreshold``, default 0.5; keypoints within
  ``distanceThreshold``): the matching consolidation itself does;
* numbers: equal (up to float round-off); free text: equal after consolidation's normalisation
  (Unicode NFKC, case folded, white space collapsed); anything else: the same JSON value.

An answer agrees when every field of the reference agrees; a field the worker left out does not.
Fields the reference does not have are not judged.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flows.consolidation import geometry, text
from flows.consolidation.common import ConsolidationError, Vote, canonical
from flows.consolidation.dispatch import SHAPE_KEYS, infer_kind, validate_settings

_GEOMETRY = ("bounding_boxes", "keypoints", *SHAPE_KEYS)


@dataclass(frozen=True)
class Judgement:
    """Per reference field, whether the worker's value agrees; ``agrees`` when all do."""

    fields: dict[str, bool]

    @property
    def agrees(self) -> bool:
        return all(self.fields.values())


def _true_keys(value: Mapping[str, Any]) -> frozenset[str]:
    return frozenset(k for k, on in value.items() if on)


def _shapes_match(kind: str, worker: Any, reference: Any, options: Mapping[str, Any]) -> bool:
    """Consolidate the two answers together (equal weights, a shape kept only when both have it):
    they agree when no shape is dropped."""
    votes = [Vote("reference", reference), Vote("worker", worker)]
    iou = float(options.get("iouThreshold", 0.5))
    if kind == "bounding_boxes":
        result = geometry.bounding_boxes(votes, iou_threshold=iou, min_agreement=0.5)
    elif kind == "keypoints":
        dist = options.get("distanceThreshold")
        result = geometry.keypoints(votes, distance_threshold=None if dist is None else float(dist), min_agreement=0.5)
    else:
        result = geometry.polygons(votes, key=kind, iou_threshold=iou, min_agreement=0.5)
    return int(result.details.get("dropped", 1)) == 0


def _label_set(values: Any) -> frozenset[str]:
    return frozenset(x if isinstance(x, str) else canonical(x) for x in values)


def field_agrees(worker: Any, reference: Any, options: Mapping[str, Any] | None = None) -> bool:
    """Whether a worker's value of one field agrees with the reference value, judged by the
    method ``options`` (a flow's consolidation options for the field) select."""
    options = options or {}
    method = options.get("method", "auto")
    if method == "exact":
        return canonical(worker) == canonical(reference)
    if method == "free_text":
        a = worker if isinstance(worker, str) else canonical(worker)
        b = reference if isinstance(reference, str) else canonical(reference)
        return text.normalize(a) == text.normalize(b)
    kind = infer_kind([worker, reference])
    try:
        if kind in _GEOMETRY:
            return _shapes_match(kind, worker, reference, options)
        if kind == "label":
            return bool(worker["label"] == reference["label"])
        if kind in ("choice", "checkboxes"):
            return _true_keys(worker) == _true_keys(reference)
        if kind == "labels":
            return _label_set(worker["labels"]) == _label_set(reference["labels"])
        if kind == "entities":
            keys = ("label", "startOffset", "endOffset")
            return {canonical({k: e.get(k) for k in keys}) for e in worker["entities"]} == {
                canonical({k: e.get(k) for k in keys}) for e in reference["entities"]
            }
        if kind == "moderation_labels":
            return {
                canonical({"name": m.get("name"), "parentName": m.get("parentName", "")})
                for m in worker["moderationLabels"]
            } == {
                canonical({"name": m.get("name"), "parentName": m.get("parentName", "")})
                for m in reference["moderationLabels"]
            }
    except (ConsolidationError, AttributeError, TypeError, KeyError):
        # Malformed shapes or entities: nothing to match, so no agreement.
        return False
    if kind == "number":
        return math.isclose(float(worker), float(reference), rel_tol=1e-9, abs_tol=1e-9)
    if kind == "free_text":
        return text.normalize(worker) == text.normalize(reference)
    return canonical(worker) == canonical(reference)


def judge(
    answer: Mapping[str, Any], reference: Mapping[str, Any], settings: Mapping[str, Any] | None = None
) -> Judgement:
    """Judge a worker's answerContent against a reference answerContent with a flow's
    consolidation settings (``FlowDefinition.consolidation``; invalid settings count as none)."""
    try:
        checked = validate_settings(dict(settings or {}))
    except ConsolidationError:
        checked = {}
    top = {k: v for k, v in checked.items() if k != "fields"}
    per_field = checked.get("fields", {})
    fields = {
        name: name in answer and field_agrees(answer[name], value, {**top, **per_field.get(name, {})})
        for name, value in reference.items()
    }
    return Judgement(fields)


@dataclass(frozen=True)
class Tally:
    """How many answers were judged, and how many agreed."""

    judged: int = 0
    agreed: int = 0

    @property
    def share(self) -> float | None:
        return self.agreed / self.judged if self.judged else None


def tally(judgements: Iterable[Judgement]) -> Tally:
    judged = agreed = 0
    for j in judgements:
        judged += 1
        agreed += j.agrees
    return Tally(judged, agreed)
