"""Who may call each REST control-plane operation: a table of role, endpoint and method, with
sessions (admin, engineer, team lead, worker, a user of no organization), no credentials at all,
and the organization's API key."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.conftest import Org
from tests.flows.services.factories import TEMPLATE, flow_factory, loop_factory, task_ui_factory
from workforce.models import Membership, Role, User

pytestmark = pytest.mark.django_db

# (method, path, body): every routed control-plane method, on resources the setup creates.
OPERATIONS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("get", "/api/v1/task-uis", None),
    ("post", "/api/v1/task-uis", {"name": "new-ui", "template": TEMPLATE}),
    ("get", "/api/v1/task-uis/r-ui", None),
    ("delete", "/api/v1/task-uis/spare-ui", None),
    ("post", "/api/v1/render-ui-template", {"task_ui_name": "r-ui", "input": {"text": "x"}}),
    ("get", "/api/v1/flow-definitions", None),
    ("get", "/api/v1/flow-definitions/r-flow", None),
    ("delete", "/api/v1/flow-definitions/spare-flow", None),
    ("get", "/api/v1/flow-definitions/r-flow/export", None),
    ("get", "/api/v1/human-loops", None),
    ("get", "/api/v1/human-loops/r-loop", None),
    ("post", "/api/v1/human-loops/r-loop/stop", None),
    ("get", "/api/v1/workteams", None),
    ("get", "/api/v1/workteams/default", None),
    ("patch", "/api/v1/workteams/default", {"description": "changed"}),
    ("get", "/api/v1/webhooks", None),
    ("get", "/api/v1/bucket-mappings", None),
    ("get", "/api/v1/audit-log", None),
]

ROLES = ["admin", "engineer", "team_lead", "worker", "no_membership", "anonymous", "api_key"]

# The expected status class of each role; the audit log is for admins and keys only.
EXPECTED = {
    "admin": "2xx",
    "engineer": "2xx",
    "team_lead": 403,
    "worker": 403,
    "no_membership": 403,
    "anonymous": 401,
    "api_key": "2xx",
}


def _client(org: Org, role: str) -> Client:
    client = Client(enforce_csrf_checks=False)
    if role == "api_key":
        client.defaults["HTTP_AUTHORIZATION"] = org.api_key_header
    elif role != "anonymous":
        user = User.objects.create_user(email=f"{role}@example.test", password="pw-Member-123!")
        if role != "no_membership":
            Membership.objects.create(organization=org.organization, user=user, role=Role(role))
        client.force_login(user)
    return client


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS])
def test_role_table(org: Org, role: str, method: str, path: str, body: dict[str, Any] | None) -> None:
    a = org.organization
    ui = task_ui_factory(a, name="r-ui")
    task_ui_factory(a, name="spare-ui")
    flow = flow_factory(a, name="r-flow", ui=ui)
    flow_factory(a, name="spare-flow", ui=ui)
    loop_factory(a, flow, name="r-loop")
    client = _client(org, role)
    # when
    kwargs: dict[str, Any] = {"content_type": "application/json"}
    if body is not None:
        kwargs["data"] = body
    response = getattr(client, method)(path, **kwargs)
    # then
    expected = EXPECTED[role]
    if path == "/api/v1/audit-log" and role == "engineer":
        expected = 403
    if expected == "2xx":
        assert 200 <= response.status_code < 300, (response.status_code, response.content[:300])
    else:
        assert response.status_code == expected, (response.status_code, response.content[:300])
        assert response["Content-Type"].startswith("application/problem+json")
