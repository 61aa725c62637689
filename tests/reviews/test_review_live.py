"""The review stage end to end on a live ``manage.py serve``: boto3 creates the flow and starts a
loop, the review stage is turned on over REST, workers answer through the worker API, and
DescribeHumanLoop shows InProgress until a team lead corrects the answer; then it shows Completed
with an OutputS3Uri whose output.json (on moto's S3 server) carries the reviewed answer."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable

import pytest
import requests

from flows.models import HumanLoop
from tests import live
from tests.conftest import make_org
from tests.flows.results_helpers import moto_s3, s3_client
from tests.flows.work.factories import TEMPLATE, worker_factory
from tests.live import LiveServer
from workforce.models import Membership, Role

PASSWORD = "pw-W0rker-123!"


def wait_for(predicate: Callable[[], bool], *, timeout: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"Timed out after {timeout} s waiting for {what}")


def token(server: LiveServer, email: str) -> dict[str, str]:
    response = requests.post(
        f"{server.url}/api/v1/worker/token", json={"email": email, "password": PASSWORD}, timeout=30
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Token {response.json()['token']}"}


@pytest.mark.django_db(transaction=True)
def test_a_reviewed_loop_completes_only_after_the_correction_and_its_output_carries_it() -> None:
    with live.live_servers_paused(), moto_s3("review-out") as endpoint:
        env = {k: os.environ[k] for k in ("AWS_ENDPOINT_URL_S3", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
        server = LiveServer(extra_env=env)
        try:
            org = make_org()
            sm = org.boto3_client("sagemaker", server.url)
            a2i = org.boto3_client("sagemaker-a2i-runtime", server.url)
            rest = {"Authorization": org.api_key_header}
            # Given a flow made with boto3, TaskCount 2, and its review stage turned on over REST
            ui = sm.create_human_task_ui(HumanTaskUiName="label-ui", UiTemplate={"Content": TEMPLATE})
            flow = sm.create_flow_definition(
                FlowDefinitionName="reviewed-flow",
                RoleArn=f"arn:aws:iam::{org.account_id}:role/loupe",
                HumanLoopConfig={
                    "WorkteamArn": org.workteam.arn,
                    "HumanTaskUiArn": ui["HumanTaskUiArn"],
                    "TaskTitle": "Label",
                    "TaskDescription": "Label the text",
                    "TaskCount": 2,
                    "TaskAvailabilityLifetimeInSeconds": 3600,
                },
                OutputConfig={"S3OutputPath": "s3://review-out/a2i"},
            )
            put = requests.put(
                f"{server.url}/api/v1/flow-definitions/reviewed-flow/review",
                json={"enabled": True},
                headers=rest,
                timeout=30,
            )
            assert put.json() == {"enabled": True, "reviewer_workteam": None}, put.text
            a2i.start_human_loop(
                HumanLoopName="reviewed-1",
                FlowDefinitionArn=flow["FlowDefinitionArn"],
                HumanLoopInput={"InputContent": json.dumps({"text": "a small red fox"})},
            )
            workers = [worker_factory(org) for _ in range(2)]
            lead = worker_factory(org)
            Membership.objects.filter(organization=org.organization, user=lead).update(role=Role.TEAM_LEAD)
            # When both workers answer through the worker REST API
            for worker, label in zip(workers, ["cat", "dog"], strict=True):
                auth = token(server, worker.email)
                claimed = requests.post(f"{server.url}/api/v1/worker/tasks/claim", json={}, headers=auth, timeout=30)
                assert claimed.status_code == 200, claimed.text
                done = requests.post(
                    f"{server.url}/api/v1/worker/tasks/{claimed.json()['task_id']}/submit",
                    json={"answerContent": {"label": label}},
                    headers=auth,
                    timeout=30,
                )
                assert done.status_code == 200, done.text
            # Then the loop waits for review: InProgress, no output
            described = a2i.describe_human_loop(HumanLoopName="reviewed-1")
            assert described["HumanLoopStatus"] == "InProgress"
            assert "HumanLoopOutput" not in described or not described["HumanLoopOutput"].get("OutputS3Uri")
            lead_auth = token(server, lead.email)
            pending = requests.get(
                f"{server.url}/api/v1/reviews",
                params={"status": "pending", "flow_definition_name": "reviewed-flow"},
                headers=lead_auth,
                timeout=30,
            ).json()["results"]
            assert [r["human_loop_name"] for r in pending] == ["reviewed-1"]
            review_id = pending[0]["id"]
            proposed = pending[0]["proposed_answer"]
            time.sleep(1)
            assert a2i.describe_human_loop(HumanLoopName="reviewed-1")["HumanLoopStatus"] == "InProgress"
            # When the team lead corrects the answer
            corrected = requests.post(
                f"{server.url}/api/v1/reviews/{review_id}/correct",
                json={"answer": {"label": "fox"}, "note": "neither cat nor dog"},
                headers=lead_auth,
                timeout=30,
            )
            assert corrected.status_code == 200, corrected.text
            # Then DescribeHumanLoop shows Completed, and output.json lands with the reviewed answer
            done_loop = a2i.describe_human_loop(HumanLoopName="reviewed-1")
            assert done_loop["HumanLoopStatus"] == "Completed"
            uri = done_loop["HumanLoopOutput"]["OutputS3Uri"]
            assert uri.startswith("s3://review-out/a2i/reviewed-flow/")
            assert uri.endswith("/reviewed-1/output.json")
            wait_for(
                lambda: HumanLoop.objects.filter(name="reviewed-1", output_written=True).exists(),
                what=f"the output\n{server.log()[-3000:]}",
            )
        finally:
            server.stop()
        key = uri.removeprefix("s3://review-out/")
        doc = json.loads(s3_client(endpoint).get_object(Bucket="review-out", Key=key)["Body"].read())
        assert doc["humanLoopName"] == "reviewed-1"
        assert doc["flowDefinitionArn"] == flow["FlowDefinitionArn"]
        assert sorted(a["answerContent"]["label"] for a in doc["humanAnswers"]) == ["cat", "dog"]
        assert doc["inputContent"] == {"text": "a small red fox"}
        assert doc["loupeConsolidatedAnswer"] == {
            "answerContent": {"label": "fox"},
            "confidence": 1.0,
            "method": "review",
        }
        review = doc["loupeReview"]
        assert review["status"] == "corrected"
        assert review["reviewer"] == {"workerId": lead.worker_id}
        assert review["note"] == "neither cat nor dog"
        assert review["originalConsolidatedAnswer"] == proposed
