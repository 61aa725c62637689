"""Worker quality on the team lead's page (inline SVG bar charts and a table with the same numbers)
and gold items on the engineer's flow page."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from flows.models import FlowDefinition, HumanLoop
from flows.services.gold import flow_quality_compute, gold_items_create
from flows.services.work import task_claim, task_submit
from tests.conftest import Org
from tests.reviews.portal_factories import click_flow, member_of, person_factory
from workforce.models import Role, User

pytestmark = pytest.mark.django_db

CAT = {"label": "cat"}
DOG = {"label": "dog"}


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def scored_flow(org: Org, answers: dict[str, list[dict[str, str]]]) -> tuple[FlowDefinition, dict[str, User]]:
    """A flow with as many gold items (known answer: cat) as the longest answer list, met by each
    worker (by e-mail) with their answers; scores computed."""
    flow = click_flow(org)
    items = max(len(a) for a in answers.values())
    results = gold_items_create(
        organization=org.organization,
        flow_name=flow.name,
        items=[{"input_content": {"n": i}, "answer": CAT, "replicas": len(answers)} for i in range(items)],
    )
    assert all(r.status == "created" for r in results)
    workers = {}
    for email, given in answers.items():
        worker = member_of(org.workteam, person_factory(email=email))
        workers[email] = worker
        for answer in given:
            task = task_claim(worker=worker, flow_definition=flow)
            assert task is not None
            task_submit(worker=worker, task_id=task.pk, answer_content=answer)
    flow_quality_compute(flow_id=flow.pk)
    return flow, workers


def test_team_lead_page_without_scores_says_so(org: Org) -> None:
    click_flow(org)
    page = _client(person_factory(org, role=Role.TEAM_LEAD)).get(f"/org/{org.account_id}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="quality-empty"' in html
    assert "No worker quality yet" in html
    assert "<svg" not in html.split('id="quality"')[1]


def test_team_lead_page_charts_each_workers_accuracy_with_n_and_flags_those_below_the_threshold(org: Org) -> None:
    flow, _ = scored_flow(
        org,
        {
            "ann@q.test": [CAT, CAT, CAT, CAT],
            "bob@q.test": [CAT, DOG, CAT, CAT],
            "cy@q.test": [DOG, DOG, CAT],
        },
    )
    page = _client(person_factory(org, role=Role.TEAM_LEAD)).get(f"/org/{org.account_id}/")
    assert page.status_code == 200
    html = page.content.decode()
    section = html.split('id="quality"')[1]
    chart = re.search(r'<figure class="quality-chart" data-measure="accuracy">(.*?)</figure>', section, re.S)
    assert chart is not None
    svg = chart.group(1)
    assert '<svg xmlns="http://www.w3.org/2000/svg" role="img"' in svg
    bars = re.findall(r'<g class="bar( below)?" data-worker="([^"]+)" data-value="([^"]+)" data-n="(\d+)">', svg)
    # sorted best first, each with its n; the worker under 80 % flagged
    assert bars == [
        ("", "ann@q.test", "1.0000", "4"),
        (" below", "bob@q.test", "0.7500", "4"),
        (" below", "cy@q.test", "0.3333", "3"),
    ]
    assert "100% n=4" in svg
    assert "75% n=4" in svg
    assert "33% n=3" in svg
    # the table beside it carries the same numbers
    table = re.search(r'<table class="grid quality-table">(.*?)</table>', section, re.S)
    assert table is not None
    rows = re.findall(
        r'<tr data-worker="([^"]+)">.*?class="gold-answers">(\d+)<.*?class="gold-correct">(\d+)<.*?'
        r'class="accuracy[^"]*">([^<]+)<',
        table.group(1),
        re.S,
    )
    assert rows == [("ann@q.test", "4", "4", "100%"), ("bob@q.test", "4", "3", "75%"), ("cy@q.test", "3", "1", "33%")]
    assert flow.name in section
    # no completed customer loop yet: the agreement chart says so
    assert "Agreement with the consolidated answer: no answers to score yet." in section
    # a lower threshold flags fewer workers
    page = _client(person_factory(org, role=Role.TEAM_LEAD)).get(f"/org/{org.account_id}/", {"threshold": "70"})
    flagged = re.findall(r'<g class="bar below" data-worker="([^"]+)"', page.content.decode())
    assert flagged == ["cy@q.test"]


def test_another_organizations_scores_are_not_shown(org: Org, other_org: Org) -> None:
    scored_flow(other_org, {"theirs@q.test": [CAT]})
    html = _client(person_factory(org, role=Role.TEAM_LEAD)).get(f"/org/{org.account_id}/").content.decode()
    assert "theirs@q.test" not in html
    assert 'id="quality-empty"' in html


def test_engineer_adds_gold_items_on_the_flow_page_and_sees_their_score(org: Org) -> None:
    flow = click_flow(org)
    engineer = _client(person_factory(org, role=Role.ENGINEER))
    url = f"/org/{org.account_id}/console/flows/{flow.name}/"
    items = [{"input_content": {"n": 1}, "answer": CAT, "replicas": 2}, {"input_content": {"n": 2}, "answer": DOG}]
    resp = engineer.post(url + "gold/", {"action": "add", "items": json.dumps(items)}, follow=True)
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "2 gold items added." in html
    assert HumanLoop.objects.filter(flow_definition=flow, is_gold=True).count() == 2
    worker = member_of(org.workteam, person_factory())
    task = task_claim(worker=worker, flow_definition=flow)
    assert task is not None
    task_submit(worker=worker, task_id=task.pk, answer_content=CAT)
    html = engineer.get(url).content.decode()
    first = HumanLoop.objects.filter(flow_definition=flow, is_gold=True).order_by("pk").first()
    assert first is not None
    row = re.search(rf'<tr data-gold-id="{first.pk}">(.*?)</tr>', html, re.S)
    assert row is not None
    assert '<td class="answers">1</td><td class="correct">1</td>' in row.group(1)
    assert "100%" in row.group(1)
    # gold loops are not in the flow's loop list
    loops = re.search(r'<table class="grid" id="loops">(.*?)</table>', html, re.S)
    assert loops is not None
    assert "No human loops match." in loops.group(1)
    # bad JSON and bad items: a message, nothing written, the text kept in the form
    resp = engineer.post(url + "gold/", {"action": "add", "items": "{not json"}, follow=True)
    assert "not valid JSON" in resp.content.decode()
    assert "{not json" in resp.content.decode()
    resp = engineer.post(
        url + "gold/",
        {"action": "add", "items": json.dumps({"input_content": {"n": 3}, "answer": CAT, "replicas": 500})},
    )
    assert "replicas must be a whole number from 1 to 100" in _client_follow(engineer, url)
    assert HumanLoop.objects.filter(flow_definition=flow, is_gold=True).count() == 2
    # withdraw
    resp = engineer.post(url + "gold/", {"action": "withdraw", "id": str(first.pk)}, follow=True)
    assert "Gold item withdrawn" in resp.content.decode()
    assert f'data-gold-id="{first.pk}"' not in resp.content.decode()


def _client_follow(client: Client, url: str) -> str:
    return client.get(url).content.decode()


def test_team_leads_and_workers_cannot_add_gold_items(org: Org) -> None:
    flow = click_flow(org)
    body = {"action": "add", "items": json.dumps({"input_content": {"n": 1}, "answer": CAT})}
    for role in (Role.TEAM_LEAD, Role.WORKER):
        resp = _client(person_factory(org, role=role)).post(
            f"/org/{org.account_id}/console/flows/{flow.name}/gold/", body
        )
        assert resp.status_code == 404
    assert not HumanLoop.objects.filter(flow_definition=flow).exists()
