"""Routing a prediction: evaluate the flow's activation conditions, start a loop when they hold.

``flow_route`` is the write behind ``POST /api/v1/flow-definitions/{name}/route``. The pure
decision is ``flows.activation.evaluate``; this service only reads the flow, and starts the loop
through ``flows.services.loops.loop_start`` (which owns the transaction). A prediction that needs
no human is answered without writing anything.

What a started loop keeps
=========================

* ``HumanLoop.input_content`` (what the worker template sees as ``task.input``, and output.json's
  ``inputContent``):

  - built-in request source: A2I's four members (spec §20.2) ``aiServiceRequest`` (the service
    request, lowerCamelCase, with ``humanLoopConfig``), ``aiServiceResponse``,
    ``selectedAiServiceResponse`` and ``humanTaskActivationConditionResults``;
  - any model: ``{"input": <input>, "prediction": <prediction>, "selectedPrediction": {...}}``.

* ``HumanLoop.activation_results`` (read by calibration; see ``ACTIVATION_RESULTS``)::

    {"requestSource": "" | "<source>",
     "humanTaskActivationConditionResults": <tree> | null,
     "activationReasons": ["Conditions[0]: PredictionConfidenceCheck", ...],
     "prediction": <the prediction / service response as given>,
     "samplingWeight": 1.0}

  ``samplingWeight`` is the inverse of the probability that this prediction was reviewed, given
  what its checks decided (``review_probability``): 1 when a check fired on its own, ``100 / p``
  when only a ``Sampling`` of ``p`` percent could have picked it. Calibration weighs loops by it,
  so a flow that reviews its confident predictions by sampling gets an unbiased curve.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from flows import activation, validation
from flows.errors import InvalidInput
from flows.models import FlowDefinition, HumanLoop
from flows.selectors.definitions import flow_get
from flows.services.loops import loop_start
from workforce.models import Organization

#: The keys of ``HumanLoop.activation_results`` written by routing (a public shape for readers).
ACTIVATION_RESULTS = (
    "requestSource",
    "humanTaskActivationConditionResults",
    "activationReasons",
    "prediction",
    "samplingWeight",
)
#: HumanLoopActivationReasons of the built-in services when conditions decided.
CONDITIONS_EVALUATION = "ConditionsEvaluation"


@dataclass(frozen=True)
class RouteResult:
    flow: FlowDefinition
    evaluation: activation.Evaluation
    loop: HumanLoop | None
    #: False when an identical earlier call had already started this loop.
    created: bool

    @property
    def human_loop_started(self) -> bool:
        return self.loop is not None

    @property
    def built_in(self) -> bool:
        return bool(self.flow.request_source)

    def activation_output(self) -> dict[str, Any]:
        """``HumanLoopActivationOutput`` as Textract and Rekognition return it (spec §18.6)."""
        out: dict[str, Any] = {}
        if self.loop is not None:
            out["HumanLoopArn"] = self.loop.arn
            out["HumanLoopActivationReasons"] = (
                [CONDITIONS_EVALUATION] if self.evaluation.results is not None else self.evaluation.reasons
            )
        if self.evaluation.results is not None:
            out["HumanLoopActivationConditionsEvaluationResults"] = json.dumps(
                self.evaluation.results, separators=(",", ":")
            )
        return out


def review_probability(tree: dict[str, Any]) -> float:
    """How likely this prediction was to be reviewed, given what its checks decided: each check
    leaf counts as its ``EvaluationResult`` (0 or 1), each ``Sampling`` leaf as its percentage;
    ``Or`` and the top level combine as independent chances, ``And`` as a product (inside an
    ``And`` the draw is per inference: the product is the chance for one inference, a lower
    bound)."""

    def q(node: dict[str, Any]) -> float:
        if "ConditionType" in node:
            if node["ConditionType"] == activation.SAMPLING:
                return float(node["ConditionParameters"]["RandomSamplingPercentage"]) / 100
            return 1.0 if node.get("EvaluationResult") else 0.0
        if "And" in node:
            product = 1.0
            for child in node["And"]:
                product *= q(child)
            return product
        miss = 1.0
        for child in node.get("Or", []):
            miss *= 1 - q(child)
        return 1 - miss

    miss = 1.0
    for node in tree.get("Conditions", []):
        miss *= 1 - q(node)
    return 1 - miss


def sampling_weight(results: dict[str, Any] | None) -> float:
    """How many predictions a reviewed one stands for: ``1 / review_probability`` (1 without
    conditions: every prediction is reviewed)."""
    if results is None:
        return 1.0
    probability = review_probability(results)
    return 1.0 / probability if probability > 0 else 1.0


def _object(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput(f"'{field}' must be a JSON object.", field=field)
    return value


def _built_in_input(
    *, flow: FlowDefinition, name: str, request: Any, response: Any, ev: activation.Evaluation, classifiers: list[str]
) -> dict[str, Any]:
    ai_request = activation.lower_camel(request)
    config = dict(ai_request.get("humanLoopConfig") or {})
    config.setdefault("flowDefinitionArn", flow.arn)
    config.setdefault("humanLoopName", name)
    if classifiers:
        config.setdefault("dataAttributes", {"contentClassifiers": classifiers})
    ai_request["humanLoopConfig"] = config
    return {
        "aiServiceRequest": ai_request,
        "aiServiceResponse": activation.lower_camel(response),
        "selectedAiServiceResponse": ev.selected,
        "humanTaskActivationConditionResults": ev.results if ev.results is not None else {},
    }


def flow_route(
    *,
    organization: Organization,
    flow_name: str,
    human_loop_name: Any,
    input: Any,
    prediction: Any,
    content_classifiers: Any = None,
) -> RouteResult:
    """Evaluate the flow's activation conditions on ``prediction`` (for ``input``) and start the
    loop ``human_loop_name`` when they hold; otherwise write nothing.

    For a built-in request source, ``input`` is the service request and ``prediction`` its
    response. Raises ``NotFound`` (no such flow), ``InvalidInput`` (bad name, input or
    prediction; a flow that cannot start loops), and what ``loop_start`` raises (``Conflict``
    for the same name with other content). A retried call with the same content returns the
    same loop (``created=False``).
    """
    flow = flow_get(organization=organization, name=flow_name)
    validation.human_loop_name(human_loop_name)
    request = _object(input, "input")
    response = _object(prediction, "prediction")
    classifiers = [] if content_classifiers is None else validation.content_classifiers(content_classifiers)
    conditions = (
        activation.conditions_validate(flow.activation_conditions, flow.request_source or None)
        if flow.activation_conditions
        else None
    )
    seed = getattr(settings, "LOUPE_ACTIVATION_SEED", "")
    ev = activation.evaluate(
        conditions, request_source=flow.request_source or None, request=request, response=response, seed=seed
    )
    if not ev.human_loop_needed:
        return RouteResult(flow=flow, evaluation=ev, loop=None, created=False)
    if flow.request_source:
        content: dict[str, Any] = _built_in_input(
            flow=flow, name=human_loop_name, request=request, response=response, ev=ev, classifiers=classifiers
        )
    else:
        content = {"input": request, "prediction": response, "selectedPrediction": ev.selected}
    try:
        text = json.dumps(content, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError as exc:
        raise InvalidInput(f"'prediction' is not plain JSON: {exc}", field="prediction") from None
    results = {
        "requestSource": flow.request_source,
        "humanTaskActivationConditionResults": ev.results,
        "activationReasons": ev.reasons,
        "prediction": response,
        "samplingWeight": sampling_weight(ev.results),
    }
    loop, created = loop_start(
        organization=organization,
        name=human_loop_name,
        flow_definition_arn=flow.arn,
        input_content=text,
        content_classifiers=classifiers,
        activation_results=results,
    )
    return RouteResult(flow=flow, evaluation=ev, loop=loop, created=created)
