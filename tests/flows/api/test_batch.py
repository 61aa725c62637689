"""POST /api/v1/human-loops/batch: results by index, one transaction, nothing of a refused item."""

from __future__ import annotations

import pytest

from flows.models import HumanLoop, Task
from tests.conftest import Org
from tests.flows.api.factories import key_client, problem_of
from tests.flows.services.factories import flow_factory, loop_factory

pytestmark = pytest.mark.django_db

URL = "/api/v1/human-loops/batch"


def test_a_batch_reports_every_item_by_index(org: Org) -> None:
    flow = flow_factory(org.organization, task_count=2)
    other = flow_factory(org.organization, task_count=1)
    loop_factory(org.organization, flow, name="old", text="same")
    items = [
        {"name": "new-0", "input_content": {"n": 0}},
        {"name": "new-1", "input_content": {"n": 1}, "flow_definition": other.arn},
        {"name": "old", "input_content": {"text": "same"}},
        {"name": "Bad", "input_content": {"n": 3}},
        {"name": "new-0", "input_content": {"n": 4}},
        {"name": "new-5", "input_content": {"n": 5}, "content_classifiers": ["FreeOfAdultContent"]},
        {"name": "new-6", "input_content": {"n": 6}, "flow_definition": "nope"},
        {"name": "new-7", "input_content": ["no"]},
        {"name": "new-8"},
        42,
    ]
    # when
    response = key_client(org).post(URL, {"flow_definition": flow.name, "items": items}, format="json")
    # then
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["index"] for r in results] == list(range(10))
    assert [r["status"] for r in results] == [
        "created",
        "created",
        "exists",
        "error",
        "error",
        "created",
        "error",
        "error",
        "error",
        "error",
    ]
    prefix = f"arn:aws:sagemaker:{org.region}:{org.account_id}:human-loop/"
    assert results[0]["human_loop_arn"] == prefix + "new-0"
    assert results[2]["human_loop_arn"] == prefix + "old"
    assert results[3]["error"]["code"] == "invalid_input"
    assert results[3]["error"]["field"] == "name"
    assert "'name'" in results[3]["error"]["detail"]
    assert results[4]["error"]["code"] == "duplicate_in_batch"
    assert results[6]["error"]["field"] == "flow_definition"
    assert results[7]["error"]["field"] == "input_content"
    assert results[8]["error"]["field"] == "input_content"
    assert results[9]["error"]["field"] == "item"
    assert all("human_loop_arn" not in r for r in results if r["status"] == "error")
    assert sorted(HumanLoop.objects.values_list("name", flat=True)) == ["new-0", "new-1", "new-5", "old"]
    assert HumanLoop.objects.get(name="new-1").flow_definition_id == other.pk
    assert Task.objects.count() == 2 + 2 + 1 + 2  # old, new-0, new-1 (other flow), new-5


def test_items_may_all_name_their_flow(org: Org) -> None:
    flow = flow_factory(org.organization)
    items = [{"name": f"i-{i}", "input_content": {"i": i}, "flow_definition": flow.name} for i in range(3)]
    response = key_client(org).post(URL, {"items": items}, format="json")
    assert [r["status"] for r in response.json()["results"]] == ["created"] * 3


def test_a_thousand_items_start_in_one_call(org: Org) -> None:
    flow = flow_factory(org.organization, task_count=3)
    items = [{"name": f"bulk-{i}", "input_content": {"i": i}} for i in range(1000)]
    # when
    response = key_client(org).post(URL, {"flow_definition": flow.arn, "items": items}, format="json")
    # then
    assert response.status_code == 200
    assert {r["status"] for r in response.json()["results"]} == {"created"}
    assert HumanLoop.objects.count() == 1000
    assert Task.objects.count() == 3000


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"items": []}, "items"),
        ({"items": [{"name": f"x-{i}", "input_content": {}} for i in range(1001)]}, "items"),
        ({"items": {"name": "x"}}, "items"),
        ({}, "items"),
        ({"items": [{"name": "x", "input_content": {}}], "flow_definition": ["x"]}, "flow_definition"),
        ({"items": [{"name": "x", "input_content": {}}], "other": 1}, "other"),
    ],
)
def test_a_malformed_batch_is_a_400_problem_and_writes_nothing(org: Org, body: dict, field: str) -> None:
    flow = flow_factory(org.organization)
    body.setdefault("flow_definition", flow.name)
    # when
    response = key_client(org).post(URL, body, format="json")
    # then
    assert response.status_code == 400
    assert field in problem_of(response)["errors"]
    assert not HumanLoop.objects.exists()


def test_an_item_with_no_flow_and_no_default_is_reported(org: Org) -> None:
    flow_factory(org.organization)
    response = key_client(org).post(URL, {"items": [{"name": "x", "input_content": {}}]}, format="json")
    result = response.json()["results"][0]
    assert result["status"] == "error"
    assert result["error"]["field"] == "flow_definition"
    assert not HumanLoop.objects.exists()


def test_get_on_the_batch_route_is_not_a_batch(org: Org) -> None:
    response = key_client(org).get(URL)
    assert response.status_code == 404
    assert problem_of(response)["code"] == "not_found"
