"""Task UIs, flow definitions and workteams over REST: create, list, describe, delete; every bad
input answers a problem body and writes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from flows.models import FlowDefinition, HumanTaskUi
from tests.conftest import Org
from tests.flows.api.factories import key_client, problem_of
from tests.flows.services.factories import TEMPLATE, flow_factory, task_ui_factory

pytestmark = pytest.mark.django_db


def _flow_body(org: Org, ui: HumanTaskUi, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "review-flow",
        "human_task_ui": ui.name,
        "workteam": "default",
        "task_title": "Review",
        "task_description": "Review the prediction",
        "task_count": 2,
        "output_s3_path": "s3://bucket/out",
    }
    body.update(over)
    return body


def test_a_task_ui_is_created_from_a_pasted_template_listed_described_and_deleted(org: Org) -> None:
    client = key_client(org)
    # when
    created = client.post("/api/v1/task-uis", {"name": "my-ui", "template": TEMPLATE}, format="json")
    # then
    assert created.status_code == 201, created.content
    assert created.json()["arn"] == f"arn:aws:sagemaker:{org.region}:{org.account_id}:human-task-ui/my-ui"
    listed = client.get("/api/v1/task-uis").json()
    assert [ui["name"] for ui in listed["results"]] == ["my-ui"]
    described = client.get("/api/v1/task-uis/my-ui")
    assert described.status_code == 200
    assert described.json()["template"] == TEMPLATE
    assert client.delete("/api/v1/task-uis/my-ui").status_code == 204
    assert problem_of(client.get("/api/v1/task-uis/my-ui"))["status"] == 404


@pytest.mark.parametrize(
    "body",
    [
        {"template": TEMPLATE},
        {"name": "Bad_Name!", "template": TEMPLATE},
        {"name": "x" * 64, "template": TEMPLATE},
        {"name": "liquid-error", "template": "<crowd-form>{% if %}</crowd-form>"},
        {"name": "unknown-field", "template": TEMPLATE, "colour": "blue"},
    ],
    ids=["missing-name", "invalid-name", "long-name", "liquid-syntax-error", "unknown-field"],
)
def test_a_bad_task_ui_is_a_400_and_writes_nothing(org: Org, body: dict[str, Any]) -> None:
    # when
    response = key_client(org).post("/api/v1/task-uis", body, format="json")
    # then
    assert response.status_code == 400, response.content
    problem_of(response)
    assert not HumanTaskUi.objects.exists()


def test_a_duplicate_task_ui_name_is_a_409(org: Org) -> None:
    task_ui_factory(org.organization, name="taken")
    # when
    response = key_client(org).post("/api/v1/task-uis", {"name": "taken", "template": TEMPLATE}, format="json")
    # then
    assert response.status_code == 409
    assert problem_of(response)["code"] == "in_use"
    assert HumanTaskUi.objects.count() == 1


def test_a_flow_definition_is_created_on_the_default_team_listed_described_and_deleted(org: Org) -> None:
    ui = task_ui_factory(org.organization)
    client = key_client(org)
    # when
    created = client.post("/api/v1/flow-definitions", _flow_body(org, ui), format="json")
    # then
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["human_task_ui"] == ui.name
    assert body["workteam"] == "default"
    assert body["task_count"] == 2
    assert [f["name"] for f in client.get("/api/v1/flow-definitions").json()["results"]] == ["review-flow"]
    assert client.get("/api/v1/flow-definitions/review-flow").json()["arn"] == body["arn"]
    deleted = client.delete("/api/v1/flow-definitions/review-flow")
    assert deleted.status_code == 204, deleted.content
    assert problem_of(client.get("/api/v1/flow-definitions/review-flow"))["status"] == 404


@pytest.mark.parametrize(
    "over",
    [
        {"task_count": 4},
        {"workteam": "no-such-team"},
        {"human_task_ui": "no-such-ui"},
        {"output_s3_path": "not a path"},
        {"name": "Bad Name"},
        {"colour": "blue"},
    ],
    ids=["task-count-4", "unknown-team", "unknown-ui", "bad-output-path", "bad-name", "unknown-field"],
)
def test_a_bad_flow_definition_is_a_400_and_writes_nothing(org: Org, over: dict[str, Any]) -> None:
    ui = task_ui_factory(org.organization)
    # when
    response = key_client(org).post("/api/v1/flow-definitions", _flow_body(org, ui, **over), format="json")
    # then
    assert response.status_code == 400, response.content
    problem_of(response)
    assert not FlowDefinition.objects.exists()


def test_a_duplicate_flow_definition_is_a_409(org: Org) -> None:
    ui = task_ui_factory(org.organization)
    flow_factory(org.organization, name="review-flow", ui=ui)
    # when
    response = key_client(org).post("/api/v1/flow-definitions", _flow_body(org, ui), format="json")
    # then
    assert response.status_code == 409
    problem_of(response)
    assert FlowDefinition.objects.count() == 1


def test_the_default_workteam_is_listed_and_described(org: Org) -> None:
    client = key_client(org)
    # when
    listed = client.get("/api/v1/workteams")
    described = client.get("/api/v1/workteams/default")
    # then
    assert listed.status_code == 200
    assert "default" in [t["name"] for t in listed.json()["results"]]
    assert described.status_code == 200
    assert described.json()["crowd"] == "private"


def test_a_bad_workteam_is_a_400_and_an_unknown_one_a_404(org: Org) -> None:
    client = key_client(org)
    # when
    bad = client.post("/api/v1/workteams", {"name": "t", "description": "d", "member_definitions": []}, format="json")
    patched = client.patch("/api/v1/workteams/default", {"colour": "blue"}, format="json")
    missing = client.get("/api/v1/workteams/nope")
    # then
    assert bad.status_code == 400
    problem_of(bad)
    assert patched.status_code == 400
    problem_of(patched)
    assert missing.status_code == 404
    problem_of(missing)
