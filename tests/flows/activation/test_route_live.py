"""The route call against the real server (`manage.py serve`), then the loop seen through boto3."""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.conftest import make_org
from tests.flows.activation.factories import flow_with_conditions

CONDITIONS = {
    "Conditions": [
        {
            "ConditionType": "PredictionConfidenceCheck",
            "ConditionParameters": {"Path": "$.score", "ConfidenceLessThan": 0.8},
        }
    ]
}


def _post(url: str, header: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Authorization": header, "Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.loads(response.read())


@pytest.mark.django_db(transaction=True)
def test_route_starts_a_loop_that_a2i_clients_see(live_server_url: str) -> None:
    org = make_org()
    flow = flow_with_conditions(org.organization, CONDITIONS)
    url = f"{live_server_url}/api/v1/flow-definitions/{flow.name}/route"
    # when a confident prediction and a doubtful one are routed
    final_status, final = _post(
        url, org.api_key_header, {"humanLoopName": "ok-1", "input": {"i": 1}, "prediction": {"score": 0.95}}
    )
    started_status, started = _post(
        url, org.api_key_header, {"humanLoopName": "doubt-1", "input": {"i": 2}, "prediction": {"score": 0.4}}
    )
    # then the first is final and the second is a loop that DescribeHumanLoop knows
    assert (final_status, final["humanLoopStarted"]) == (200, False)
    assert (started_status, started["humanLoopStarted"]) == (201, True)
    a2i = org.boto3_client("sagemaker-a2i-runtime", live_server_url)
    described = a2i.describe_human_loop(HumanLoopName="doubt-1")
    assert described["HumanLoopArn"] == started["humanLoopArn"]
    assert described["HumanLoopStatus"] == "InProgress"
    names = [s["HumanLoopName"] for s in a2i.list_human_loops(FlowDefinitionArn=flow.arn)["HumanLoopSummaries"]]
    assert names == ["doubt-1"]
