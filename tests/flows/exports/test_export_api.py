"""GET /api/v1/flow-definitions/{name}/export through HTTP: formats, resume, progress header, errors."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from flows.exports.writer import export_stream
from flows.models import HumanLoopStatus
from flows.services.loops import loop_start
from flows.services.work import task_claim, task_submit
from tests.conftest import Org
from tests.flows.activation.factories import flow_with_conditions
from workforce.services import worker_add

pytestmark = pytest.mark.django_db


def _answered_flow(org: Org, n: int, *, unanswered: int = 0) -> Any:
    flow = flow_with_conditions(org.organization, None)
    worker, _ = worker_add(organization=org.organization, email=f"w-{flow.name}@x.test", password="pw-W0rker-123!")
    for i in range(n + unanswered):
        loop_start(
            organization=org.organization,
            name=f"{flow.name}-{i}",
            flow_definition_arn=flow.arn,
            input_content=json.dumps({"taskObject": f"s3://imgs/{i}.png"}),
        )
    for i in range(n):
        task = task_claim(worker=worker, flow_definition=flow)
        assert task is not None
        box = {"label": "Dog" if i % 2 else "Cat", "left": i, "top": 2, "width": 10, "height": 20}
        task_submit(
            worker=worker,
            task_id=task.pk,
            answer_content={
                "annotatedResult": {"boundingBoxes": [box], "inputImageProperties": {"width": 100, "height": 50}}
            },
        )
    return flow


def _get(org: Org, flow: str, **params: str) -> Any:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=org.api_key_header)
    return client.get(f"/api/v1/flow-definitions/{flow}/export", params)


def _body(response: Any) -> str:
    return b"".join(response.streaming_content).decode()


def test_jsonl_streams_every_completed_loop_oldest_first_with_the_total(org: Org) -> None:
    flow = _answered_flow(org, 3, unanswered=1)
    # when
    response = _get(org, flow.name)
    # then
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/x-ndjson"
    assert response["Loupe-Export-Total"] == "3"
    assert response["Content-Disposition"] == f'attachment; filename="{flow.name}.jsonl"'
    lines = [json.loads(line) for line in _body(response).splitlines()]
    assert [x["humanLoopName"] for x in lines] == [f"{flow.name}-{i}" for i in range(3)]
    assert lines[0]["inputContent"] == {"taskObject": "s3://imgs/0.png"}
    assert lines[1]["humanAnswers"][0]["answerContent"]["annotatedResult"]["boundingBoxes"][0]["label"] == "Dog"
    # times as A2I writes them, in UTC, formatted by the database (SQLite and PostgreSQL alike)
    loop = flow.human_loops.get(name=f"{flow.name}-0")
    expected = (
        loop.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{loop.created_at.microsecond // 1000:03d}Z"
    )
    assert lines[0]["createdAt"] == expected
    answer = loop.answers.get()
    assert (
        lines[0]["humanAnswers"][0]["submissionTime"]
        == answer.submission_time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{answer.submission_time.microsecond // 1000:03d}Z"
    )
    assert lines[0]["humanAnswers"][0]["workerId"] == answer.worker.worker_id


def test_an_export_resumes_after_the_last_loop_received(org: Org) -> None:
    flow = _answered_flow(org, 4)
    # when the client got two lines and resumes
    response = _get(org, flow.name, format="manifest", after=f"{flow.name}-1")
    # then it gets the other two
    assert response["Loupe-Export-Total"] == "2"
    lines = [json.loads(line) for line in _body(response).splitlines()]
    assert [x[f"{flow.name}-metadata"]["human-loop-name"] for x in lines] == [f"{flow.name}-2", f"{flow.name}-3"]
    assert lines[0]["source-ref"] == "s3://imgs/2.png"
    assert lines[0][flow.name]["annotations"][0]["class_id"] == 0


def test_csv_and_coco(org: Org) -> None:
    flow = _answered_flow(org, 2)
    rows = list(csv.DictReader(io.StringIO(_body(_get(org, flow.name, format="csv")))))
    assert [r["humanLoopName"] for r in rows] == [f"{flow.name}-0", f"{flow.name}-1"]
    assert rows[0]["answerCount"] == "1"
    coco_response = _get(org, flow.name, format="coco")
    assert coco_response["Content-Type"] == "application/json"
    coco = json.loads(_body(coco_response))
    assert len(coco["images"]) == 2
    assert {c["name"] for c in coco["categories"]} == {"Cat", "Dog"}
    assert [a["bbox"] for a in coco["annotations"]] == [[0.0, 2.0, 10.0, 20.0], [1.0, 2.0, 10.0, 20.0]]
    assert {a["image_id"] for a in coco["annotations"]} == {i["id"] for i in coco["images"]}


def test_bad_queries_get_problem_bodies(org: Org) -> None:
    flow = _answered_flow(org, 1)
    assert _get(org, flow.name, format="xml").status_code == 400
    missing = _get(org, flow.name, after="no-such-loop")
    assert missing.status_code == 404
    assert "after" in missing.json()["errors"]
    assert _get(org, "no-such-flow").status_code == 404
    assert _get(org, flow.name, label_attribute="bad attr").status_code == 400


def test_reading_takes_one_query_per_batch_whatever_the_number_of_loops(org: Org) -> None:
    flow = _answered_flow(org, 6)
    assert flow.human_loops.filter(status=HumanLoopStatus.COMPLETED).count() == 6
    # when exporting in batches of 2 (3 full batches, then an empty read)
    with CaptureQueriesContext(connection) as queries:
        body = b"".join(export_stream(flow=flow, fmt="jsonl", batch=2))
    # then
    assert len(body.splitlines()) == 6
    assert len(queries) == 3 + 1


def test_the_export_is_in_the_openapi_schema(org: Org) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=org.api_key_header)
    schema = client.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/flow-definitions/{name}/export"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"format", "after", "label_attribute"}
    calibration = schema["paths"]["/api/v1/flow-definitions/{name}/calibration"]["get"]
    assert {p["name"] for p in calibration["parameters"]} >= {"target", "conservative"}
