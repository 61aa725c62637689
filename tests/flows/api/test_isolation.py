"""Two organizations never see each other's resources over REST: org B's API key gets a 404 (or
an empty list) for every resource of org A, and org A's data is unchanged afterwards."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from audit.models import AuditEntry
from flows.models import FlowDefinition, HumanLoop, HumanTaskUi
from flows.models import Webhook as WebhookModel
from tests.conftest import Org
from tests.flows.api.factories import key_client, problem_of
from tests.flows.services.factories import flow_factory, loop_factory, task_ui_factory
from workforce.models import Workteam

pytestmark = pytest.mark.django_db


def _snapshot() -> list[Any]:
    return [
        sorted(HumanTaskUi.objects.values_list("name", "status")),
        sorted(FlowDefinition.objects.values_list("name", "status", "deleted_at")),
        sorted(HumanLoop.objects.values_list("name", "status")),
        sorted(Workteam.objects.values_list("organization_id", "name", "description")),
        sorted(WebhookModel.objects.values_list("id", "url", "active")),
    ]


def test_every_rest_resource_of_one_organization_is_a_404_for_another(org: Org, other_org: Org, tmp_path: Path) -> None:
    a = org.organization
    ui = task_ui_factory(a, name="a-ui")
    flow = flow_factory(a, name="a-flow", ui=ui)
    loop_factory(a, flow, name="a-loop")
    webhook = WebhookModel.objects.create(organization=a, url="https://example.com/hook", active=True)
    with override_settings(LOUPE_OUTPUT_ROOTS=[str(tmp_path)]):
        mapped = key_client(org).post(
            "/api/v1/bucket-mappings", {"bucket": "a-bucket", "local_path": str(tmp_path / "a")}, format="json"
        )
    assert mapped.status_code == 201, mapped.content
    before = _snapshot()
    b = key_client(other_org)
    calls = [
        ("get", "/api/v1/task-uis/a-ui", None),
        ("delete", "/api/v1/task-uis/a-ui", None),
        ("get", "/api/v1/flow-definitions/a-flow", None),
        ("delete", "/api/v1/flow-definitions/a-flow", None),
        (
            "post",
            "/api/v1/flow-definitions/a-flow/route",
            {"humanLoopName": "b-loop", "input": {"x": 1}, "prediction": {"label": "cat", "score": 0.5}},
        ),
        ("get", "/api/v1/flow-definitions/a-flow/calibration?target=0.9", None),
        ("get", "/api/v1/flow-definitions/a-flow/export", None),
        ("get", "/api/v1/human-loops/a-loop", None),
        ("post", "/api/v1/human-loops/a-loop/stop", None),
        ("delete", "/api/v1/human-loops/a-loop", None),
        ("get", f"/api/v1/webhooks/{webhook.pk}", None),
        ("patch", f"/api/v1/webhooks/{webhook.pk}", {"active": False}),
        ("delete", f"/api/v1/webhooks/{webhook.pk}", None),
        ("get", f"/api/v1/webhooks/{webhook.pk}/deliveries", None),
        ("get", "/api/v1/bucket-mappings/a-bucket", None),
        ("delete", "/api/v1/bucket-mappings/a-bucket", None),
    ]
    # when / then
    for method, url, body in calls:
        response = getattr(b, method)(url, body, format="json") if body else getattr(b, method)(url)
        assert response.status_code == 404, (method, url, response.status_code, response.content)
        problem_of(response)
    assert _snapshot() == before
    assert key_client(org).get("/api/v1/bucket-mappings/a-bucket").status_code == 200


def test_another_organizations_team_is_a_404_and_cannot_be_used(org: Org, other_org: Org) -> None:
    b = key_client(other_org)
    Workteam.objects.filter(pk=org.workteam.pk).update(description="A's team")
    before = _snapshot()
    ui_b = task_ui_factory(other_org.organization, name="b-ui")
    # when
    patched = b.patch(f"/api/v1/workteams/{org.workteam.name}", {"description": "hijacked"}, format="json")
    flow = b.post(
        "/api/v1/flow-definitions",
        {
            "name": "b-flow",
            "human_task_ui": ui_b.name,
            "workteam": org.workteam.arn,
            "task_title": "t",
            "task_description": "d",
            "task_count": 1,
            "output_s3_path": "s3://bucket/out",
        },
        format="json",
    )
    # then
    assert Workteam.objects.get(pk=org.workteam.pk).description == "A's team"
    assert patched.status_code == 200  # B has its own "default" team: only B's changes
    assert Workteam.objects.get(pk=other_org.workteam.pk).description == "hijacked"
    assert flow.status_code == 400, flow.content
    problem_of(flow)
    assert not FlowDefinition.objects.filter(name="b-flow").exists()
    assert _snapshot()[1:3] == before[1:3]


def test_lists_never_show_another_organizations_resources(org: Org, other_org: Org) -> None:
    a = org.organization
    flow = flow_factory(a, name="a-flow", ui=task_ui_factory(a, name="a-ui"))
    loop_factory(a, flow, name="a-loop")
    WebhookModel.objects.create(organization=a, url="https://example.com/hook", active=True)
    AuditEntry.objects.filter(organization=other_org.organization).delete()
    b = key_client(other_org)
    # when
    pages = {
        url: b.get(url).json()
        for url in (
            "/api/v1/task-uis",
            "/api/v1/flow-definitions",
            "/api/v1/human-loops",
            "/api/v1/webhooks",
            "/api/v1/audit-log",
        )
    }
    by_flow = b.get("/api/v1/human-loops", {"flow_definition": flow.name})
    mappings = b.get("/api/v1/bucket-mappings").json()
    teams = b.get("/api/v1/workteams").json()
    # then
    for url, page in pages.items():
        assert page["results"] == [], url
    assert by_flow.status_code == 200, by_flow.content
    assert by_flow.json()["results"] == []
    assert (mappings["results"] if isinstance(mappings, dict) else mappings) == []
    assert [t["arn"] for t in teams["results"]] == [other_org.workteam.arn]
    assert AuditEntry.objects.filter(organization=a).exists()
