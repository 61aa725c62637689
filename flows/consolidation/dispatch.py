"""Pick a method per answer field, from the flow's settings or from the shape of the answers.

``FlowDefinition.consolidation`` (all keys optional)::

    {"method": "auto" | "majority_vote" | "weighted_vote" | "bounding_boxes" | "keypoints"
               | "polygons" | "free_text" | "exact",
     "weighting": "reliability" | "equal",      # default: equal for majority_vote, else reliability
     "reliabilityModel": "dawid_skene" | "one_coin_dawid_skene" | "glad" | "mace" | "wawa"
                         | "zero_based_skill" | "majority_agreement",
     "iouThreshold": 0.5, "minAgreement": 0.5, "labelThreshold": 0.5, "distanceThreshold": null,
     "fields": {"<answer field>": {"method": ..., <the same options>}}}

``auto`` (and the vote methods, for fields that are not discrete) infers each field's kind from
the crowd elements' answer shapes (spec/a2i.md §22.4, crowd-elements.md): ``{"label"}`` ->
single label; ``{"labels": [...]}`` -> multi-label; ``{"boundingBoxes"}`` -> boxes;
``{"keypoints"}``; ``{"polygons"|"polylines"|"lines"}``; ``{"entities"}`` -> spans voted as
multi-label; an object of booleans (checkboxes, radio groups, toggles) -> one choice when every
worker picked exactly one, else multi-label; strings -> free text; numbers -> weighted median;
booleans -> vote; Rekognition moderation answers -> labels voted; anything else -> the exact
answer with the most weight.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flows.consolidation import geometry, text, voting
from flows.consolidation.common import ConsolidationError, FieldResult, Vote, canonical, effective_votes

METHODS = (
    "auto",
    "majority_vote",
    "weighted_vote",
    "bounding_boxes",
    "keypoints",
    "polygons",
    "free_text",
    "exact",
)
RELIABILITY_MODELS = (
    "dawid_skene",
    "one_coin_dawid_skene",
    "glad",
    "mace",
    "wawa",
    "zero_based_skill",
    "majority_agreement",
)
_NUMBER_OPTIONS = {
    "iouThreshold": (0.0, 1.0),
    "minAgreement": (0.0, 1.0),
    "labelThreshold": (0.0, 1.0),
    "distanceThreshold": (0.0, math.inf),
}
REKOGNITION = "AWS/Rekognition/DetectModerationLabels/Image/V3"
TEXTRACT = "AWS/Textract/AnalyzeDocument/Forms/V1"
SHAPE_KEYS = ("polygons", "polylines", "lines")


@dataclass(frozen=True)
class WorkerAnswer:
    """One worker's answerContent (the parsed object)."""

    worker_id: str
    answer_content: Mapping[str, Any]


def _validate_options(options: Any, where: str, *, top: bool) -> dict[str, Any]:
    if not isinstance(options, dict):
        raise ConsolidationError(f"{where} must be a JSON object.")
    allowed = {"method", "weighting", "reliabilityModel", *_NUMBER_OPTIONS} | ({"fields"} if top else set())
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise ConsolidationError(f"{where} has unknown keys {unknown}; allowed: {sorted(allowed)}.")
    method = options.get("method", "auto")
    if method not in METHODS:
        raise ConsolidationError(f"{where}.method is {method!r}; choose one of {list(METHODS)}.")
    if options.get("weighting", "reliability") not in ("reliability", "equal"):
        raise ConsolidationError(f"{where}.weighting must be 'reliability' or 'equal'.")
    if options.get("reliabilityModel", "dawid_skene") not in RELIABILITY_MODELS:
        raise ConsolidationError(f"{where}.reliabilityModel must be one of {list(RELIABILITY_MODELS)}.")
    for key, (lo, hi) in _NUMBER_OPTIONS.items():
        value = options.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or not (lo <= value <= hi):
            raise ConsolidationError(f"{where}.{key} must be a number between {lo} and {hi}.")
    return dict(options)


