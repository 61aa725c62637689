"""Calibration items from a flow's completed loops (reads only).

A loop started by the route call (``flows.services.routing``) keeps the model's prediction in
``activation_results["prediction"]`` and its ``samplingWeight``; the human label is the value at
``answer_path`` in the workers' answers (the most common one when TaskCount > 1; the earliest
answer breaks ties). Loops started otherwise (StartHumanLoop) have no prediction and are skipped.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flows import activation
from flows.calibration import Calibration, Item, calibrate
from flows.errors import InvalidInput
from flows.models import Answer, FlowDefinition, HumanLoop, HumanLoopStatus
from flows.selectors.definitions import flow_get
from workforce.models import Organization

CHUNK = 500


@dataclass(frozen=True)
class CalibrationPaths:
    confidence: str
    label: str
    answer: str


def default_paths(flow: FlowDefinition) -> CalibrationPaths:
    """The paths a flow's own conditions suggest: the first ``PredictionConfidenceCheck`` path for
    the confidence, the first ``LabelInSet`` path for the label; else ``$.confidence``/``$.label``.
    The human label is read at the label's path in the answer."""
    confidence, label = "$.confidence", "$.label"
    found: dict[str, str] = {}
    if flow.activation_conditions and not flow.request_source:
        try:
            doc = json.loads(flow.activation_conditions)
        except ValueError:
            doc = {}
        stack = list(doc.get("Conditions", [])) if isinstance(doc, dict) else []
        while stack:
            node = stack.pop(0)
            if not isinstance(node, dict):
                continue
            stack.extend(node.get("And", []) + node.get("Or", []))
            kind = node.get("ConditionType")
            path = (node.get("ConditionParameters") or {}).get("Path")
            if kind in ("PredictionConfidenceCheck", "LabelInSet") and isinstance(path, str):
                found.setdefault(kind, path)
    confidence = found.get("PredictionConfidenceCheck", confidence)
    label = found.get("LabelInSet", label)
    return CalibrationPaths(confidence=confidence, label=label, answer=label)


def _first(document: Any, steps: tuple[activation.Step, ...]) -> Any:
    found = activation.path_find(document, steps)
    return found[0][1] if found else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return float(value)
    except ValueError:
        return None


def calibration_items(*, flow: FlowDefinition, paths: CalibrationPaths) -> Iterator[Item]:
    """One item per completed, routed loop of ``flow`` whose prediction has a numeric confidence
    and whose answers hold a label. Streams: constant memory in the number of loops."""
    steps = {}
    for name in ("confidence", "label", "answer"):
        try:
            steps[name] = activation.path_parse(getattr(paths, name), f"{name}_path")
        except InvalidInput as exc:
            raise InvalidInput(
                exc.message.removeprefix("The activation conditions are not valid: "), field=f"{name}_path"
            ) from None
    loops = (
        HumanLoop.objects.filter(
            flow_definition=flow, status=HumanLoopStatus.COMPLETED, activation_results__isnull=False
        )
        .order_by("pk")
        .values_list("pk", "activation_results")
    )
    batch: list[tuple[int, Any]] = []
    for row in loops.iterator(chunk_size=CHUNK):
        batch.append(row)
        if len(batch) >= CHUNK:
            yield from _items(batch, steps)
            batch = []
    if batch:
        yield from _items(batch, steps)


def _items(batch: list[tuple[int, Any]], steps: dict[str, tuple[activation.Step, ...]]) -> Iterator[Item]:
    answers: dict[int, list[Any]] = {}
    rows = (
        Answer.objects.filter(loop_id__in=[pk for pk, _ in batch])
        .order_by("loop_id", "submission_time", "pk")
        .values_list("loop_id", "answer_content")
    )
    for loop_id, content in rows:
        value = _first(content, steps["answer"])
        if value is not None:
            answers.setdefault(loop_id, []).append(value)
    for pk, results in batch:
        if not isinstance(results, dict) or "prediction" not in results or pk not in answers:
            continue
        prediction = results["prediction"]
        confidence = _number(_first(prediction, steps["confidence"]))
        if confidence is None:
            continue
        votes = answers[pk]
        counts = Counter(json.dumps(v, sort_keys=True) for v in votes)
        top = max(counts.values())
        human = next(v for v in votes if counts[json.dumps(v, sort_keys=True)] == top)
        weight = results.get("samplingWeight", 1.0)
        yield Item(
            confidence=confidence,
            model_label=_first(prediction, steps["label"]),
            human_label=human,
            weight=float(weight) if isinstance(weight, int | float) and weight > 0 else 1.0,
        )


def flow_calibration(
    *,
    organization: Organization,
    name: str,
    target: float,
    paths: dict[str, str | None],
    conservative: bool = True,
) -> tuple[Calibration, CalibrationPaths]:
    """Calibration of the flow ``name`` from its completed routed loops (raises NotFound)."""
    flow = flow_get(organization=organization, name=name)
    default = default_paths(flow)
    chosen = CalibrationPaths(
        confidence=paths.get("confidence") or default.confidence,
        label=paths.get("label") or default.label,
        answer=paths.get("answer") or paths.get("label") or default.answer,
    )
    return calibrate(calibration_items(flow=flow, paths=chosen), target, bounded=conservative), chosen
