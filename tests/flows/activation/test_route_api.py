"""POST /api/v1/flow-definitions/{name}/route, through HTTP (API key, problem bodies, loops started)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from flows.activation import REKOGNITION, TEXTRACT
from flows.errors import InvalidInput
from flows.models import HumanLoop, Task
from tests.conftest import Org
from tests.flows.activation.factories import (
    flow_with_conditions,
    rekognition_request,
    rekognition_response,
    textract_request,
    textract_response,
)

pytestmark = pytest.mark.django_db

LOW_SCORE = {
    "Conditions": [
        {
            "ConditionType": "PredictionConfidenceCheck",
            "ConditionParameters": {"Path": "$.score", "ConfidenceLessThan": 0.8},
        },
        {"ConditionType": "LabelInSet", "ConditionParameters": {"Path": "$.label", "Labels": ["weapon"]}},
    ]
}


def _client(org: Org) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=org.api_key_header)
    return client


def _route(org: Org, flow: str, body: dict[str, Any], client: APIClient | None = None) -> Any:
    return (client or _client(org)).post(f"/api/v1/flow-definitions/{flow}/route", body, format="json")


def test_a_confident_prediction_is_returned_as_final_and_nothing_is_written(org: Org) -> None:
    flow = flow_with_conditions(org.organization, LOW_SCORE)
    prediction = {"label": "cat", "score": 0.93}
    # when
    response = _route(org, flow.name, {"humanLoopName": "item-1", "input": {"id": 1}, "prediction": prediction})
    # then
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["humanLoopStarted"] is False
    assert body["prediction"] == prediction
    assert [c["EvaluationResult"] for c in body["evaluation"]["Conditions"]] == [False, False]
    assert "HumanLoopActivationOutput" not in body
    assert HumanLoop.objects.count() == 0


def test_a_doubtful_prediction_starts_a_loop_and_says_which_conditions_fired(org: Org) -> None:
    flow = flow_with_conditions(org.organization, LOW_SCORE)
    prediction = {"label": "weapon", "score": 0.5}
    # when
    response = _route(org, flow.name, {"humanLoopName": "item-2", "input": {"id": 2}, "prediction": prediction})
    # then
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["humanLoopStarted"] is True
    assert body["humanLoopArn"] == f"arn:aws:sagemaker:{org.region}:{org.account_id}:human-loop/item-2"
    assert body["activationReasons"] == ["Conditions[0]: PredictionConfidenceCheck", "Conditions[1]: LabelInSet"]
    assert "prediction" not in body
    loop = HumanLoop.objects.get(name="item-2")
    assert Task.objects.filter(loop=loop).count() == 1
    # and the loop keeps the input, the prediction (for the reviewer and for calibration)
    assert json.loads(loop.input_content) == {
        "input": {"id": 2},
        "prediction": prediction,
        "selectedPrediction": {"$.score": 0.5, "$.label": "weapon"},
    }
    assert loop.activation_results["prediction"] == prediction
    assert loop.activation_results["samplingWeight"] == 1.0
    assert loop.activation_results["activationReasons"] == body["activationReasons"]


def test_the_same_call_again_returns_the_same_loop_and_other_content_is_a_conflict(org: Org) -> None:
    flow = flow_with_conditions(org.organization, LOW_SCORE)
    body = {"humanLoopName": "item-3", "input": {"id": 3}, "prediction": {"label": "dog", "score": 0.1}}
    assert _route(org, flow.name, body).status_code == 201
    # when
    again = _route(org, flow.name, body)
    other = _route(org, flow.name, {**body, "prediction": {"label": "dog", "score": 0.2}})
    # then
    assert again.status_code == 200
    assert again.json()["humanLoopArn"].endswith("/item-3")
    assert other.status_code == 409
    assert other["Content-Type"] == "application/problem+json"
    assert HumanLoop.objects.count() == 1


def test_a_flow_without_conditions_reviews_every_prediction(org: Org) -> None:
    flow = flow_with_conditions(org.organization, None)
    response = _route(org, flow.name, {"humanLoopName": "item-4", "input": {}, "prediction": {"score": 0.99}})
    assert response.status_code == 201
    assert response.json()["evaluation"] is None


def test_rekognition_flow_answers_with_the_activation_output_and_builds_the_built_in_input(org: Org) -> None:
    doc = {
        "Conditions": [
            {
                "ConditionType": "ModerationLabelConfidenceCheck",
                "ConditionParameters": {"ModerationLabelName": "*", "ConfidenceLessThanEquals": 80},
            }
        ]
    }
    flow = flow_with_conditions(org.organization, doc, request_source=REKOGNITION)
    service_response = rekognition_response(("Violence", 71.2), ("Drugs", 95.0))
    # when
    response = _route(
        org,
        flow.name,
        {
            "humanLoopName": "img-7731",
            "input": rekognition_request("7731.jpg"),
            "prediction": service_response,
            "contentClassifiers": ["FreeOfAdultContent"],
        },
    )
    # then
    assert response.status_code == 201, response.content
    output = response.json()["HumanLoopActivationOutput"]
    assert output["HumanLoopArn"].endswith(":human-loop/img-7731")
    assert output["HumanLoopActivationReasons"] == ["ConditionsEvaluation"]
    tree = json.loads(output["HumanLoopActivationConditionsEvaluationResults"])
    assert tree["Conditions"][0]["EvaluationResult"] is True
    content = json.loads(HumanLoop.objects.get(name="img-7731").input_content)
    assert content == {
        "aiServiceRequest": {
            "image": {"s3Object": {"bucket": "imgs", "name": "7731.jpg"}},
            "humanLoopConfig": {
                "flowDefinitionArn": flow.arn,
                "humanLoopName": "img-7731",
                "dataAttributes": {"contentClassifiers": ["FreeOfAdultContent"]},
            },
        },
        "aiServiceResponse": {
            "moderationLabels": [
                {"confidence": 71.2, "name": "Violence", "parentName": ""},
                {"confidence": 95.0, "name": "Drugs", "parentName": ""},
            ],
            "moderationModelVersion": "3.0",
        },
        "selectedAiServiceResponse": {
            "moderationLabels": [{"confidence": 71.2, "name": "Violence", "parentName": ""}],
            "moderationModelVersion": "3.0",
        },
        "humanTaskActivationConditionResults": tree,
    }


def test_textract_flow_that_needs_no_human_returns_the_evaluation_without_a_loop(org: Org) -> None:
    doc = {
        "Conditions": [
            {"ConditionType": "MissingImportantFormKey", "ConditionParameters": {"ImportantFormKey": "Total Due"}},
        ]
    }
    flow = flow_with_conditions(org.organization, doc, request_source=TEXTRACT)
    service_response = textract_response(("Total Due", 99.0, 99.0, "42.00", 99.0))
    response = _route(
        org, flow.name, {"humanLoopName": "doc-1", "input": textract_request(), "prediction": service_response}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["humanLoopStarted"] is False
    assert body["prediction"] == service_response
    output = body["HumanLoopActivationOutput"]
    assert "HumanLoopArn" not in output
    assert (
        json.loads(output["HumanLoopActivationConditionsEvaluationResults"])["Conditions"][0]["EvaluationResult"]
        is False
    )


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"input": {}, "prediction": {}}, 400, "humanLoopName"),
        ({"humanLoopName": "Bad Name", "input": {}, "prediction": {}}, 400, "humanLoopName"),
        ({"humanLoopName": "ok", "input": [1], "prediction": {}}, 400, "input"),
        ({"humanLoopName": "ok", "input": {}, "prediction": "cat"}, 400, "prediction"),
        ({"humanLoopName": "ok", "input": {}, "prediction": {}, "extra": 1}, 400, "extra"),
    ],
)
def test_bad_bodies_get_a_problem_naming_the_field(org: Org, body: dict[str, Any], status: int, field: str) -> None:
    flow = flow_with_conditions(org.organization, LOW_SCORE)
    response = _route(org, flow.name, body)
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    assert field in response.json()["errors"]
    assert HumanLoop.objects.count() == 0


def test_unknown_flow_is_404_and_another_org_cannot_route_through_my_flow(org: Org, other_org: Org) -> None:
    flow = flow_with_conditions(org.organization, LOW_SCORE)
    body = {"humanLoopName": "x", "input": {}, "prediction": {"score": 0.1}}
    assert _route(org, "no-such-flow", body).status_code == 404
    assert _route(other_org, flow.name, body).status_code == 404
    assert HumanLoop.objects.count() == 0


def test_without_credentials_the_call_is_refused(org: Org) -> None:
    flow = flow_with_conditions(org.organization, LOW_SCORE)
    response = _route(org, flow.name, {"humanLoopName": "x", "input": {}, "prediction": {}}, client=APIClient())
    assert response.status_code in (401, 403)
    assert HumanLoop.objects.count() == 0
    assert response["Content-Type"] == "application/problem+json"


def test_create_flow_definition_refuses_invalid_conditions_with_the_offending_part(org: Org) -> None:
    doc = {
        "Conditions": [
            {
                "Or": [
                    {"ConditionType": "Sampling", "ConditionParameters": {"RandomSamplingPercentage": 0}},
                    LOW_SCORE["Conditions"][0],
                ]
            }
        ]
    }
    with pytest.raises(InvalidInput) as caught:
        flow_with_conditions(org.organization, doc)
    assert "Conditions[0].Or[0].ConditionParameters.RandomSamplingPercentage must be between 0.01 and 100" in (
        caught.value.message
    )


def test_the_route_is_in_the_openapi_schema(org: Org) -> None:
    schema = _client(org).get("/api/schema/?format=json")
    assert schema.status_code == 200
    operation = schema.json()["paths"]["/api/v1/flow-definitions/{name}/route"]["post"]
    assert operation["operationId"] == "flow_definitions_route"
    assert {"200", "201", "400", "404", "409"} <= set(operation["responses"])
