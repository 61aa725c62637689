"""The engineer console and the admin page, through the Django test client: what they create goes
through the control-plane services, domain errors show as page messages, nothing is half-written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone

from flows.models import FlowDefinition, HumanLoop, HumanLoopStatus, HumanTaskUi
from flows.services.work import task_claim, task_submit
from reviews.prebuilt import prebuilt_get
from tests.conftest import Org, make_org
from tests.reviews.portal_factories import click_flow, loops_factory, member_of, person_factory
from workforce.models import Membership, Role, VendorSubscription
from workforce.services import public_pool_get_or_create
from workforce.services_portal import vendor_team_offer


def _engineer(org: Org) -> Client:
    client = Client()
    client.force_login(person_factory(org, role=Role.ENGINEER))
    return client


def _messages(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.django_db
def test_create_a_task_ui_from_a_prebuilt_one_and_a_flow_on_it() -> None:
    org = make_org()
    client = _engineer(org)
    base = f"/org/{org.account_id}/console/"
    # given the pre-built image classification UI loaded in the form
    page = client.get(base + "task-uis/new/?prebuilt=image-classification")
    prebuilt = prebuilt_get("image-classification")
    assert prebuilt is not None
    assert page.context["form"]["template"] == prebuilt.template
    # when the engineer creates it
    response = client.post(
        base + "task-uis/new/", {"name": "classify", "template": prebuilt.template, "prebuilt": prebuilt.id}
    )
    assert response.status_code == 302
    ui = HumanTaskUi.objects.get(organization=org.organization, name="classify")
    assert ui.prebuilt == "image-classification"
    # and a flow definition on the default team
    response = client.post(
        base + "flows/new/",
        {
            "name": "classify-flow",
            "task_ui": "classify",
            "team": str(org.workteam.pk),
            "title": "Classify",
            "description": "Pick a label",
            "task_count": "2",
            "time_limit": "300",
            "output": "s3://bucket/out",
            "role_arn": f"arn:aws:iam::{org.account_id}:role/R",
        },
    )
    assert response.status_code == 302
    flow = FlowDefinition.objects.get(organization=org.organization, name="classify-flow")
    assert (flow.task_count, flow.task_time_limit_seconds, flow.human_task_ui_id) == (2, 300, ui.pk)
    assert client.get(base).status_code == 200
    assert b"classify-flow" in client.get(base).content
    assert b"classify" in client.get(base + "task-uis/classify/").content


@pytest.mark.django_db
def test_domain_errors_become_messages_and_nothing_is_created() -> None:
    org = make_org()
    client = _engineer(org)
    base = f"/org/{org.account_id}/console/"
    response = client.post(base + "task-uis/new/", {"name": "bad", "template": "{% if %}"})
    assert response.status_code == 200
    assert any("not valid Liquid" in m for m in _messages(response))
    click_flow(org)
    response = client.post(
        base + "flows/new/",
        {
            "name": "x",
            "task_ui": "missing",
            "team": str(org.workteam.pk),
            "title": "t",
            "description": "d",
            "task_count": "9",
            "output": "s3://b/o",
            "role_arn": f"arn:aws:iam::{org.account_id}:role/R",
        },
    )
    assert response.status_code == 200
    assert _messages(response)
    assert not HumanTaskUi.objects.filter(name="bad").exists()
    assert not FlowDefinition.objects.filter(name="x").exists()


@pytest.mark.django_db
def test_public_flow_gets_its_price_and_teams_offered_are_only_those_the_org_may_use() -> None:
    org, vendor, stranger = make_org(), make_org(), make_org()
    public = public_pool_get_or_create()
    offered = vendor_team_offer(
        organization=vendor.organization, name="v", marketplace_title="V", marketplace_description=""
    )
    vendor_team_offer(organization=stranger.organization, name="s", marketplace_title="S", marketplace_description="")
    VendorSubscription.objects.create(organization=org.organization, workteam=offered)
    client = _engineer(org)
    ui = click_flow(org).human_task_ui
    page = client.get(f"/org/{org.account_id}/console/flows/new/")
    assert {t.pk for t in page.context["teams"]} == {org.workteam.pk, offered.pk, public.pk}
    client.post(
        f"/org/{org.account_id}/console/flows/new/",
        {
            "name": "public-flow",
            "task_ui": ui.name,
            "team": str(public.pk),
            "title": "t",
            "description": "d",
            "task_count": "1",
            "price": "0.036",
            "output": "s3://b/o",
            "role_arn": f"arn:aws:iam::{org.account_id}:role/R",
        },
    )
    flow = FlowDefinition.objects.get(name="public-flow", organization=org.organization)
    assert flow.public_price == {"Dollars": 0, "Cents": 3, "TenthFractionsOfACent": 6}


@pytest.mark.django_db
def test_browse_filter_open_stop_and_delete_loops() -> None:
    org = make_org()
    client = _engineer(org)
    flow = click_flow(org)
    loops = loops_factory(org, flow, 3)
    worker = member_of(org.workteam, person_factory())
    task = task_claim(worker=worker, flow_definition=flow)
    assert task is not None
    task_submit(worker=worker, task_id=task.pk, answer_content={"label": "cat"})
    HumanLoop.objects.filter(pk=loops[2].pk).update(created_at=timezone.now() - timedelta(days=3))
    base = f"/org/{org.account_id}/console/flows/{flow.name}/"
    # filters: status, name, time
    names = lambda resp: [loop.name for loop in resp.context["loops"]]  # noqa: E731
    assert names(client.get(base, {"status": "Completed"})) == [loops[0].name]
    assert names(client.get(base, {"name": loops[1].name})) == [loops[1].name]
    before = (timezone.now() - timedelta(days=1)).date().isoformat()
    assert names(client.get(base, {"before": before})) == [loops[2].name]
    bad = client.get(base, {"after": "yesterday"})
    assert bad.status_code == 200
    assert _messages(bad)
    # the completed loop shows its input and the answer with its worker
    detail = client.get(base + f"loops/{loops[0].name}/").content.decode()
    assert "picture" in detail
    assert worker.email in detail
    assert "&quot;cat&quot;" in detail
    # deleting a running loop is refused with a message; stopping then deleting works
    refused = client.post(base + f"loops/{loops[1].name}/action/", {"action": "delete"}, follow=True)
    assert any("Stop it first" in m for m in _messages(refused))
    client.post(base + f"loops/{loops[1].name}/action/", {"action": "stop"})
    loops[1].refresh_from_db()
    assert loops[1].status == HumanLoopStatus.STOPPED
    client.post(base + f"loops/{loops[1].name}/action/", {"action": "delete"})
    loops[1].refresh_from_db()
    assert loops[1].deleted_at is not None
    assert client.get(base + f"loops/{loops[1].name}/").status_code == 404


@pytest.mark.django_db
def test_admin_changes_roles_toggles_mfa_and_subscribes() -> None:
    org, vendor = make_org(), make_org()
    offered = vendor_team_offer(
        organization=vendor.organization, name="v", marketplace_title="Vendor V", marketplace_description=""
    )
    person = person_factory(org, role=Role.WORKER)
    client = Client()
    client.force_login(org.admin)
    url = f"/org/{org.account_id}/admin/action/"
    client.post(url, {"action": "role", "user_id": person.pk, "role": Role.ENGINEER})
    assert Membership.objects.get(user=person, organization=org.organization).role == Role.ENGINEER
    last_admin = client.post(url, {"action": "role", "user_id": org.admin.pk, "role": Role.WORKER}, follow=True)
    assert any("at least one admin" in m for m in _messages(last_admin))
    client.post(url, {"action": "subscribe", "workteam_id": offered.pk})
    assert VendorSubscription.objects.filter(organization=org.organization, workteam=offered).exists()
    assert b"Vendor V" in client.get(f"/org/{org.account_id}/admin/").content
    client.post(url, {"action": "mfa", "required": "1"})
    org.organization.refresh_from_db()
    assert org.organization.mfa_required


@pytest.mark.django_db
def test_a_loop_whose_output_has_not_landed_shows_the_attempts_and_the_last_error() -> None:
    from flows.models import OutputWrite

    org = make_org()
    client = _engineer(org)
    flow = click_flow(org)
    (loop,) = loops_factory(org, flow, 1)
    worker = member_of(org.workteam, person_factory())
    task = task_claim(worker=worker, flow_definition=flow)
    assert task is not None
    task_submit(worker=worker, task_id=task.pk, answer_content={"label": "cat"})
    OutputWrite.objects.create(
        loop=loop, attempts=2, deadline_at=timezone.now(), last_error="NoCredentialsError: Unable to locate credentials"
    )
    page = client.get(f"/org/{org.account_id}/console/flows/{flow.name}/loops/{loop.name}/").content.decode()
    assert "not written yet: 2 attempts" in page
    assert "NoCredentialsError: Unable to locate credentials" in page
    HumanLoop.objects.filter(pk=loop.pk).update(output_written=True)
    page = client.get(f"/org/{org.account_id}/console/flows/{flow.name}/loops/{loop.name}/").content.decode()
    assert "(written)" in page
    assert "not written yet" not in page
