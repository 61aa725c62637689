"""The audit log: service writes leave entries with their actor; GET /api/v1/audit-log lists them."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from audit.models import AuditEntry
from audit.services import AuditActorMiddleware
from flows.aws import views
from tests.conftest import Org
from tests.flows.aws.helpers import signed_request
from tests.flows.services.factories import TEMPLATE

pytestmark = pytest.mark.django_db


def test_writes_through_the_apis_are_logged_with_their_key(org: Org, other_org: Org) -> None:
    client = Client()
    created = client.post(
        "/api/v1/task-uis",
        data=json.dumps({"name": "audited-ui", "template": TEMPLATE}),
        content_type="application/json",
        HTTP_AUTHORIZATION=org.api_key_header,
    )
    assert created.status_code in (200, 201), created.content
    request = signed_request(
        org,
        "POST",
        "/",
        body=json.dumps({"HumanTaskUiName": "audited-ui"}).encode(),
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "SageMaker.DeleteHumanTaskUi"},
    )
    # Through the middleware that names the actor, as a served request is.
    assert AuditActorMiddleware(views.root)(request).status_code == 200

    entries = list(AuditEntry.objects.filter(organization=org.organization).order_by("id"))
    assert [e.action for e in entries] == ["CreateHumanTaskUi", "DeleteHumanTaskUi"]
    assert {e.actor for e in entries} == {f"api-key:{org.api_key.access_key_id}"}
    assert entries[0].resource.endswith(":human-task-ui/audited-ui")

    listed = client.get("/api/v1/audit-log", HTTP_AUTHORIZATION=org.api_key_header).json()
    assert [e["action"] for e in listed["results"]] == ["DeleteHumanTaskUi", "CreateHumanTaskUi"]
    other = client.get("/api/v1/audit-log", HTTP_AUTHORIZATION=other_org.api_key_header).json()
    assert other["results"] == []


def test_a_refused_write_leaves_no_entry(org: Org) -> None:
    answer = Client().post(
        "/api/v1/task-uis",
        data=json.dumps({"name": "bad-ui", "template": "{% if %}"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=org.api_key_header,
    )
    assert answer.status_code == 400
    assert not AuditEntry.objects.filter(organization=org.organization).exists()
