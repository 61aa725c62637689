"""task_claim: order, eligibility, once per loop, MaxConcurrentTaskCount, expiry, query count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from flows.errors import NotFound, WrongState
from flows.models import Assignment, AssignmentStatus, HumanLoop, HumanLoopStatus, Task, TaskStatus
from flows.services.loops import loop_stop
from flows.services.work import task_claim, task_release, task_submit
from tests.flows.work.factories import (
    flow_factory,
    loop_factory,
    org_factory,
    public_team,
    team_factory,
    vendor_team_factory,
    worker_factory,
)

pytestmark = pytest.mark.django_db


def test_claim_leases_the_oldest_open_task_for_the_flow_time_limit() -> None:
    # given
    org = org_factory()
    flow = flow_factory(org, time_limit=120)
    first = loop_factory(org, flow)
    loop_factory(org, flow)
    worker = worker_factory(org)
    # when
    before = timezone.now()
    task = task_claim(worker=worker)
    # then
    assert task is not None
    assert task.loop_id == first.pk
    task.refresh_from_db()
    assert task.status == TaskStatus.LEASED
    assert task.worker_id == worker.pk
    assert task.leased_at is not None
    assert task.leased_at >= before
    assert task.lease_expires_at == task.leased_at + timedelta(seconds=120)
    assignment = Assignment.objects.get(worker=worker, loop=first)
    assert assignment.status == AssignmentStatus.ACTIVE
    assert assignment.task_id == task.pk


def test_claim_returns_none_when_there_is_no_work() -> None:
    org = org_factory()
    flow_factory(org)
    worker = worker_factory(org)
    assert task_claim(worker=worker) is None


def test_a_worker_gets_one_task_per_loop_and_other_workers_get_the_other_replicas() -> None:
    # given a loop with three replicas
    org = org_factory()
    flow = flow_factory(org, task_count=3)
    loop = loop_factory(org, flow)
    a, b, c, d = (worker_factory(org) for _ in range(4))
    # when
    got = [task_claim(worker=w) for w in (a, a, b, c, d)]
    # then
    assert got[0] is not None
    assert got[0].loop_id == loop.pk
    assert got[1] is None  # a already holds a task of the loop
    assert {t.pk for t in got[2:4] if t} | {got[0].pk} == set(
        Task.objects.filter(loop=loop).values_list("pk", flat=True)
    )
    assert got[4] is None


def test_a_worker_who_released_a_task_never_gets_that_loop_again() -> None:
    # given
    org = org_factory()
    flow = flow_factory(org)
    loop = loop_factory(org, flow)
    a, b = worker_factory(org), worker_factory(org)
    task = task_claim(worker=a)
    assert task is not None
    # when
    task_release(worker=a, task_id=task.pk)
    # then
    assert task_claim(worker=a) is None
    again = task_claim(worker=b)
    assert again is not None
    assert again.pk == task.pk
    assert again.loop_id == loop.pk
    assert Assignment.objects.get(worker=a, loop=loop).status == AssignmentStatus.RELEASED


def test_private_team_work_is_only_for_its_members() -> None:
    # given
    org, other = org_factory(), org_factory()
    team = team_factory(org.organization)
    flow = flow_factory(org, team=team)
    loop_factory(org, flow)
    outsider_same_org = worker_factory(org)  # in the default team, not in `team`
    outsider_other_org = worker_factory(other)
    member = worker_factory(org, team=team)
    # then
    assert task_claim(worker=outsider_same_org) is None
    assert task_claim(worker=outsider_other_org) is None
    assert task_claim(worker=member) is not None


def test_vendor_workers_see_only_flows_of_subscribed_customers() -> None:
    # given a vendor team; one customer subscribes, another uses the team without subscribing
    vendor, customer, freeloader = org_factory(), org_factory(), org_factory()
    team = vendor_team_factory(vendor, subscribers=[customer])
    subscribed_flow = flow_factory(customer, team=team)
    unsubscribed_flow = flow_factory(freeloader, team=team)
    loop_factory(freeloader, unsubscribed_flow)
    subscribed_loop = loop_factory(customer, subscribed_flow)
    loop_factory(customer, flow_factory(customer))  # customer's private work
    vendor_worker = worker_factory(vendor, team=team)
    # when
    first = task_claim(worker=vendor_worker)
    second = task_claim(worker=vendor_worker)
    # then
    assert first is not None
    assert first.loop_id == subscribed_loop.pk
    assert second is None


def test_public_work_is_for_opted_in_workers_only() -> None:
    # given
    org, elsewhere = org_factory(), org_factory()
    flow = flow_factory(org, team=public_team())
    loop_factory(org, flow)
    not_opted = worker_factory(elsewhere)
    opted = worker_factory(elsewhere, public=True)
    # then
    assert task_claim(worker=not_opted) is None
    task = task_claim(worker=opted)
    assert task is not None
    assert task.flow_definition_id == flow.pk


def test_claim_by_flow_name_takes_only_that_flow_and_refuses_a_flow_not_yours() -> None:
    # given
    org, other = org_factory(), org_factory()
    older = flow_factory(org)
    wanted = flow_factory(org)
    loop_factory(org, older)
    loop = loop_factory(org, wanted)
    foreign = flow_factory(other)
    worker = worker_factory(org)
    # when
    task = task_claim(worker=worker, flow_definition_name=wanted.name)
    # then
    assert task is not None
    assert task.loop_id == loop.pk
    with pytest.raises(NotFound, match=foreign.name):
        task_claim(worker=worker, flow_definition_name=foreign.name)
    with pytest.raises(NotFound):
        task_claim(worker=worker, flow_definition=foreign)


def test_max_concurrent_task_count_caps_the_leases_of_a_flow() -> None:
    # given
    org = org_factory()
    flow = flow_factory(org, max_concurrent=2)
    for _ in range(4):
        loop_factory(org, flow)
    workers = [worker_factory(org) for _ in range(3)]
    # when
    first, second, third = (task_claim(worker=w) for w in workers)
    # then
    assert first is not None
    assert second is not None
    assert third is None
    task_submit(worker=workers[0], task_id=first.pk, answer_content={"label": "x"})
    assert task_claim(worker=workers[2]) is not None


def test_expired_or_stopped_loops_are_not_claimed() -> None:
    # given
    org = org_factory()
    flow = flow_factory(org, lifetime=60)
    expired = loop_factory(org, flow)
    HumanLoop.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    stopped = loop_factory(org, flow)
    loop_stop(organization=org.organization, name=stopped.name)
    live = loop_factory(org, flow)
    worker = worker_factory(org)
    # when
    task = task_claim(worker=worker)
    # then
    assert task is not None
    assert task.loop_id == live.pk
    assert task_claim(worker=worker) is None


def test_an_inactive_account_cannot_claim() -> None:
    org = org_factory()
    loop_factory(org, flow_factory(org))
    worker = worker_factory(org)
    worker.is_active = False
    worker.save()
    with pytest.raises(WrongState):
        task_claim(worker=worker)
    assert not Task.objects.filter(status=TaskStatus.LEASED).exists()


def test_claim_query_count_does_not_grow_with_flows_or_loops(django_assert_max_num_queries: object) -> None:
    # given many flows, loops and touched loops
    org = org_factory()
    flows = [flow_factory(org, task_count=2) for _ in range(5)]
    for flow in flows:
        for _ in range(5):
            loop_factory(org, flow)
    worker = worker_factory(org)
    for _ in range(5):
        assert task_claim(worker=worker) is not None
    # when / then: flows, lock-and-pick, update task, insert assignment, and the test transaction's
    # SAVEPOINT / RELEASE around them
    with django_assert_max_num_queries(6):  # type: ignore[operator]
        assert task_claim(worker=worker) is not None


def test_claim_query_count_with_a_concurrency_limit(django_assert_max_num_queries: object) -> None:
    org = org_factory()
    flow = flow_factory(org, max_concurrent=10)
    for _ in range(3):
        loop_factory(org, flow)
    worker = worker_factory(org)
    with django_assert_max_num_queries(8):  # type: ignore[operator]
        assert task_claim(worker=worker) is not None


def test_loop_status_is_still_in_progress_after_claims() -> None:
    org = org_factory()
    loop = loop_factory(org, flow_factory(org))
    assert task_claim(worker=worker_factory(org)) is not None
    loop.refresh_from_db()
    assert loop.status == HumanLoopStatus.IN_PROGRESS
