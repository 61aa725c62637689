"""POST /api/v1/flow-definitions/{name}/route: does this prediction need a human? And
GET /api/v1/flow-definitions/{name}/calibration: which threshold reaches a target accuracy?

The model pipeline sends ``{"humanLoopName", "input", "prediction"}``. The flow's activation
conditions are evaluated (``flows.activation``); the answer is either the prediction, final
(``humanLoopStarted: false``), or a started loop and the conditions that fired. For a flow with a
built-in request source (Textract AnalyzeDocument, Rekognition DetectModerationLabels) ``input``
is the service request and ``prediction`` its response, and the answer also carries
``HumanLoopActivationOutput`` exactly as those services return it.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from flows.api.common import ORGANIZATION_PARAMETER, EngineerApi, StrictInputSerializer, problems, validated
from flows.calibration import Calibration, thin
from flows.selectors.calibration import CalibrationPaths, flow_calibration
from flows.services.routing import RouteResult, flow_route


class RouteInputSerializer(StrictInputSerializer):
    humanLoopName = serializers.CharField(
        trim_whitespace=False, help_text="Name of the loop to start if a human is needed."
    )
    input = serializers.JSONField(help_text="The model's input (built-in sources: the service request).")
    prediction = serializers.JSONField(help_text="The model's output (built-in sources: the service response).")
    contentClassifiers = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="A2I content classifiers for the loop."
    )


class ActivationOutputSerializer(serializers.Serializer):
    HumanLoopArn = serializers.CharField(required=False)
    HumanLoopActivationReasons = serializers.ListField(child=serializers.CharField(), required=False)
    HumanLoopActivationConditionsEvaluationResults = serializers.CharField(
        required=False, help_text="The evaluation tree as a JSON string."
    )


class RouteOutputSerializer(serializers.Serializer):
    humanLoopStarted = serializers.BooleanField()
    humanLoopArn = serializers.CharField(required=False, help_text="When a loop was started.")
    activationReasons = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="The conditions that fired, e.g. 'Conditions[0]: ...'."
    )
    prediction = serializers.JSONField(required=False, help_text="When no loop was started: the final prediction.")
    evaluation = serializers.JSONField(
        allow_null=True, help_text="The conditions tree with EvaluationResult on every node (null: no conditions)."
    )
    HumanLoopActivationOutput = ActivationOutputSerializer(
        required=False, help_text="Built-in request sources only: as Textract / Rekognition return it."
    )


def route_response(result: RouteResult, prediction: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"humanLoopStarted": result.human_loop_started}
    if result.loop is not None:
        body["humanLoopArn"] = result.loop.arn
        body["activationReasons"] = result.evaluation.reasons
    else:
        body["prediction"] = prediction
    body["evaluation"] = result.evaluation.results
    if result.built_in:
        body["HumanLoopActivationOutput"] = result.activation_output()
    return body


class FlowRouteApi(EngineerApi):
    """Evaluate the flow's activation conditions on one prediction; start a loop if they hold."""

    field_aliases = {"humanLoopName": "humanLoopName", "flowDefinitionName": "name"}

    @extend_schema(
        operation_id="flow_definitions_route",
        tags=["flow definitions"],
        parameters=[ORGANIZATION_PARAMETER],
        request=RouteInputSerializer,
        responses={
            200: RouteOutputSerializer,
            201: RouteOutputSerializer,
            **problems(400, 404, 409, 429),
        },
        description=(
            "200 with humanLoopStarted=false: the prediction is final. 201 with humanLoopStarted=true: a loop "
            "was started (200 when an identical earlier call had started it)."
        ),
        examples=[
            OpenApiExample(
                "Any model",
                request_only=True,
                value={
                    "humanLoopName": "img-42",
                    "input": {"image": "s3://b/42.png"},
                    "prediction": {"label": "cat", "score": 0.62},
                },
            ),
        ],
    )
    def post(self, request: Request, name: str) -> Response:
        v = validated(RouteInputSerializer, request.data)
        result = flow_route(
            organization=self.organization,
            flow_name=name,
            human_loop_name=v["humanLoopName"],
            input=v["input"],
            prediction=v["prediction"],
            content_classifiers=v.get("contentClassifiers"),
        )
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(route_response(result, v["prediction"]), status=code)


