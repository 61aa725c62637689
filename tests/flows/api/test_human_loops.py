"""Human loops over REST: start, list (filters, cursor), describe, stop, delete; every bad input
answers a problem body and writes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from flows.models import HumanLoop, HumanLoopStatus, Task, TaskStatus
from tests.conftest import Org
from tests.flows.api.factories import key_client, problem_of
from tests.flows.services.factories import flow_factory, loop_factory

pytestmark = pytest.mark.django_db


def _start(client, **body):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/human-loops", body, format="json")


def test_start_creates_the_loop_and_its_tasks(org: Org) -> None:
    flow = flow_factory(org.organization, task_count=3)
    client = key_client(org)
    # when
    response = _start(
        client,
        name="review-1",
        flow_definition=flow.name,
        input_content={"text": "héllo", "score": 0.4},
        content_classifiers=["FreeOfPersonallyIdentifiableInformation"],
    )
    # then
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "review-1"
    assert body["arn"] == f"arn:aws:sagemaker:{org.region}:{org.account_id}:human-loop/review-1"
    assert body["status"] == "InProgress"
    assert body["flow_definition"] == flow.name
    assert body["flow_definition_arn"] == flow.arn
    assert body["input_content"] == {"text": "héllo", "score": 0.4}
    assert body["content_classifiers"] == ["FreeOfPersonallyIdentifiableInformation"]
    assert body["task_count"] == 3
    loop = HumanLoop.objects.get(name="review-1")
    assert Task.objects.filter(loop=loop, status=TaskStatus.OPEN).count() == 3


def test_start_takes_the_flow_arn_and_input_as_json_text(org: Org) -> None:
    flow = flow_factory(org.organization)
    # when
    response = _start(key_client(org), name="x", flow_definition=flow.arn, input_content='{"a": 1}')
    # then
    assert response.status_code == 201
    assert response.json()["input_content"] == {"a": 1}


def test_a_retried_start_answers_200_with_the_same_loop(org: Org) -> None:
    flow = flow_factory(org.organization, task_count=2)
    client = key_client(org)
    first = _start(client, name="again", flow_definition=flow.name, input_content={"a": 1})
    # when
    second = _start(client, name="again", flow_definition=flow.name, input_content={"a": 1})
    # then
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["arn"] == first.json()["arn"]
    assert HumanLoop.objects.count() == 1
    assert Task.objects.count() == 2


def test_the_same_name_with_other_input_is_a_409(org: Org) -> None:
    flow = flow_factory(org.organization)
    client = key_client(org)
    _start(client, name="taken", flow_definition=flow.name, input_content={"a": 1})
    # when
    response = _start(client, name="taken", flow_definition=flow.name, input_content={"a": 2})
    # then
    assert response.status_code == 409
    problem = problem_of(response)
    assert problem["code"] == "conflict"
    assert "name" in problem["errors"]
    assert HumanLoop.objects.get().input_content == '{"a": 1}'


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Bad_Name", "input_content": {}}, "name"),
        ({"name": "-x", "input_content": {}}, "name"),
        ({"name": "a" * 64, "input_content": {}}, "name"),
        ({"name": "ok", "input_content": [1]}, "input_content"),
        ({"name": "ok", "input_content": "not json"}, "input_content"),
        ({"name": "ok", "input_content": 5}, "input_content"),
        ({"name": "ok", "input_content": {"big": "x" * 3_145_728}}, "input_content"),
        ({"name": "ok", "input_content": {}, "content_classifiers": ["Nope"]}, "content_classifiers"),
        ({"name": "ok", "input_content": {}, "flow_definition": "missing-flow"}, "flow_definition"),
        ({"name": "ok", "input_content": {}, "flow_definition": "Not A Name"}, "flow_definition"),
        ({"name": "ok", "input_content": {}, "flow_definition": "arn:aws:sagemaker:x"}, "flow_definition"),
        ({"name": "ok", "input_content": {}, "extra": 1}, "extra"),
        ({"input_content": {}}, "name"),
        ({"name": "ok"}, "input_content"),
    ],
)
def test_bad_input_is_a_400_problem_and_writes_nothing(org: Org, body: dict, field: str) -> None:
    flow = flow_factory(org.organization)
    body = {"flow_definition": flow.name, **body}
    # when
    response = _start(key_client(org), **body)
    # then
    assert response.status_code == 400, response.content[:300]
    problem = problem_of(response)
    assert field in problem["errors"] or any(k.startswith(field) for k in problem["errors"]), problem
    assert not HumanLoop.objects.exists()
    assert not Task.objects.exists()


def test_a_body_that_is_not_json_is_a_400_problem(org: Org) -> None:
    response = key_client(org).post("/api/v1/human-loops", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert problem_of(response)["code"] == "parse_error"


def test_describe_shows_the_loop(org: Org) -> None:
    flow = flow_factory(org.organization)
    loop_factory(org.organization, flow, name="seen", text="hi")
    # when
    response = key_client(org).get("/api/v1/human-loops/seen")
    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["status"], body["input_content"]) == ("seen", "InProgress", {"text": "hi"})
    assert body["output_uri"] == ""
    assert body["completed_at"] is None


def test_describe_an_unknown_loop_is_a_404_problem(org: Org) -> None:
    response = key_client(org).get("/api/v1/human-loops/nobody")
    assert response.status_code == 404
    assert problem_of(response)["code"] == "not_found"


def test_stop_then_delete(org: Org) -> None:
    flow = flow_factory(org.organization, task_count=2)
    loop_factory(org.organization, flow, name="short")
    client = key_client(org)
    # when
    stopped = client.post("/api/v1/human-loops/short/stop")
    deleted = client.delete("/api/v1/human-loops/short")
    # then
    assert stopped.status_code == 200
    assert stopped.json()["status"] == "Stopped"
    assert deleted.status_code == 204
    assert client.get("/api/v1/human-loops/short").status_code == 404
    assert set(Task.objects.values_list("status", flat=True)) == {TaskStatus.CLOSED}


def test_deleting_a_loop_in_progress_is_a_400_and_keeps_it(org: Org) -> None:
    flow = flow_factory(org.organization)
    loop_factory(org.organization, flow, name="busy")
    # when
    response = key_client(org).delete("/api/v1/human-loops/busy")
    # then
    assert response.status_code == 400
    assert problem_of(response)["code"] == "wrong_state"
    assert HumanLoop.objects.get(name="busy").deleted_at is None


def test_stop_and_delete_unknown_loops_are_404(org: Org) -> None:
    client = key_client(org)
    assert problem_of(client.post("/api/v1/human-loops/ghost/stop"))["status"] == 404
    assert problem_of(client.delete("/api/v1/human-loops/ghost"))["status"] == 404


def test_a_loop_named_batch_is_reachable(org: Org) -> None:
    flow = flow_factory(org.organization)
    loop_factory(org.organization, flow, name="batch")
    client = key_client(org)
    # when
    described = client.get("/api/v1/human-loops/batch")
    client.post("/api/v1/human-loops/batch/stop")
    deleted = client.delete("/api/v1/human-loops/batch")
    # then
    assert described.status_code == 200
    assert described.json()["name"] == "batch"
    assert deleted.status_code == 204
    assert HumanLoop.objects.get(name="batch").deleted_at is not None


def _names(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.content
    return [item["name"] for item in response.json()["results"]]


def test_list_filters_by_status_flow_name_and_creation_time(org: Org) -> None:
    flow = flow_factory(org.organization, name="flow-a")
    other = flow_factory(org.organization, name="flow-b")
    for name in ("cat-1", "cat-2", "dog-1"):
        loop_factory(org.organization, flow, name=name)
    loop_factory(org.organization, other, name="cat-3")
    HumanLoop.objects.filter(name="cat-2").update(status=HumanLoopStatus.STOPPED)
    old = timezone.now() - timedelta(days=2)
    HumanLoop.objects.filter(name="dog-1").update(created_at=old)
    client = key_client(org)
    # then
    assert _names(client.get("/api/v1/human-loops")) == ["cat-3", "cat-2", "cat-1", "dog-1"]
    assert _names(client.get("/api/v1/human-loops", {"order": "ascending"})) == ["dog-1", "cat-1", "cat-2", "cat-3"]
    assert _names(client.get("/api/v1/human-loops", {"status": "Stopped"})) == ["cat-2"]
    assert _names(client.get("/api/v1/human-loops", {"flow_definition": "flow-b"})) == ["cat-3"]
    assert _names(client.get("/api/v1/human-loops", {"name": "cat"})) == ["cat-3", "cat-2", "cat-1"]
    day_ago = (timezone.now() - timedelta(days=1)).isoformat()
    assert _names(client.get("/api/v1/human-loops", {"created_before": day_ago})) == ["dog-1"]
    assert "dog-1" not in _names(client.get("/api/v1/human-loops", {"created_after": day_ago}))


def test_list_leaves_deleted_loops_out(org: Org) -> None:
    flow = flow_factory(org.organization)
    loop_factory(org.organization, flow, name="kept")
    loop_factory(org.organization, flow, name="gone")
    HumanLoop.objects.filter(name="gone").update(deleted_at=timezone.now(), status=HumanLoopStatus.STOPPED)
    assert _names(key_client(org).get("/api/v1/human-loops")) == ["kept"]


def test_list_pages_with_a_cursor(org: Org) -> None:
    flow = flow_factory(org.organization)
    for i in range(5):
        loop_factory(org.organization, flow, name=f"loop-{i}")
    client = key_client(org)
    # when
    seen: list[str] = []
    url: str | None = "/api/v1/human-loops?page_size=2"
    pages = 0
    while url:
        response = client.get(url)
        seen += _names(response)
        url = response.json()["next"]
        pages += 1
    # then
    assert pages == 3
    assert seen == [f"loop-{i}" for i in (4, 3, 2, 1, 0)]


@pytest.mark.parametrize(
    "query",
    [
        {"status": "Running"},
        {"created_after": "yesterday"},
        {"page_size": "0"},
        {"page_size": "5000"},
        {"order": "sideways"},
        {"cursor": "garbage"},
    ],
)
def test_bad_list_filters_are_problems(org: Org, query: dict) -> None:
    response = key_client(org).get("/api/v1/human-loops", query)
    assert response.status_code in (400, 404)
    problem_of(response)
