"""Every row lock of the project, in one place, taken in one fixed order.

The order across models is: FlowDefinition -> HumanLoop -> Task -> Assignment, and within a model
by primary key. A transaction that needs locks on several models takes them in that order; one
that needs several rows of a model takes them in pk order (``order_by("pk")``), so two transactions
never wait on each other in a cycle (Saleor's rule, "Locking Objects").

PostgreSQL: ``FOR NO KEY UPDATE`` rather than ``FOR UPDATE``. We never change a key, and the
weaker lock does not conflict with the ``FOR KEY SHARE`` lock PostgreSQL takes on a referenced row
when a row pointing at it is inserted: a claim inserting an Assignment (which references its loop)
then never waits on a stop or a submit holding that loop.

SQLite has no row locks: the settings open every transaction with ``BEGIN IMMEDIATE``, which takes
the database's write lock at once, so a write transaction is serialised as a whole and the
``select_for_update`` calls here are plain selects. What SQLite does badly is *waiting*: a writer
that finds the lock taken sleeps and retries with a growing back-off (the busy timeout), which puts
the tail latency of a busy server in the seconds (DESIGN.md, "Serving HTTP"). The SQLite backend
(``config/sqlite/base.py``) therefore also serialises the process's write transactions on a
``threading.Lock``: waiters queue on the lock and start the moment it is free.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from flows import rawsql
from flows.models import (
    Assignment,
    FlowDefinition,
    HumanLoop,
    HumanLoopStatus,
    Task,
    TaskStatus,
)
from workforce.models import Organization, User


@contextmanager
def write_transaction() -> Iterator[None]:
    """A write transaction: ``transaction.atomic()``. On SQLite the database backend
    (``config/sqlite/base.py``) takes the process's writer lock at ``BEGIN`` and gives it back at
    commit or rollback, before the on-commit callbacks run, for every write transaction of the
    process (the background worker's and housekeeping's too)."""
    with transaction.atomic():
        yield


def _locked(qs: QuerySet, *, skip_locked: bool = False, of: tuple[str, ...] = ("self",)) -> QuerySet:
    # ``of`` and ``no_key`` are PostgreSQL features; Django drops both on SQLite.
    if connection.features.has_select_for_update_of:
        return qs.select_for_update(skip_locked=skip_locked, of=of, no_key=True)
    return qs.select_for_update(skip_locked=skip_locked)


# --- 1. FlowDefinition -------------------------------------------------------------------------


def lock_flows(flow_ids: Iterable[int]) -> list[FlowDefinition]:
    """Lock flow definitions in pk order. Used by the claim for flows with a
    MaxConcurrentTaskCount, so that counting their leased tasks and leasing one more is atomic."""
    ids = sorted(set(flow_ids))
    if not ids:
        return []
    return list(_locked(FlowDefinition.objects.filter(pk__in=ids).order_by("pk")))


# --- 2. HumanLoop --------------------------------------------------------------------------------


def lock_loop_of_task(task_id: int) -> HumanLoop | None:
    """Lock the loop a task belongs to (before the task itself: loops come first), with its flow
    and the flow's organization read alongside (not locked). Hand-written SQL: the submit's hot
    path (``flows.rawsql``)."""
    sql = (
        f"SELECT {rawsql.columns(HumanLoop, 'l')}, {rawsql.columns(FlowDefinition, 'f')}, "
        f"{rawsql.columns(Organization, 'o')} "
        f"FROM {rawsql.table(HumanLoop)} l "
        f"INNER JOIN {rawsql.table(FlowDefinition)} f ON f.id = l.flow_definition_id "
        f"INNER JOIN {rawsql.table(Organization)} o ON o.id = f.organization_id "
        f"WHERE l.id = (SELECT t.loop_id FROM {rawsql.table(Task)} t WHERE t.id = %s)"
        f"{rawsql.lock_suffix('l')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [task_id])
        row = cursor.fetchone()
    if row is None:
        return None
    loop = rawsql.instance(HumanLoop, "l", row)
    flow = rawsql.instance(FlowDefinition, "f", row, rawsql.width(HumanLoop))
    flow.organization = rawsql.instance(Organization, "o", row, rawsql.width(HumanLoop) + rawsql.width(FlowDefinition))
    loop.flow_definition = flow
    loop.organization = flow.organization
    return loop


def lock_loops(loop_ids: Iterable[int]) -> list[HumanLoop]:
    """Lock loops in pk order, with their flow definitions read alongside (not locked). Callers
    re-check the state they selected the loops for: the locked rows are the current ones."""
    ids = sorted(set(loop_ids))
    if not ids:
        return []
    return list(_locked(HumanLoop.objects.select_related("flow_definition").filter(pk__in=ids).order_by("pk")))


# --- 3. Task -------------------------------------------------------------------------------------


def lock_task(task_id: int) -> Task | None:
    """Lock one task (take its loop's lock first when the loop may change)."""
    return _locked(Task.objects.filter(pk=task_id)).first()


def lock_tasks(task_ids: Iterable[int]) -> list[Task]:
    """Lock tasks in pk order (their loops first, when those may change)."""
    ids = sorted(set(task_ids))
    if not ids:
        return []
    return list(_locked(Task.objects.filter(pk__in=ids).order_by("pk")))


def lock_tasks_of_loops(loop_ids: Iterable[int], *, statuses: Iterable[str]) -> list[Task]:
    """Lock the tasks of the given loops that are in ``statuses``, in pk order."""
    ids = sorted(set(loop_ids))
    if not ids:
        return []
    qs = Task.objects.filter(loop_id__in=ids, status__in=list(statuses)).order_by("pk")
    return list(_locked(qs))


def lock_tasks_of_loop(loop_id: int) -> list[Task]:
    """Lock every task of one loop (TaskCount rows at most), in pk order. Hand-written SQL: the
    submit's hot path."""
    sql = (
        f"SELECT {rawsql.columns(Task, 't')} FROM {rawsql.table(Task)} t WHERE t.loop_id = %s "
        f"ORDER BY t.id{rawsql.lock_suffix('t')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [loop_id])
        return [rawsql.instance(Task, "t", row) for row in cursor.fetchall()]


def lock_next_open_task(*, worker: User, flow_ids: list[int], now: datetime) -> Task | None:
    """The claim: lock the oldest open task of ``flow_ids`` whose loop is InProgress and not past
    its availability lifetime, and that ``worker`` has never touched (no Assignment row for
    (worker, loop)). Tasks other claims hold are skipped (SKIP LOCKED), not waited for.

    Cost: the partial index ``task_open_by_flow`` (flow, id) WHERE status='open' yields open tasks
    in id order; each candidate costs one loop pk lookup and one probe of the unique
    (worker, loop) index of Assignment, whose leading column is the worker. Only the task row is
    locked (``OF t``); the loop, flow and organization are read, not locked, and come back
    attached to the task. Hand-written SQL (``flows.rawsql``); ``open_task_queryset`` is the same
    query in the ORM, which the tests compare it with.
    """
    if not flow_ids:
        return None
    marks = ", ".join(["%s"] * len(flow_ids))
    sql = (
        f"SELECT {rawsql.columns(Task, 't')}, {rawsql.columns(HumanLoop, 'l')}, "
        f"{rawsql.columns(FlowDefinition, 'f')}, {rawsql.columns(Organization, 'o')} "
        f"FROM {rawsql.table(Task)} t "
        f"INNER JOIN {rawsql.table(HumanLoop)} l ON l.id = t.loop_id "
        f"INNER JOIN {rawsql.table(FlowDefinition)} f ON f.id = t.flow_definition_id "
        f"INNER JOIN {rawsql.table(Organization)} o ON o.id = f.organization_id "
        f"WHERE t.status = %s AND t.flow_definition_id IN ({marks}) AND l.status = %s "
        f"AND (l.expires_at IS NULL OR l.expires_at > %s) "
        f"AND NOT EXISTS (SELECT 1 FROM {rawsql.table(Assignment)} a WHERE a.worker_id = %s AND a.loop_id = t.loop_id) "
        f"ORDER BY t.id LIMIT 1{rawsql.lock_suffix('t', skip_locked=True)}"
    )
    params = [TaskStatus.OPEN.value, *flow_ids, HumanLoopStatus.IN_PROGRESS.value, rawsql.dt(now), worker.pk]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    at = rawsql.width(Task)
    task = rawsql.instance(Task, "t", row)
    loop = rawsql.instance(HumanLoop, "l", row, at)
    at += rawsql.width(HumanLoop)
    flow = rawsql.instance(FlowDefinition, "f", row, at)
    flow.organization = rawsql.instance(Organization, "o", row, at + rawsql.width(FlowDefinition))
    loop.flow_definition = flow
    loop.organization = flow.organization
    task.loop = loop
    task.flow_definition = flow
    return task


def open_task_queryset(*, worker: User, flow_ids: list[int], now: datetime) -> QuerySet[Task]:
    """``lock_next_open_task``'s candidates in the ORM (oldest first), unlocked: for tests and
    for reading, not for claiming."""
    touched = Assignment.objects.filter(worker_id=worker.pk, loop_id=OuterRef("loop_id"))
    return (
        Task.objects.filter(
            status=TaskStatus.OPEN,
            flow_definition_id__in=flow_ids,
            loop__status=HumanLoopStatus.IN_PROGRESS,
        )
        .filter(Q(loop__expires_at__isnull=True) | Q(loop__expires_at__gt=now))
        .filter(~Exists(touched))
        .order_by("id")
    )
