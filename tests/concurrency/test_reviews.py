"""The review stage under real concurrency: threads with their own database connections deciding
the same review, or deciding while the loop is stopped. Exactly one decision wins; the loser is
told (Conflict) and nothing of it is written. Proven on PostgreSQL (row locks); also run on
SQLite, where write transactions are serialised."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from audit.models import AuditEntry
from flows.errors import Conflict
from flows.models import HumanLoop, HumanLoopStatus
from flows.services.loops import loop_stop
from reviews.models import LoopReview, ReviewStatus
from reviews.services import Reviewer, review_accept, review_correct
from tests.concurrency.race import compete_at
from tests.flows.work.factories import loop_factory, org_factory
from tests.reviews.test_review_stage import answer_all, member, reviewed_flow
from workforce.models import Role

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def _race(**actions: Any) -> dict[str, Any]:
    """Run the actions at once (a barrier), each in a thread with its own connection; returns
    what each returned or raised."""
    outcomes: dict[str, Any] = {}
    start = threading.Barrier(len(actions))

    def run(name: str, action: Any) -> None:
        try:
            start.wait()
            outcomes[name] = action()
        except BaseException as exc:
            outcomes[name] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in actions.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), "a decision never finished"
    return outcomes


def test_two_reviewers_deciding_at_once_exactly_one_wins() -> None:
    # given ten pending reviews and two reviewers
    org = org_factory()
    flow = reviewed_flow(org, task_count=1)
    reviews = []
    for _ in range(10):
        loop = loop_factory(org, flow)
        answer_all(org, flow, loop, ["cat"])
        reviews.append(LoopReview.objects.get(loop=loop))
    alice, bob = member(org, Role.TEAM_LEAD), member(org, Role.ENGINEER)

    for review in reviews:
        pk = review.pk
        outcomes = _race(
            accept=lambda pk=pk: review_accept(
                organization=org.organization, reviewer=Reviewer(user=alice), review_id=pk
            ),
            correct=lambda pk=pk: review_correct(
                organization=org.organization, reviewer=Reviewer(user=bob), review_id=pk, answer={"label": "dog"}
            ),
        )
        # then exactly one won, the other was told, and the database holds the winner's decision only
        won = [name for name, value in outcomes.items() if isinstance(value, LoopReview)]
        lost = [value for value in outcomes.values() if isinstance(value, BaseException)]
        assert len(won) == 1, outcomes
        assert len(lost) == 1, outcomes
        assert isinstance(lost[0], Conflict), outcomes
        assert "already" in lost[0].message
        stored = LoopReview.objects.get(pk=review.pk)
        loop = HumanLoop.objects.get(pk=review.loop_id)
        assert loop.status == HumanLoopStatus.COMPLETED
        if won == ["accept"]:
            assert stored.status == ReviewStatus.ACCEPTED
            assert stored.reviewer_id == alice.pk
            assert loop.consolidated_answer == review.proposed_answer
        else:
            assert stored.status == ReviewStatus.CORRECTED
            assert stored.reviewer_id == bob.pk
            assert loop.consolidated_answer == {
                "answerContent": {"label": "dog"},
                "confidence": 1.0,
                "method": "review",
            }
        assert stored.final_answer == loop.consolidated_answer
        assert AuditEntry.objects.filter(resource=loop.arn, action__in=["AcceptReview", "CorrectReview"]).count() == 1


def test_accept_holding_the_loop_while_a_stop_arrives() -> None:
    # given a pending review
    org = org_factory()
    flow = reviewed_flow(org, task_count=1)
    loop = loop_factory(org, flow)
    answer_all(org, flow, loop, ["cat"])
    review = LoopReview.objects.get(loop=loop)
    # when a stop arrives while the accept holds the loop's lock
    with compete_at(
        "flows.locks.lock_loops", lambda: loop_stop(organization=org.organization, name=loop.name)
    ) as competition:
        review_accept(organization=org.organization, reviewer=Reviewer(user=org.admin), review_id=review.pk)
    # then the accept came first: the loop is Completed, and the stop changed nothing
    assert competition.error is None
    loop.refresh_from_db()
    assert loop.status == HumanLoopStatus.COMPLETED
    assert LoopReview.objects.get(pk=review.pk).status == ReviewStatus.ACCEPTED


def test_stop_holding_the_loop_while_an_accept_arrives() -> None:
    org = org_factory()
    flow = reviewed_flow(org, task_count=1)
    loop = loop_factory(org, flow)
    answer_all(org, flow, loop, ["cat"])
    review = LoopReview.objects.get(loop=loop)
    # when an accept arrives while the stop holds the loop's lock
    with compete_at(
        "flows.locks.lock_loops",
        lambda: review_accept(organization=org.organization, reviewer=Reviewer(user=org.admin), review_id=review.pk),
    ) as competition:
        loop_stop(organization=org.organization, name=loop.name)
    # then the stop came first: the review is withdrawn and the accept was refused
    assert isinstance(competition.error, Conflict), competition
    loop.refresh_from_db()
    assert loop.status == HumanLoopStatus.STOPPED
    stored = LoopReview.objects.get(pk=review.pk)
    assert stored.status == ReviewStatus.WITHDRAWN
    assert stored.final_answer is None
