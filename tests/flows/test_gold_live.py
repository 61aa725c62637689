"""Gold items over real HTTP against the live server: added over REST, met by workers through the
worker API like any task, absent from A2I's ListHumanLoops / DescribeHumanLoop through boto3."""

from __future__ import annotations

import pytest
import requests
from botocore.exceptions import ClientError

from flows.models import HumanLoop, HumanLoopStatus
from flows.services.gold import GOLD_NAME_PREFIX, flow_quality_compute
from tests.conftest import make_org
from tests.flows.aws.helpers import clients, create_flow, error_code, start
from tests.flows.work.factories import worker_factory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pw-W0rker-123!"


def test_gold_items_are_served_to_workers_and_never_listed_by_a2i(live_server_url: str) -> None:
    org = make_org()
    sm, a2i = clients(org, live_server_url)
    flow_arn = create_flow(sm, org, "gold-flow", TaskCount=1)
    rest = requests.Session()
    rest.headers["Authorization"] = org.api_key_header
    # one customer loop, and two gold items with a known label
    start(a2i, flow_arn, "img-1", {"img": "s3://b/1.png"})
    created = rest.post(
        f"{live_server_url}/api/v1/flow-definitions/gold-flow/gold-items",
        json={
            "items": [
                {
                    "input_content": {"img": "s3://b/g1.png"},
                    "answer": {"label": "cat"},
                    "replicas": 2,
                    "alias": "img-2",
                },
                {"input_content": {"img": "s3://b/g2.png"}, "answer": {"label": "dog"}, "replicas": 2},
            ]
        },
        timeout=30,
    )
    assert created.status_code == 200, created.text
    assert [r["status"] for r in created.json()["results"]] == ["created", "created"]
    # two workers take everything through the worker API: one right, one wrong on the gold items
    right, wrong = worker_factory(org), worker_factory(org)
    for worker, good in ((right, True), (wrong, False)):
        with requests.Session() as http:
            token = http.post(
                f"{live_server_url}/api/v1/worker/token", json={"email": worker.email, "password": PASSWORD}, timeout=30
            )
            assert token.status_code == 200, token.text
            http.headers["Authorization"] = f"Token {token.json()['token']}"
            names = []
            while True:
                claimed = http.post(f"{live_server_url}/api/v1/worker/tasks/claim", json={}, timeout=30)
                if claimed.status_code == 204:
                    break
                assert claimed.status_code == 200, claimed.text
                task = claimed.json()
                names.append(task["human_loop_name"])
                truth = "dog" if task["input_content"]["img"].endswith("g2.png") else "cat"
                answer = truth if good else ("cat" if truth == "dog" else "dog")
                done = http.post(
                    f"{live_server_url}/api/v1/worker/tasks/{task['task_id']}/submit",
                    json={"answerContent": {"label": answer}},
                    timeout=30,
                )
                assert done.status_code == 200, done.text
            assert not any(n.startswith(GOLD_NAME_PREFIX) for n in names)
            # oldest first; the customer loop (TaskCount 1) went to the first worker only
            expected = ["img-1", "img-2"] if good else ["img-2"]
            assert names[:-1] == expected
            assert len(names[-1]) == 36  # the second gold item's default alias, a UUID
    gold = list(HumanLoop.objects.filter(flow_definition__name="gold-flow", is_gold=True))
    assert [g.status for g in gold] == [HumanLoopStatus.COMPLETED] * 2
    assert all(not g.output_uri for g in gold)
    # A2I sees only the customer's loop
    listed = a2i.list_human_loops(FlowDefinitionArn=flow_arn)["HumanLoopSummaries"]
    assert [s["HumanLoopName"] for s in listed] == ["img-1"]
    with pytest.raises(ClientError) as err:
        a2i.describe_human_loop(HumanLoopName=gold[0].name)
    assert error_code(err.value) in ("ValidationException", "ResourceNotFoundException")
    with pytest.raises(ClientError) as err:
        a2i.describe_human_loop(HumanLoopName="img-2")  # the alias is not a loop of the customer's
    assert error_code(err.value) == "ResourceNotFoundException"
    # a customer loop may take the alias's name
    start(a2i, flow_arn, "img-2", {"img": "s3://b/2.png"})
    assert a2i.describe_human_loop(HumanLoopName="img-2")["HumanLoopStatus"] == "InProgress"
    # and the scores come out right
    flow_quality_compute(flow_id=gold[0].flow_definition_id)
    quality = rest.get(f"{live_server_url}/api/v1/flow-definitions/gold-flow/worker-quality", timeout=30)
    assert quality.status_code == 200, quality.text
    rows = {r["worker_id"]: r for r in quality.json()["results"]}
    assert (rows[right.worker_id]["gold_answers"], rows[right.worker_id]["accuracy"]) == (2, 1.0)
    assert (rows[wrong.worker_id]["gold_answers"], rows[wrong.worker_id]["accuracy"]) == (2, 0.0)
    rest.close()
