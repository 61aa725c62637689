"""The review stage's portal pages: the reviews list, a review (accept, correct with JSON, clear
messages on bad JSON and on a review decided meanwhile), CSRF, role checks and other
organizations (404), and the review panel of the engineer console's flow page."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from flows.models import HumanLoop, HumanLoopStatus
from reviews.models import FlowReview, LoopReview, ReviewStatus
from reviews.services import Reviewer, flow_review_set, review_accept
from tests.conftest import Org
from tests.flows.work.factories import flow_factory, team_factory, worker_factory
from tests.reviews.test_review_api import pending_review
from tests.reviews.test_review_stage import member
from workforce.models import Role

pytestmark = pytest.mark.django_db


def logged_in(user: object, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)  # type: ignore[arg-type]
    return client


def messages_of(response: object) -> list[str]:
    return [str(m) for m in response.context["messages"]]  # type: ignore[attr-defined]


def test_the_list_shows_pending_reviews_to_reviewers_only(org: Org, other_org: Org) -> None:
    review = pending_review(org)
    theirs = pending_review(other_org)
    lead = member(org, Role.TEAM_LEAD)
    page = logged_in(lead).get("/reviews/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f"/reviews/{review.pk}/" in html
    assert f"/reviews/{theirs.pk}/" not in html
    assert re.search(r'id="pending-count">1<', html)
    # a worker of no reviewer team sees none
    worker = worker_factory(org)
    html = logged_in(worker).get("/reviews/").content.decode()
    assert f"/reviews/{review.pk}/" not in html
    assert "You review no flow definition" in html
    # anonymous people are sent to sign in
    assert Client().get("/reviews/").status_code == 302


def test_review_page_accept_with_one_click(org: Org) -> None:
    review = pending_review(org)
    lead = member(org, Role.TEAM_LEAD)
    client = logged_in(lead)
    page = client.get(f"/reviews/{review.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="accept"' in html
    assert "&quot;label&quot;: &quot;cat&quot;" in html  # the worker's answer, escaped
    response = client.post(f"/reviews/{review.pk}/", {"action": "accept"}, follow=True)
    assert response.status_code == 200
    assert any("Accepted" in m for m in messages_of(response))
    assert LoopReview.objects.get(pk=review.pk).status == ReviewStatus.ACCEPTED
    assert HumanLoop.objects.get(pk=review.loop_id).status == HumanLoopStatus.COMPLETED
    assert 'id="accept"' not in response.content.decode()


def test_review_page_correct_and_bad_json(org: Org) -> None:
    review = pending_review(org)
    client = logged_in(member(org, Role.ENGINEER))
    # bad JSON: a message, the draft kept, nothing written
    bad = client.post(f"/reviews/{review.pk}/", {"action": "correct", "answer": '{"label": "fox"'})
    assert bad.status_code == 200
    assert any("not valid JSON" in m for m in messages_of(bad))
    assert "{&quot;label&quot;: &quot;fox&quot;" in bad.content.decode()
    not_object = client.post(f"/reviews/{review.pk}/", {"action": "correct", "answer": "[1, 2]"})
    assert any("must be a JSON object" in m for m in messages_of(not_object))
    assert LoopReview.objects.get(pk=review.pk).status == ReviewStatus.PENDING
    # a good correction completes the loop
    good = client.post(
        f"/reviews/{review.pk}/", {"action": "correct", "answer": '{"label": "fox"}', "note": "fox"}, follow=True
    )
    assert any("Corrected" in m for m in messages_of(good))
    stored = HumanLoop.objects.get(pk=review.loop_id).consolidated_answer
    assert stored is not None
    assert stored["answerContent"] == {"label": "fox"}


def test_a_review_decided_meanwhile_gets_a_clear_message(org: Org) -> None:
    review = pending_review(org)
    client = logged_in(member(org, Role.TEAM_LEAD))
    client.get(f"/reviews/{review.pk}/")
    review_accept(organization=org.organization, reviewer=Reviewer(user=org.admin), review_id=review.pk)
    response = client.post(f"/reviews/{review.pk}/", {"action": "correct", "answer": '{"label": "fox"}'})
    assert response.status_code == 200
    assert any("already accepted by" in m for m in messages_of(response))
    assert HumanLoop.objects.get(pk=review.loop_id).consolidated_answer == review.proposed_answer


def test_review_pages_are_404_outside_the_reviewers(org: Org, other_org: Org) -> None:
    review = pending_review(org)
    for user in (worker_factory(org), other_org.admin, member(other_org, Role.TEAM_LEAD)):
        client = logged_in(user)
        assert client.get(f"/reviews/{review.pk}/").status_code == 404
        assert client.post(f"/reviews/{review.pk}/", {"action": "accept"}).status_code == 404
    assert logged_in(org.admin).get("/reviews/99999999/").status_code == 404
    assert LoopReview.objects.get(pk=review.pk).status == ReviewStatus.PENDING


def test_a_reviewer_team_member_reviews_from_the_portal(org: Org) -> None:
    qa = team_factory(org.organization, name="qa")
    flow = flow_factory(org, task_count=1)
    flow_review_set(organization=org.organization, flow=flow, enabled=True, reviewer_workteam="qa")
    review = pending_review(org, flow=flow)
    reviewer = worker_factory(org, team=qa)
    client = logged_in(reviewer)
    assert f"/reviews/{review.pk}/" in client.get("/reviews/").content.decode()
    page = client.get(f"/reviews/{review.pk}/").content.decode()
    assert "@" not in re.sub(r"(?s).*<h2>Workers' answers</h2>(.*?)<h2>Proposed.*", r"\1", page)  # no e-mails
    client.post(f"/reviews/{review.pk}/", {"action": "accept"})
    assert LoopReview.objects.get(pk=review.pk).status == ReviewStatus.ACCEPTED


def test_review_forms_need_csrf(org: Org) -> None:
    review = pending_review(org)
    client = logged_in(org.admin, csrf=True)
    assert client.post(f"/reviews/{review.pk}/", {"action": "accept"}).status_code == 403
    flow = flow_factory(org, name="csrf-flow")
    url = f"/org/{org.account_id}/console/flows/{flow.name}/review/"
    assert client.post(url, {"enabled": "1"}).status_code == 403
    assert LoopReview.objects.get(pk=review.pk).status == ReviewStatus.PENDING
    assert not FlowReview.objects.filter(flow_definition=flow).exists()


def test_console_flow_page_turns_review_on_for_engineers_only(org: Org, other_org: Org) -> None:
    flow = flow_factory(org, name="panel-flow")
    team_factory(org.organization, name="qa")
    url = f"/org/{org.account_id}/console/flows/{flow.name}/review/"
    engineer = logged_in(member(org, Role.ENGINEER))
    page = engineer.get(f"/org/{org.account_id}/console/flows/{flow.name}/").content.decode()
    assert 'id="flow-review"' in page
    assert 'id="review-enabled"' in page
    response = engineer.post(url, {"enabled": "1", "reviewer_workteam": "qa"}, follow=True)
    assert any("Review of flow panel-flow is on" in m for m in messages_of(response))
    config = FlowReview.objects.get(flow_definition=flow)
    assert config.enabled
    assert config.reviewer_workteam is not None
    assert config.reviewer_workteam.name == "qa"
    bad = engineer.post(url, {"enabled": "1", "reviewer_workteam": "nope"}, follow=True)
    assert any("no private work team named 'nope'" in m for m in messages_of(bad))
    for user in (member(org, Role.TEAM_LEAD), worker_factory(org), other_org.admin):
        assert logged_in(user).post(url, {"enabled": ""}).status_code == 404
    assert FlowReview.objects.get(flow_definition=flow).enabled


def test_console_loop_page_links_to_its_review(org: Org) -> None:
    review = pending_review(org)
    loop = review.loop
    engineer = logged_in(member(org, Role.ENGINEER))
    url = f"/org/{org.account_id}/console/flows/{loop.flow_definition.name}/loops/{loop.name}/"
    page = engineer.get(url).content.decode()
    assert 'id="loop-review"' in page
    assert f'href="/reviews/{review.pk}/"' in page
    assert "waits for a reviewer" in page
    review_accept(organization=org.organization, reviewer=Reviewer(user=org.admin), review_id=review.pk)
    assert "Review accepted" in engineer.get(url).content.decode()