class CalibrationQuerySerializer(StrictInputSerializer):
    target = serializers.FloatField(
        required=False, default=0.99, min_value=0.0, max_value=1.0, help_text="Target accuracy in (0, 1]."
    )
    confidence_path = serializers.CharField(required=False, help_text="JSON path of the confidence in the prediction.")
    label_path = serializers.CharField(required=False, help_text="JSON path of the label in the prediction.")
    answer_path = serializers.CharField(required=False, help_text="JSON path of the label in a worker's answer.")
    conservative = serializers.BooleanField(
        required=False,
        default=True,
        help_text="true: the recommended threshold reaches the target at the accuracy's lower 95 % bound "
        "(holds on unseen predictions); false: at the accuracy observed on the reviewed loops.",
    )

    def validate_target(self, value: float) -> float:
        if value <= 0:
            raise serializers.ValidationError("Ensure this value is greater than 0.")
        return value


class CalibrationPointSerializer(serializers.Serializer):
    threshold = serializers.FloatField(help_text="Review when confidence < threshold.")
    reviewRate = serializers.FloatField()
    accuracy = serializers.FloatField()
    accuracyLowerBound = serializers.FloatField(help_text="One-sided 95 % lower bound of the accuracy.")


class CalibrationOutputSerializer(serializers.Serializer):
    flowDefinitionName = serializers.CharField()
    target = serializers.FloatField()
    conservative = serializers.BooleanField()
    loops = serializers.IntegerField(help_text="Completed, routed loops with a confidence and a human label.")
    modelAccuracy = serializers.FloatField(allow_null=True, help_text="Accuracy with no review.")
    paths = serializers.DictField(child=serializers.CharField())
    recommended = CalibrationPointSerializer(allow_null=True)
    condition = serializers.JSONField(
        allow_null=True, help_text="The activation condition that applies the recommended threshold."
    )
    curve = CalibrationPointSerializer(many=True, help_text="At most about 500 points, thresholds ascending.")


def calibration_body(flow_name: str, result: Calibration, paths: CalibrationPaths) -> dict[str, Any]:
    rec = result.recommended
    return {
        "flowDefinitionName": flow_name,
        "target": result.target,
        "conservative": result.bounded,
        "loops": result.items,
        "modelAccuracy": result.model_accuracy,
        "paths": {"confidence": paths.confidence, "label": paths.label, "answer": paths.answer},
        "recommended": rec.as_json() if rec else None,
        "condition": {
            "ConditionType": "PredictionConfidenceCheck",
            "ConditionParameters": {"Path": paths.confidence, "ConfidenceLessThan": rec.threshold},
        }
        if rec
        else None,
        "curve": [p.as_json() for p in thin(result.curve, keep=500, always=rec)],
    }


class FlowCalibrationApi(EngineerApi):
    """The accuracy / review-rate curve of a flow and the threshold that reaches a target."""

    @extend_schema(
        operation_id="flow_definitions_calibration",
        tags=["flow definitions"],
        parameters=[ORGANIZATION_PARAMETER, CalibrationQuerySerializer],
        responses={200: CalibrationOutputSerializer, **problems(400, 404)},
        description=(
            "From the flow's completed loops started by the route call: the human answer against the model's "
            "prediction and confidence. A threshold t means: review when confidence < t."
        ),
    )
    def get(self, request: Request, name: str) -> Response:
        q = validated(CalibrationQuerySerializer, request.query_params.dict())
        result, paths = flow_calibration(
            organization=self.organization,
            name=name,
            target=q["target"],
            paths={
                "confidence": q.get("confidence_path"),
                "label": q.get("label_path"),
                "answer": q.get("answer_path"),
            },
            conservative=q["conservative"],
        )
        return Response(calibration_body(name, result, paths))
