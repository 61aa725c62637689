"""Housekeeping: expired leases return to the pool, expired loops fail, stops settle."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from flows.models import Answer, Assignment, AssignmentStatus, HumanLoop, HumanLoopStatus, Task, TaskStatus
from flows.services.loops import loop_stop
from flows.services.work import leases_expire, loops_expire, loops_stopping_settle, task_claim, task_submit
from tests.flows.work.events import sent
from tests.flows.work.factories import flow_factory, loop_factory, org_factory, worker_factory

pytestmark = pytest.mark.django_db


def _events(callbacks: list[Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return sent(callbacks)


def test_an_expired_lease_returns_the_task_to_other_workers_and_tells_the_holder(
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given
    org = org_factory()
    flow = flow_factory(org, time_limit=30)
    loop = loop_factory(org, flow)
    holder, other = worker_factory(org), worker_factory(org)
    task = task_claim(worker=holder)
    assert task is not None
    # when the lease runs out
    later = timezone.now() + timedelta(seconds=31)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert leases_expire(now=later) == 1
    # then
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN
    assert task.worker_id is None
    assert Assignment.objects.get(worker=holder, loop=loop).status == AssignmentStatus.EXPIRED
    sent = _events(callbacks)
    assert (
        f"worker-{holder.pk}",
        "lease.withdrawn",
        {"task_id": task.pk, "loop": loop.name, "loop_id": loop.pk, "reason": "lease_expired"},
    ) in sent
    assert any(group == f"team-{flow.workteam_id}" and event == "work.available" for group, event, _ in sent)
    assert task_claim(worker=holder) is None
    again = task_claim(worker=other)
    assert again is not None
    assert again.pk == task.pk


def test_a_lease_not_yet_expired_is_left_alone() -> None:
    org = org_factory()
    loop_factory(org, flow_factory(org, time_limit=30))
    task = task_claim(worker=worker_factory(org))
    assert task is not None
    assert leases_expire() == 0
    assert Task.objects.get(pk=task.pk).status == TaskStatus.LEASED


def test_an_expired_lease_of_a_stopping_loop_stops_it() -> None:
    org = org_factory()
    loop = loop_factory(org, flow_factory(org, time_limit=30, task_count=2))
    task = task_claim(worker=worker_factory(org))
    assert task is not None
    loop_stop(organization=org.organization, name=loop.name)
    assert leases_expire(now=timezone.now() + timedelta(seconds=31)) == 1
    loop.refresh_from_db()
    assert loop.status == HumanLoopStatus.STOPPED
    assert set(Task.objects.filter(loop=loop).values_list("status", flat=True)) == {TaskStatus.CLOSED}


def test_an_expired_loop_fails_as_a2i_does_keeping_answers_and_withdrawing_leases(
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given a loop of 3: one answer in, one task held, one open
    org = org_factory()
    loop = loop_factory(org, flow_factory(org, task_count=3, lifetime=60))
    done, holder = worker_factory(org), worker_factory(org)
    first = task_claim(worker=done)
    assert first is not None
    task_submit(worker=done, task_id=first.pk, answer_content={"label": "kept"})
    held = task_claim(worker=holder)
    assert held is not None
    # when the availability lifetime has passed
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert loops_expire(now=timezone.now() + timedelta(seconds=61)) == 1
    # then
    loop.refresh_from_db()
    assert loop.status == HumanLoopStatus.FAILED
    assert loop.failure_code == "Expired"
    assert "TaskAvailabilityLifetimeInSeconds (60 s)" in loop.failure_reason
    assert loop.completed_at is not None
    assert Answer.objects.filter(loop=loop).count() == 1
    assert sorted(Task.objects.filter(loop=loop).values_list("status", flat=True)) == [
        TaskStatus.CLOSED,
        TaskStatus.CLOSED,
        TaskStatus.SUBMITTED,
    ]
    assert Assignment.objects.get(worker=holder, loop=loop).status == AssignmentStatus.WITHDRAWN
    sent = _events(callbacks)
    assert any(
        g == f"worker-{holder.pk}" and e == "lease.withdrawn" and d["reason"] == "loop_expired" for g, e, d in sent
    )
    assert any(e == "loop.status" and d["status"] == "Failed" for _, e, d in sent)
    with pytest.raises(Exception, match="withdrawn"):
        task_submit(worker=holder, task_id=held.pk, answer_content={"label": "late"})


def test_loops_without_a_lifetime_or_not_yet_expired_are_left_alone() -> None:
    org = org_factory()
    forever = loop_factory(org, flow_factory(org))
    later = loop_factory(org, flow_factory(org, lifetime=3600))
    assert loops_expire() == 0
    assert set(HumanLoop.objects.filter(pk__in=[forever.pk, later.pk]).values_list("status", flat=True)) == {
        HumanLoopStatus.IN_PROGRESS
    }


def test_a_stopping_loop_with_nothing_held_is_settled_by_the_sweep() -> None:
    # given a Stopping loop whose last lease ended without the stop being settled (a race)
    org = org_factory()
    loop = loop_factory(org, flow_factory(org))
    HumanLoop.objects.filter(pk=loop.pk).update(status=HumanLoopStatus.STOPPING)
    Task.objects.filter(loop=loop).update(status=TaskStatus.CLOSED)
    # when
    assert loops_stopping_settle() == 1
    # then
    loop.refresh_from_db()
    assert loop.status == HumanLoopStatus.STOPPED
    assert loops_stopping_settle() == 0


def test_housekeeping_steps_are_registered_and_the_command_runs_them(capsys: pytest.CaptureFixture[str]) -> None:
    org = org_factory()
    loop = loop_factory(org, flow_factory(org, lifetime=60))
    HumanLoop.objects.filter(pk=loop.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert "flows.services.work.leases_expire" in settings.LOUPE_HOUSEKEEPING
    # when
    call_command("housekeeping", "--once")
    # then
    out = capsys.readouterr().out
    assert "flows.services.work.loops_expire: 1" in out
    loop.refresh_from_db()
    assert loop.status == HumanLoopStatus.FAILED
