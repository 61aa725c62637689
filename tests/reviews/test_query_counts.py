"""The live pages re-read on every event: their query counts must not grow with the data."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from flows.services.work import task_claim, task_submit
from tests.conftest import Org, make_org
from tests.reviews.portal_factories import click_flow, loops_factory, member_of, person_factory
from workforce.models import Role
from workforce.services_invitations import invitation_create


def _grow(org: Org, flows: int) -> None:
    for _ in range(flows):
        flow = click_flow(org)
        loops_factory(org, flow, 2)
        worker = member_of(org.workteam, person_factory())
        task = task_claim(worker=worker, flow_definition=flow)
        assert task is not None
        task_submit(worker=worker, task_id=task.pk, answer_content={"label": "cat"})
        invitation_create(workteam=org.workteam, email=f"{worker.worker_id}@portal.test", invited_by=org.admin)


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_dashboard_live_part_and_worker_home_take_constant_queries() -> None:
    org = make_org()
    lead = person_factory(org, role=Role.TEAM_LEAD)
    client = Client()
    client.force_login(lead)
    url = f"/org/{org.account_id}/live/"
    _grow(org, 1)
    small = _queries(client, url)
    _grow(org, 4)
    assert _queries(client, url) == small
    worker = member_of(org.workteam, person_factory())
    home = Client()
    home.force_login(worker)
    small_home = _queries(home, "/")
    _grow(org, 3)
    assert _queries(home, "/") == small_home
