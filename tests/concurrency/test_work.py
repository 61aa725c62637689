"""The work engine under real concurrency: threads, each with its own database connection.

Proven on PostgreSQL (row locks, SKIP LOCKED); also run on SQLite, where write transactions are
serialised. Given / when / then, asserting what the database holds afterwards.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from flows.models import Answer, Assignment, AssignmentStatus, HumanLoop, HumanLoopStatus, Task, TaskStatus
from flows.services.loops import loop_stop
from flows.services.work import leases_expire, loops_expire, task_claim, task_submit
from tests.concurrency.race import compete_at
from tests.flows.work.factories import flow_factory, loop_factory, org_factory, worker_factory
from workforce.models import Membership, Role, TeamMembership, User

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def _workers(org: Any, n: int) -> list[User]:
    """Many workers at once (no password hashing: these never sign in)."""
    tag = f"{org.organization.pk}-{time.monotonic_ns()}"
    users = User.objects.bulk_create([User(email=f"w{i}-{tag}@crowd.test", password="!") for i in range(n)])
    users = list(User.objects.filter(email__endswith=f"-{tag}@crowd.test").order_by("pk"))
    Membership.objects.bulk_create([Membership(organization=org.organization, user=u, role=Role.WORKER) for u in users])
    TeamMembership.objects.bulk_create([TeamMembership(workteam=org.workteam, user=u) for u in users])
    return users


def test_fifty_workers_over_five_hundred_loops_of_three() -> None:
    # given 500 loops with TaskCount 3 and 50 workers
    org = org_factory()
    flow = flow_factory(org, task_count=3)
    loops = [loop_factory(org, flow, i=i) for i in range(500)]
    workers = _workers(org, 50)
    claimed: dict[int, list[int]] = {w.pk: [] for w in workers}
    acknowledged: list[tuple[int, int]] = []
    errors: list[BaseException] = []
    ack_lock = threading.Lock()
    start = threading.Barrier(len(workers))

    def work(worker: User) -> None:
        try:
            start.wait()
            while True:
                task = task_claim(worker=worker)
                if task is None:
                    return
                claimed[worker.pk].append(task.pk)
                task_submit(worker=worker, task_id=task.pk, answer_content={"worker": worker.pk, "task": task.pk})
                with ack_lock:
                    acknowledged.append((worker.pk, task.pk))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    # then
    assert not errors, errors[:3]
    all_claims = [task_id for ids in claimed.values() for task_id in ids]
    assert len(all_claims) == 1500
    assert len(set(all_claims)) == 1500, "a task was given to two workers"
    assert Answer.objects.count() == 1500
    per_loop = Counter(Answer.objects.values_list("loop_id", flat=True))
    assert set(per_loop) == {loop.pk for loop in loops}
    assert set(per_loop.values()) == {3}
    assert not Answer.objects.values("loop_id", "worker_id").annotate(n=Count("pk")).filter(n__gt=1).exists()
    assert not Assignment.objects.values("loop_id", "worker_id").annotate(n=Count("pk")).filter(n__gt=1).exists()
    assert Assignment.objects.filter(status=AssignmentStatus.SUBMITTED).count() == 1500
    assert set(HumanLoop.objects.filter(pk__in=[lp.pk for lp in loops]).values_list("status", flat=True)) == {
        HumanLoopStatus.COMPLETED
    }
    stored = {(a["worker_id"], a["task_id"]) for a in Answer.objects.values("worker_id", "task_id")}
    assert stored == set(acknowledged), "an acknowledged answer is missing (or one was never acknowledged)"
    assert all(
        a.answer_content == {"worker": a.worker_id, "task": a.task_id}
        for a in Answer.objects.only("answer_content", "worker_id", "task_id")
    )


def test_two_workers_claiming_at_once_get_different_tasks() -> None:
    # given one loop of two
    org = org_factory()
    loop = loop_factory(org, flow_factory(org, task_count=2))
    a, b = worker_factory(org), worker_factory(org)
    # when b claims while a's claim holds its task locked, before a has leased it
    with compete_at("flows.locks.lock_next_open_task", lambda: task_claim(worker=b)) as race:
        mine = task_claim(worker=a)
    # then
    assert race.error is None
    if connection.vendor == "postgresql":
        assert race.finished_during_grace, "SKIP LOCKED: the second claim must not wait for the first"
    theirs = race.value
    assert mine is not None
    assert theirs is not None
    assert mine.pk != theirs.pk
    assert {mine.loop_id, theirs.loop_id} == {loop.pk}
    assert dict(Task.objects.filter(loop=loop).values_list("pk", "worker_id")) == {mine.pk: a.pk, theirs.pk: b.pk}


def test_a_stop_landing_during_the_last_submit_finds_the_loop_completed() -> None:
    # given a loop of one, held
    org = org_factory()
    loop = loop_factory(org, flow_factory(org))
    worker = worker_factory(org)
    task = task_claim(worker=worker)
    assert task is not None
    # when StopHumanLoop arrives while the submit holds the loop
    with compete_at(
        "flows.locks.lock_tasks_of_loop", lambda: loop_stop(organization=org.organization, name=loop.name)
    ) as race:
        result = task_submit(worker=worker, task_id=task.pk, answer_content={"label": "done"})
    # then the stop waited, and found a finished loop: it stays Completed with its answer
    assert race.error is None
    assert not race.finished_during_grace, "the stop must wait for the submit holding the loop"
    assert result.loop_completed
    loop.refresh_from_db()
    assert loop.status == HumanLoopStatus.COMPLETED
    assert race.value.status == HumanLoopStatus.COMPLETED
    assert Answer.objects.filter(loop=loop).count() == 1


def test_a_stop_landing_during_a_submit_that_is_not_the_last_stops_the_loop_with_the_answer_kept() -> None:
    org = org_factory()
    loop = loop_factory(org, flow_factory(org, task_count=2))
    worker = worker_factory(org)
    task = task_claim(worker=worker)
    assert task is not None
    with compete_at(
        "flows.locks.lock_tasks_of_loop", lambda: loop_stop(organization=org.organization, name=loop.name)
    ) as race:
        task_submit(worker=worker, task_id=task.pk, answer_content={"label": "kept"})
    assert race.error is None
    loop.refresh_from_db()
    assert loop.status == HumanLoopStatus.STOPPED
    assert Answer.objects.filter(loop=loop).count() == 1
    assert not Task.objects.filter(loop=loop, status__in=[TaskStatus.OPEN, TaskStatus.LEASED]).exists()


def test_lease_expiry_landing_during_a_submit_does_not_undo_it() -> None:
    # given a held task
    org = org_factory()
    loop = loop_factory(org, flow_factory(org, task_count=2, time_limit=30))
    worker = worker_factory(org)
    task = task_claim(worker=worker)
    assert task is not None
    later = timezone.now() + timedelta(seconds=31)
    # when the reaper runs (as if the lease were over) while the submit holds the task
    with compete_at("flows.locks.lock_tasks_of_loop", lambda: leases_expire(now=later)) as race:
        task_submit(worker=worker, task_id=task.pk, answer_content={"label": "in time"})
    # then the submit stands: nothing reopened, the assignment is submitted
    assert race.error is None
    assert race.value == 0
    assert Task.objects.get(pk=task.pk).status == TaskStatus.SUBMITTED
    assert Assignment.objects.get(worker=worker, loop=loop).status == AssignmentStatus.SUBMITTED
    assert Answer.objects.filter(task=task).exists()


def test_loop_expiry_landing_during_a_claim_withdraws_the_new_lease() -> None:
    # given a loop whose availability ends
    org = org_factory()
    loop = loop_factory(org, flow_factory(org, lifetime=60))
    worker = worker_factory(org)
    later = timezone.now() + timedelta(seconds=61)
    # when the expiry sweep runs while a claim holds the task it picked
    with compete_at("flows.locks.lock_next_open_task", lambda: loops_expire(now=later)) as race:
        task = task_claim(worker=worker)
    # then whichever order the database chose, the result is a serial one: the loop failed, and
    # the lease (if the claim came first) was withdrawn
    assert race.error is None
    assert race.value == 1
    loop.refresh_from_db()
    assert loop.status == HumanLoopStatus.FAILED
    assert loop.failure_code == "Expired"
    assert not Task.objects.filter(loop=loop, status__in=[TaskStatus.OPEN, TaskStatus.LEASED]).exists()
    if task is not None:
        assert Assignment.objects.get(worker=worker, loop=loop).status == AssignmentStatus.WITHDRAWN
