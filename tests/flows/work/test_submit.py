"""task_submit and task_release: answers, completion, stop while held, refusals that change nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from flows.errors import Conflict, InvalidInput, NotFound, WrongState
from flows.models import Answer, Assignment, AssignmentStatus, HumanLoop, HumanLoopStatus, Task, TaskStatus
from flows.outputs import output_uri_for
from flows.services.loops import loop_stop
from flows.services.work import MAX_ANSWER_CONTENT, task_claim, task_release, task_submit
from tests.flows.work.events import sent
from tests.flows.work.factories import flow_factory, loop_factory, org_factory, worker_factory

pytestmark = pytest.mark.django_db


def _snapshot() -> tuple[Any, ...]:
    return (
        list(Task.objects.order_by("pk").values_list("pk", "status", "worker_id", "lease_expires_at")),
        list(Assignment.objects.order_by("pk").values_list("pk", "status")),
        list(Answer.objects.order_by("pk").values_list("pk", "answer_content")),
        list(HumanLoop.objects.order_by("pk").values_list("pk", "status", "output_uri")),
    )


def test_submit_records_the_answer_with_its_times() -> None:
    # given
    org = org_factory()
    loop = loop_factory(org, flow_factory(org, task_count=2))
    worker = worker_factory(org)
    task = task_claim(worker=worker)
    assert task is not None
    # when
    result = task_submit(worker=worker, task_id=task.pk, answer_content={"label": "cat"})
    # then
    answer = Answer.objects.get(task=task)
    assert answer.worker_id == worker.pk
    assert answer.answer_content == {"label": "cat"}
    assert answer.acceptance_time == task.leased_at
    assert answer.submission_time >= answer.acceptance_time
    assert answer.time_spent_seconds == pytest.approx(
        (answer.submission_time - answer.acceptance_time).total_seconds(), abs=0.001
    )
    assert Task.objects.get(pk=task.pk).status == TaskStatus.SUBMITTED
    assert Assignment.objects.get(worker=worker, loop=loop).status == AssignmentStatus.SUBMITTED
    assert not result.loop_completed
    loop.refresh_from_db()
    assert loop.status == HumanLoopStatus.IN_PROGRESS


def test_the_task_count_th_answer_completes_the_loop(django_capture_on_commit_callbacks: Any) -> None:
    # given
    org = org_factory()
    flow = flow_factory(org, task_count=2)
    loop = loop_factory(org, flow)
    a, b = worker_factory(org), worker_factory(org)
    ta, tb = task_claim(worker=a), task_claim(worker=b)
    assert ta is not None
    assert tb is not None
    task_submit(worker=a, task_id=ta.pk, answer_content={"label": "1"})
    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = task_submit(worker=b, task_id=tb.pk, answer_content={"label": "2"})
    # then
    assert result.loop_completed
    loop.refresh_from_db()
    assert loop.status == HumanLoopStatus.COMPLETED
    assert loop.completed_at is not None
    assert loop.output_uri == output_uri_for(
        s3_output_path=flow.output_s3_path, flow_name=flow.name, loop_name=loop.name, created_at=loop.created_at
    )
    assert Answer.objects.filter(loop=loop).count() == 2
    published = [event for _, event, _ in sent(callbacks)]
    assert "loop.status" in published
    assert "task.status" in published


def test_submitting_a_task_you_do_not_hold_changes_nothing() -> None:
    # given
    org = org_factory()
    loop_factory(org, flow_factory(org))
    holder, other = worker_factory(org), worker_factory(org)
    task = task_claim(worker=holder)
    assert task is not None
    before = _snapshot()
    # when / then
    with pytest.raises(NotFound):
        task_submit(worker=other, task_id=task.pk, answer_content={"label": "x"})
    with pytest.raises(NotFound):
        task_submit(worker=other, task_id=999_999, answer_content={"label": "x"})
    with pytest.raises(NotFound):
        task_release(worker=other, task_id=task.pk)
    assert _snapshot() == before


def test_submitting_twice_is_a_conflict_and_changes_nothing() -> None:
    org = org_factory()
    loop_factory(org, flow_factory(org, task_count=2))
    worker = worker_factory(org)
    task = task_claim(worker=worker)
    assert task is not None
    task_submit(worker=worker, task_id=task.pk, answer_content={"label": "x"})
    before = _snapshot()
    with pytest.raises(Conflict, match="already submitted"):
        task_submit(worker=worker, task_id=task.pk, answer_content={"label": "y"})
    assert _snapshot() == before


def test_submitting_after_the_lease_expired_is_refused_and_changes_nothing() -> None:
    # given a lease that ran out, not yet reaped
    org = org_factory()
    loop_factory(org, flow_factory(org))
    worker = worker_factory(org)
    task = task_claim(worker=worker)
    assert task is not None
    Task.objects.filter(pk=task.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    before = _snapshot()
    # when / then
    with pytest.raises(WrongState, match="expired"):
        task_submit(worker=worker, task_id=task.pk, answer_content={"label": "x"})
    assert _snapshot() == before


def test_submitting_a_released_task_is_refused() -> None:
    org = org_factory()
    loop_factory(org, flow_factory(org))
    worker = worker_factory(org)
    task = task_claim(worker=worker)
    assert task is not None
    task_release(worker=worker, task_id=task.pk)
    before = _snapshot()
    with pytest.raises(WrongState, match="released"):
        task_submit(worker=worker, task_id=task.pk, answer_content={"label": "x"})
    with pytest.raises(WrongState, match="released"):
        task_release(worker=worker, task_id=task.pk)
    assert _snapshot() == before


@pytest.mark.parametrize("bad", [["a list"], "text", 3, None])
def test_an_answer_that_is_not_a_json_object_is_refused(bad: Any) -> None:
    org = org_factory()
    loop_factory(org, flow_factory(org))
    worker = worker_factory(org)
    task = task_claim(worker=worker)
    assert task is not None
    with pytest.raises(InvalidInput, match="JSON object"):
        task_submit(worker=worker, task_id=task.pk, answer_content=bad)
    assert not Answer.objects.exists()


def test_an_answer_over_3_mib_is_refused() -> None:
    org = org_factory()
    loop_factory(org, flow_factory(org))
    worker = worker_factory(org)
    task = task_claim(worker=worker)
    assert task is not None
    with pytest.raises(InvalidInput, match="limit"):
        task_submit(worker=worker, task_id=task.pk, answer_content={"x": "a" * MAX_ANSWER_CONTENT})
    assert not Answer.objects.exists()
    assert Task.objects.get(pk=task.pk).status == TaskStatus.LEASED


def test_submit_with_claim_next_leases_the_next_task() -> None:
    org = org_factory()
    flow = flow_factory(org)
    loop_factory(org, flow)
    second = loop_factory(org, flow)
    worker = worker_factory(org)
    task = task_claim(worker=worker)
    assert task is not None
    result = task_submit(worker=worker, task_id=task.pk, answer_content={"label": "x"}, claim_next=True)
    assert result.next is not None
    assert result.next.loop_id == second.pk
    assert task_submit(worker=worker, task_id=result.next.pk, answer_content={}, claim_next=True).next is None


def test_stopping_a_loop_while_a_task_is_held_stops_it_when_the_task_is_submitted() -> None:
    # given a loop of 3: one task held, the others open
    org = org_factory()
    loop = loop_factory(org, flow_factory(org, task_count=3))
    worker, late = worker_factory(org), worker_factory(org)
    task = task_claim(worker=worker)
    assert task is not None
    # when
    stopped = loop_stop(organization=org.organization, name=loop.name)
    # then
    assert stopped.status == HumanLoopStatus.STOPPING
    assert task_claim(worker=late) is None
    task_submit(worker=worker, task_id=task.pk, answer_content={"label": "kept"})
    loop.refresh_from_db()
    assert loop.status == HumanLoopStatus.STOPPED
    assert Answer.objects.filter(loop=loop).count() == 1


def test_releasing_the_last_held_task_of_a_stopping_loop_stops_it() -> None:
    org = org_factory()
    loop = loop_factory(org, flow_factory(org))
    worker = worker_factory(org)
    task = task_claim(worker=worker)
    assert task is not None
    loop_stop(organization=org.organization, name=loop.name)
    task_release(worker=worker, task_id=task.pk)
    loop.refresh_from_db()
    assert loop.status == HumanLoopStatus.STOPPED
    assert Task.objects.get(pk=task.pk).status == TaskStatus.CLOSED


def test_submit_query_count_is_pinned(django_assert_max_num_queries: Any) -> None:
    # given
    org = org_factory()
    loop_factory(org, flow_factory(org, task_count=2))
    a, b = worker_factory(org), worker_factory(org)
    ta, tb = task_claim(worker=a), task_claim(worker=b)
    assert ta is not None
    assert tb is not None
    # when / then: lock loop, lock its replicas, insert answer, update task, update assignment,
    # (the completing one) read the flow's review stage (a primary-key probe) and update loop,
    # plus the test transaction's SAVEPOINT / RELEASE
    with django_assert_max_num_queries(7):
        task_submit(worker=a, task_id=ta.pk, answer_content={"label": "x"})
    with django_assert_max_num_queries(9):
        assert task_submit(worker=b, task_id=tb.pk, answer_content={"label": "y"}).loop_completed


def test_an_answer_on_a_priced_public_flow_is_in_the_workers_earnings() -> None:
    # given a public-pool flow with a price of $0.036 per task
    from tests.flows.work.factories import public_team
    from workforce.models import Earning

    org = org_factory()
    flow = flow_factory(org, team=public_team())
    flow.public_price = {"Dollars": 0, "Cents": 3, "TenthFractionsOfACent": 6}
    flow.save(update_fields=["public_price"])
    loop_factory(org, flow)
    worker = worker_factory(org_factory(), public=True)
    task = task_claim(worker=worker)
    assert task is not None
    # when
    result = task_submit(worker=worker, task_id=task.pk, answer_content={"label": "x"})
    # then
    earning = Earning.objects.get(answer_id=result.answer.pk)
    assert earning.worker_id == worker.pk
    assert earning.amount_mills == 36