def validate_settings(settings: Any) -> dict[str, Any]:
    """Check a flow's consolidation settings; returns them, or raises ``ConsolidationError`` with
    a message naming the offending key."""
    if settings is None:
        return {}
    checked = _validate_options(settings, "consolidation", top=True)
    fields = checked.get("fields", {})
    if not isinstance(fields, dict):
        raise ConsolidationError("consolidation.fields must map answer field names to options.")
    for name, options in fields.items():
        _validate_options(options, f"consolidation.fields.{name}", top=False)
    return checked


def uses_reliability(settings: Mapping[str, Any]) -> bool:
    """Whether consolidation with these settings weighs workers by their estimated reliability."""
    default = "equal" if settings.get("method") == "majority_vote" else "reliability"
    return settings.get("weighting", default) == "reliability"


def _is_bool_map(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and all(isinstance(v, bool) for v in value.values())


def infer_kind(values: Sequence[Any]) -> str:
    """The kind of one field, from every worker's value for it."""
    if all(isinstance(v, dict) for v in values):
        if all("boundingBoxes" in v for v in values):
            return "bounding_boxes"
        if all("keypoints" in v for v in values):
            return "keypoints"
        for key in SHAPE_KEYS:
            if all(key in v for v in values):
                return key
        if all(isinstance(v.get("label"), str) for v in values):
            return "label"
        if all(isinstance(v.get("labels"), list) for v in values):
            return "labels"
        if all(isinstance(v.get("entities"), list) for v in values):
            return "entities"
        if all(isinstance(v.get("moderationLabels"), list) for v in values):
            return "moderation_labels"
        if all(_is_bool_map(v) for v in values):
            if all(sum(v.values()) == 1 for v in values):
                return "choice"
            return "checkboxes"
        return "exact"
    if all(isinstance(v, bool) for v in values):
        return "exact"
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return "number"
    if all(isinstance(v, str) for v in values):
        return "free_text"
    return "exact"


_GEOMETRY_METHODS = {"bounding_boxes": "bounding_boxes", "keypoints": "keypoints", "polygons": "polygons"}


def consolidate_field(votes: Sequence[Vote], options: Mapping[str, Any]) -> FieldResult:
    """Consolidate one field's votes with ``options`` (a method and its parameters)."""
    method = options.get("method", "auto")
    vote_method = "majority_vote" if method == "majority_vote" else "weighted_vote"
    kind = infer_kind([v.value for v in votes])
    if method == "free_text":
        return text.free_text(
            [Vote(v.worker_id, v.value if isinstance(v.value, str) else canonical(v.value), v.weight) for v in votes]
        )
    if method == "exact":
        return voting.single_label(votes, method="exact")
    if method in _GEOMETRY_METHODS and kind not in {"bounding_boxes", "keypoints", *SHAPE_KEYS}:
        raise ConsolidationError(f"Method {method} does not fit answers of kind {kind}.")
    iou = float(options.get("iouThreshold", 0.5))
    agree = float(options.get("minAgreement", 0.5))
    threshold = float(options.get("labelThreshold", 0.5))
    if kind == "bounding_boxes":
        return geometry.bounding_boxes(votes, iou_threshold=iou, min_agreement=agree)
    if kind == "keypoints":
        dist = options.get("distanceThreshold")
        return geometry.keypoints(votes, distance_threshold=None if dist is None else float(dist), min_agreement=agree)
    if kind in SHAPE_KEYS:
        return geometry.polygons(votes, key=kind, iou_threshold=iou, min_agreement=agree)
    if kind == "label":
        labels = [Vote(v.worker_id, v.value["label"], v.weight) for v in votes]
        result = voting.single_label(labels, method=vote_method)
        result.value = {"label": result.value}
        return result
    if kind == "choice":
        keys = sorted({k for v in votes for k in v.value})
        picks = [Vote(v.worker_id, next(k for k, on in v.value.items() if on), v.weight) for v in votes]
        result = voting.single_label(picks, method=vote_method)
        result.value = {k: k == result.value for k in keys}
        return result
    if kind == "checkboxes":
        keys = sorted({k for v in votes for k in v.value})
        chosen, result = voting.multi_label(
            votes, items=lambda value: [k for k, on in value.items() if on], threshold=threshold, method=vote_method
        )
        result.value = {k: k in chosen for k in keys}
        return result
    if kind == "labels":
        chosen, result = voting.multi_label(
            votes,
            items=lambda value: [canonical(x) if not isinstance(x, str) else x for x in value["labels"]],
            threshold=threshold,
            method=vote_method,
        )
        result.value = {"labels": chosen}
        return result
    if kind == "entities":
        chosen, result = voting.multi_label(
            votes,
            items=lambda value: [
                canonical({k: e.get(k) for k in ("label", "startOffset", "endOffset")}) for e in value["entities"]
            ],
            threshold=threshold,
            method=vote_method,
        )
        result.value = {
            "entities": sorted(
                (json.loads(str(c)) for c in chosen),
                key=lambda e: (e["startOffset"] or 0, e["endOffset"] or 0, str(e["label"])),
            )
        }
        return result
    if kind == "moderation_labels":
        chosen, result = voting.multi_label(
            votes,
            items=lambda value: [
                canonical({"name": m.get("name"), "parentName": m.get("parentName", "")})
                for m in value["moderationLabels"]
            ],
            threshold=threshold,
            method=vote_method,
        )
        result.value = {"moderationLabels": [json.loads(str(c)) for c in chosen]}
        return result
    if kind == "number":
        return voting.numeric(votes)
    if kind == "free_text":
        return text.free_text(votes)
    return voting.single_label(votes, method="exact" if method == "auto" else vote_method)


def consolidate(
    answers: Sequence[WorkerAnswer],
    *,
    settings: Mapping[str, Any] | None = None,
    weights: Mapping[str, float] | None = None,
    default_weight: float = 1.0,
) -> dict[str, Any]:
    """Consolidate a loop's answers into one (the ``loupeConsolidatedAnswer`` document)::

        {"answerContent": {field: consolidated value, in the shape a worker's answer has},
         "fields": {field: {"method", "confidence", ...}}, "confidence": mean of the fields',
         "method": the flow's method, "weighting": "reliability" | "equal",
         "workers": [worker ids, sorted], "weights": {worker id: weight used}}

    ``weights`` maps worker ids to reliability weights (>= 0; workers not in it get
    ``default_weight``); they are used only when the settings weigh by reliability. A field is
    kept when the workers who answered it carry more than half of the weight (crowd-input leaves
    a field out when nothing was entered). Raises ``ConsolidationError`` for invalid settings.
    """
    checked = validate_settings(settings or {})
    if not answers:
        raise ConsolidationError("There are no answers to consolidate.")
    ids = [a.worker_id for a in answers]
    if len(set(ids)) != len(ids):
        raise ConsolidationError("Each worker may answer once.")
    weighted = uses_reliability(checked)
    used = {a.worker_id: float((weights or {}).get(a.worker_id, default_weight)) if weighted else 1.0 for a in answers}
    field_options = checked.get("fields", {})
    top = {k: v for k, v in checked.items() if k != "fields"}
    everyone = effective_votes([Vote(a.worker_id, None, used[a.worker_id]) for a in answers])
    total = sum(v.weight for v in everyone)
    active = {v.worker_id: v.weight for v in everyone}
    content: dict[str, Any] = {}
    fields: dict[str, Any] = {}
    names = sorted({k for a in answers for k in a.answer_content})
    for name in names:
        votes = [
            Vote(a.worker_id, a.answer_content[name], active[a.worker_id])
            for a in answers
            if a.worker_id in active and name in a.answer_content
        ]
        present = sum(v.weight for v in votes)
        if not votes or (present * 2 <= total and not math.isclose(present, total)):
            continue
        options = {**top, **field_options.get(name, {})}
        result = consolidate_field(votes, options)
        content[name] = result.value
        fields[name] = result.describe()
    confidences = [f["confidence"] for f in fields.values()]
    return {
        "answerContent": content,
        "fields": fields,
        "confidence": round(sum(confidences) / len(confidences), 6) if confidences else 1.0,
        "method": checked.get("method", "auto"),
        "weighting": "reliability" if weighted else "equal",
        "workers": sorted(ids),
        "weights": {k: used[k] for k in sorted(used)},
    }
