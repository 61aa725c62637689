"""The review stage's services: a flow with review on holds its completing loops for a reviewer,
who accepts or corrects the consolidated answer; then the loop completes and output.json records
the decision. Given / when / then, on what the database and the output folder hold."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from flows.errors import Conflict, InvalidInput, NotFound, WrongState
from flows.models import FlowDefinition, HumanLoop, HumanLoopStatus
from flows.services.loops import loop_delete, loop_stop
from flows.services.results import loop_output_write
from flows.services.work import loops_expire, task_claim, task_submit
from reviews.models import FlowReview, LoopReview, ReviewStatus
from reviews.services import (
    MAX_CORRECTION,
    Reviewer,
    flow_review_set,
    review_accept,
    review_correct,
    review_get,
    reviews_query,
)
from tests.conftest import Org
from tests.flows.results_helpers import map_bucket
from tests.flows.work.factories import flow_factory, loop_factory, team_factory, worker_factory
from workforce.models import Membership, Role, TeamMembership, User

pytestmark = pytest.mark.django_db


def reviewed_flow(org: Org, *, task_count: int = 2, **kw: Any) -> FlowDefinition:
    flow = flow_factory(org, task_count=task_count, **kw)
    flow_review_set(organization=org.organization, flow=flow, enabled=True)
    return flow


def answer_all(org: Org, flow: FlowDefinition, loop: HumanLoop, labels: list[str]) -> list[User]:
    workers = []
    for label in labels:
        worker = worker_factory(org)
        task = task_claim(worker=worker, flow_definition=flow)
        assert task is not None
        assert task.loop_id == loop.pk
        task_submit(worker=worker, task_id=task.pk, answer_content={"label": label})
        workers.append(worker)
    return workers


def member(org: Org, role: str) -> User:
    user = User.objects.create_user(email=f"{role}-{org.organization.pk}-{User.objects.count()}@x.test", password="!")
    Membership.objects.create(organization=org.organization, user=user, role=role)
    return user


def admin(org: Org) -> Reviewer:
    return Reviewer(user=org.admin)


def output_doc(loop: HumanLoop, folder: Path) -> dict[str, Any]:
    assert loop_output_write(loop_id=loop.pk) == "written"
    return json.loads(next(folder.rglob("output.json")).read_text())


def test_without_review_the_last_answer_completes_the_loop(org: Org) -> None:
    flow = flow_factory(org, task_count=1)
    loop = loop_factory(org, flow)
    answer_all(org, flow, loop, ["cat"])
    loop.refresh_from_db()
    assert loop.status == HumanLoopStatus.COMPLETED
    assert not LoopReview.objects.exists()


def test_with_review_on_the_last_answer_holds_the_loop_with_a_pending_review(org: Org, tmp_path: Path) -> None:
    # given a flow with review on, TaskCount 2, and an availability lifetime
    flow = reviewed_flow(org, lifetime=3600)
    loop = loop_factory(org, flow)
    # when both workers answer
    answer_all(org, flow, loop, ["cat", "cat"])
    # then the loop is still InProgress, no output, no expiry; the review proposes the consolidation
    loop.refresh_from_db()
    assert loop.status == HumanLoopStatus.IN_PROGRESS
    assert loop.output_uri == ""
    assert loop.consolidated_answer is None
    assert loop.expires_at is None
    review = LoopReview.objects.get(loop=loop)
    assert review.status == ReviewStatus.PENDING
    assert review.proposed_answer["answerContent"] == {"label": "cat"}
    assert review.organization_id == org.organization.pk
    map_bucket(org, "bucket", tmp_path)
    assert loop_output_write(loop_id=loop.pk) == "skipped"
    assert not list(tmp_path.rglob("output.json"))


def test_accept_completes_the_loop_and_output_json_records_the_review(org: Org, tmp_path: Path) -> None:
    map_bucket(org, "bucket", tmp_path)
    flow = reviewed_flow(org)
    loop = loop_factory(org, flow)
    answer_all(org, flow, loop, ["cat", "cat"])
    review = LoopReview.objects.get(loop=loop)
    lead = member(org, Role.TEAM_LEAD)
    # when a team lead accepts
    decided = review_accept(organization=org.organization, reviewer=Reviewer(user=lead), review_id=review.pk, note="ok")
    # then
    assert decided.status == ReviewStatus.ACCEPTED
    loop.refresh_from_db()
    assert loop.status == HumanLoopStatus.COMPLETED
    assert loop.consolidated_answer == review.proposed_answer
    assert loop.output_uri.endswith(f"/{loop.name}/output.json")
    doc = output_doc(loop, tmp_path)
    assert doc["loupeConsolidatedAnswer"] == review.proposed_answer
    assert doc["loupeReview"]["status"] == "accepted"
    assert doc["loupeReview"]["reviewer"] == {"workerId": lead.worker_id}
    assert doc["loupeReview"]["note"] == "ok"
    assert doc["loupeReview"]["decidedAt"].endswith("Z")
    assert "originalConsolidatedAnswer" not in doc["loupeReview"]
    assert [a["answerContent"] for a in doc["humanAnswers"]] == [{"label": "cat"}] * 2
    # and a second decision is refused, naming who decided
    with pytest.raises(Conflict, match="already accepted by"):
        review_correct(organization=org.organization, reviewer=admin(org), review_id=review.pk, answer={"x": 1})


def test_correct_replaces_the_consolidated_answer_and_keeps_the_original(org: Org, tmp_path: Path) -> None:
    map_bucket(org, "bucket", tmp_path)
    flow = reviewed_flow(org)
    loop = loop_factory(org, flow)
    answer_all(org, flow, loop, ["cat", "dog"])
    review = LoopReview.objects.get(loop=loop)
    corrected = {"label": "fox", "reason": "both wrong"}
    # when an API key corrects
    review_correct(
        organization=org.organization, reviewer=Reviewer(api_key=org.api_key), review_id=review.pk, answer=corrected
    )
    # then
    loop.refresh_from_db()
    assert loop.status == HumanLoopStatus.COMPLETED
    assert loop.consolidated_answer == {"answerContent": corrected, "confidence": 1.0, "method": "review"}
    doc = output_doc(loop, tmp_path)
    assert doc["loupeConsolidatedAnswer"] == loop.consolidated_answer
    assert doc["loupeReview"]["status"] == "corrected"
    assert doc["loupeReview"]["reviewer"] == {"apiKeyId": org.api_key.access_key_id}
    assert doc["loupeReview"]["originalConsolidatedAnswer"] == review.proposed_answer
    # A2I's own members are as A2I writes them
    assert set(doc) == {
        "flowDefinitionArn",
        "humanLoopName",
        "humanAnswers",
        "inputContent",
        "loupeConsolidatedAnswer",
        "loupeReview",
    }


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (["a list"], "must be a JSON object"),
        ("text", "must be a JSON object"),
        (None, "must be a JSON object"),
        ({"x": float("nan")}, "not plain JSON"),
        ({"x": "a" * (MAX_CORRECTION + 1)}, "the limit is"),
    ],
)
def test_bad_corrections_are_refused_and_nothing_is_written(org: Org, answer: Any, message: str) -> None:
    flow = reviewed_flow(org, task_count=1)
    loop = loop_factory(org, flow)
    answer_all(org, flow, loop, ["cat"])
    review = LoopReview.objects.get(loop=loop)
    with pytest.raises(InvalidInput, match=message):
        review_correct(organization=org.organization, reviewer=admin(org), review_id=review.pk, answer=answer)
    review.refresh_from_db()
    loop.refresh_from_db()
    assert review.status == ReviewStatus.PENDING
    assert review.final_answer is None
    assert loop.status == HumanLoopStatus.IN_PROGRESS


def test_a_too_long_note_is_refused(org: Org) -> None:
    flow = reviewed_flow(org, task_count=1)
    loop = loop_factory(org, flow)
    answer_all(org, flow, loop, ["cat"])
    review = LoopReview.objects.get(loop=loop)
    with pytest.raises(InvalidInput, match="note"):
        review_accept(organization=org.organization, reviewer=admin(org), review_id=review.pk, note="n" * 2001)
    assert LoopReview.objects.get(pk=review.pk).status == ReviewStatus.PENDING


def test_stop_while_pending_stops_the_loop_and_withdraws_the_review(org: Org) -> None:
    flow = reviewed_flow(org, task_count=1)
    loop = loop_factory(org, flow)
    answer_all(org, flow, loop, ["cat"])
    review = LoopReview.objects.get(loop=loop)
    # when
    stopped = loop_stop(organization=org.organization, name=loop.name)
    # then
    assert stopped.status == HumanLoopStatus.STOPPED
    review.refresh_from_db()
    assert review.status == ReviewStatus.WITHDRAWN
    with pytest.raises(Conflict, match="withdrawn"):
        review_accept(organization=org.organization, reviewer=admin(org), review_id=review.pk)
    loop.refresh_from_db()
    assert loop.status == HumanLoopStatus.STOPPED
    assert loop.output_uri == ""
    # and it can be deleted as any stopped loop; its review leaves the lists
    loop_delete(organization=org.organization, name=loop.name)
    assert not reviews_query(organization=org.organization, reviewer=admin(org)).exists()


def test_a_loop_awaiting_review_does_not_expire(org: Org) -> None:
    flow = reviewed_flow(org, task_count=1, lifetime=60)
    loop = loop_factory(org, flow)
    answer_all(org, flow, loop, ["cat"])
    # when housekeeping runs long after the lifetime
    assert loops_expire(now=timezone.now() + timedelta(days=2)) == 0
    loop.refresh_from_db()
    assert loop.status == HumanLoopStatus.IN_PROGRESS


def test_a_worker_who_answered_may_not_review_the_loop(org: Org) -> None:
    flow = reviewed_flow(org, task_count=1)
    loop = loop_factory(org, flow)
    lead = member(org, Role.TEAM_LEAD)
    TeamMembership.objects.create(workteam=org.workteam, user=lead)
    task = task_claim(worker=lead, flow_definition=flow)
    assert task is not None
    task_submit(worker=lead, task_id=task.pk, answer_content={"label": "cat"})
    review = LoopReview.objects.get(loop=loop)
    with pytest.raises(WrongState, match="answered"):
        review_accept(organization=org.organization, reviewer=Reviewer(user=lead), review_id=review.pk)
    assert LoopReview.objects.get(pk=review.pk).status == ReviewStatus.PENDING


def test_who_may_review(org: Org, other_org: Org) -> None:
    # given a flow whose reviewer team is "qa"
    qa = team_factory(org.organization, name="qa")
    flow = flow_factory(org, task_count=1)
    flow_review_set(organization=org.organization, flow=flow, enabled=True, reviewer_workteam="qa")
    plain = flow_factory(org, task_count=1)
    flow_review_set(organization=org.organization, flow=plain, enabled=True)
    loop, other_loop = loop_factory(org, flow), loop_factory(org, plain)
    answer_all(org, flow, loop, ["cat"])
    answer_all(org, plain, other_loop, ["dog"])
    review, other_review = LoopReview.objects.get(loop=loop), LoopReview.objects.get(loop=other_loop)
    qa_member = worker_factory(org, team=qa)
    outsider = worker_factory(org)
    engineer = member(org, Role.ENGINEER)
    o = org.organization
    # then
    assert {r.pk for r in reviews_query(organization=o, reviewer=Reviewer(user=engineer))} == {
        review.pk,
        other_review.pk,
    }
    assert [r.pk for r in reviews_query(organization=o, reviewer=Reviewer(user=qa_member))] == [review.pk]
    assert not reviews_query(organization=o, reviewer=Reviewer(user=outsider)).exists()
    assert not reviews_query(organization=o, reviewer=Reviewer(user=other_org.admin)).exists()
    assert not reviews_query(organization=o, reviewer=Reviewer(api_key=other_org.api_key)).exists()
    for reviewer, review_id in [
        (Reviewer(user=qa_member), other_review.pk),
        (Reviewer(user=outsider), review.pk),
        (Reviewer(user=other_org.admin), review.pk),
    ]:
        with pytest.raises(NotFound):
            review_accept(organization=o, reviewer=reviewer, review_id=review_id)
    assert review_get(organization=o, reviewer=Reviewer(user=qa_member), review_id=review.pk).pk == review.pk
    review_accept(organization=o, reviewer=Reviewer(user=qa_member), review_id=review.pk)
    assert LoopReview.objects.get(pk=review.pk).status == ReviewStatus.ACCEPTED


def test_reviewer_team_must_be_the_organizations_private_team(org: Org, other_org: Org) -> None:
    flow = flow_factory(org)
    team_factory(other_org.organization, name="theirs")
    with pytest.raises(InvalidInput, match="no private work team named 'theirs'"):
        flow_review_set(organization=org.organization, flow=flow, enabled=True, reviewer_workteam="theirs")
    assert not FlowReview.objects.filter(flow_definition=flow).exists()


def test_turning_review_off_keeps_pending_reviews_decidable(org: Org) -> None:
    flow = reviewed_flow(org, task_count=1)
    loop = loop_factory(org, flow)
    answer_all(org, flow, loop, ["cat"])
    flow_review_set(organization=org.organization, flow=flow, enabled=False)
    # a new loop completes without review
    new = loop_factory(org, flow)
    answer_all(org, flow, new, ["dog"])
    new.refresh_from_db()
    assert new.status == HumanLoopStatus.COMPLETED
    # and the pending one is still decided
    review = LoopReview.objects.get(loop=loop)
    review_accept(organization=org.organization, reviewer=admin(org), review_id=review.pk)
    loop.refresh_from_db()
    assert loop.status == HumanLoopStatus.COMPLETED


def test_deleting_the_flow_waits_for_a_pending_review(org: Org) -> None:
    from flows.models import FlowDefinitionStatus
    from flows.services.flow_definitions import flow_definition_delete, flow_definitions_reap

    flow = reviewed_flow(org, task_count=1)
    loop = loop_factory(org, flow)
    answer_all(org, flow, loop, ["cat"])
    review = LoopReview.objects.get(loop=loop)
    # when the flow is deleted while its loop awaits review
    deleting = flow_definition_delete(organization=org.organization, name=flow.name)
    # then it waits (Deleting) and the review can still be decided; then the flow goes
    assert deleting.status == FlowDefinitionStatus.DELETING
    assert deleting.deleted_at is None
    review_accept(organization=org.organization, reviewer=admin(org), review_id=review.pk)
    assert HumanLoop.objects.get(pk=loop.pk).status == HumanLoopStatus.COMPLETED
    flow_definitions_reap()
    assert FlowDefinition.objects.get(pk=flow.pk).deleted_at is not None
