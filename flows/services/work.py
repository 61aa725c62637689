"""Work: claiming, submitting and releasing tasks, and the housekeeping that ends leases and loops.

Each public function owns its transaction (``flows.locks.write_transaction``), takes its row locks
through ``flows.locks`` in the fixed order (flow -> loop -> task), and raises ``flows.errors``
errors, in which case nothing was written.

Rules (spec/a2i.md §8.4, §9; DESIGN.md "Paths of data"):
* a worker is given at most one task of a loop, ever: the ``Assignment`` row (unique on
  (worker, loop)) records every touch, so a worker who released a task or let its lease run out
  never gets that loop again (A2I: "a worker who leaves the task without submitting cannot
  return to it");
* a task is held by one worker at a time, for the flow's TaskTimeLimitInSeconds; an expired lease
  returns the task to the pool for other workers;
* the loop's TaskCount-th answer completes it; a Stopping loop becomes Stopped once no task of it
  is held; a loop past TaskAvailabilityLifetimeInSeconds fails with FailureCode ``Expired``
  (its open tasks are closed and held leases withdrawn; answers already in are kept).

Events, all sent on commit as ``events.event_message(event, data)``:

``team_group(flow.workteam_id)`` (workers who may work on the flow; pages re-read their counts
with ``flows.selectors.work.work_counts_for``):
    ``work.available`` {"flow_definition", "flow_definition_id", "tasks", "reason"}: tasks came
        back to the pool (reason ``released`` or ``lease_expired``). ``loop_start`` sends it too
        when loops start (with "loops" and "loop_names", no "reason").
    ``work.taken`` {"flow_definition", "flow_definition_id", "task_id", "loop_id"}: a task was
        claimed.
    ``work.withdrawn`` {"flow_definition", "flow_definition_id", "tasks", "reason"}: open tasks
        closed (reason ``loop_expired``).

``worker_group(worker.pk)`` (that worker's pages):
    ``lease.withdrawn`` {"task_id", "loop", "loop_id", "reason"}: the task the worker holds is no
        longer theirs (reason ``lease_expired`` or ``loop_expired``); the page drops it.

``org_group(organization_id)`` (the organization's dashboards):
    ``task.status`` {"task_id", "loop", "loop_id", "flow_definition_id", "status", "worker_id",
        "reason"}: status is ``leased`` (claimed), ``submitted``, ``open`` (back in the pool:
        reason ``released`` / ``lease_expired``) or ``closed`` (withdrawn: reason
        ``loop_expired``, ``loop_stopping``); ``worker_id`` is the worker's public id.
    ``loop.status`` (``events.loop_status_changed``): the loop became Completed, Failed or
        Stopped.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection
from django.db.models import Count
from django.utils import timezone

from flows import events, locks, rawsql
from flows.errors import Conflict, InvalidInput, NotFound, WrongState
from flows.models import (
    Answer,
    Assignment,
    AssignmentStatus,
    FlowDefinition,
    HumanLoop,
    HumanLoopStatus,
    Task,
    TaskStatus,
)
from flows.outputs import output_uri_for
from flows.selectors.work import claim_candidates
from reviews.services import review_hold  # the review stage's hook in task_submit
from workforce.models import User

#: Largest answerContent accepted, as JSON text (the same bound A2I puts on InputContent).
MAX_ANSWER_CONTENT = 3 * 1024 * 1024
#: Most rows one housekeeping pass handles; the next pass (a couple of seconds later) takes the rest.
HOUSEKEEPING_BATCH = 500
_CLAIM_ATTEMPTS = 3


@dataclass(frozen=True)
class SubmitResult:
    """What a submit did: the stored answer, the loop after it, and the next task if asked for."""

    answer: Answer
    loop: HumanLoop
    loop_completed: bool
    next: Task | None = None


_outbox: ContextVar[list[tuple[str, dict[str, Any]]] | None] = ContextVar("work_outbox", default=None)


@contextmanager
def _work_transaction() -> Iterator[None]:
    """``locks.write_transaction`` whose events go out together, in one send after commit."""
    out: list[tuple[str, dict[str, Any]]] = []
    with locks.write_transaction():
        token = _outbox.set(out)
        try:
            yield
            events.publish_many_on_commit(out)
        finally:
            _outbox.reset(token)


def _publish(group: str, message: dict[str, Any]) -> None:
    out = _outbox.get()
    if out is None:
        events.publish_on_commit(group, message)
    else:
        out.append((group, message))


def _require_worker(worker: Any) -> User:
    if not isinstance(worker, User) or not worker.is_active:
        raise WrongState("Only an active worker's account can claim, submit or release tasks.")
    return worker


def _flow_data(flow: FlowDefinition) -> dict[str, Any]:
    return {"flow_definition": flow.name, "flow_definition_id": flow.pk}


def _task_status_event(
    *, task: Task, loop: HumanLoop, status: str, worker: User | None, reason: str = "", **extra: Any
) -> None:
    data = {
        "task_id": task.pk,
        "loop": loop.name,
        "loop_id": loop.pk,
        "flow_definition_id": loop.flow_definition_id,
        "status": status,
        "worker_id": worker.worker_id if worker is not None else None,
        "reason": reason,
        **extra,
    }
    _publish(events.org_group(loop.organization_id), events.event_message("task.status", data))


# --- Claim ---------------------------------------------------------------------------------------


def task_claim(
    *,
    worker: User,
    flow_definition: FlowDefinition | None = None,
    flow_definition_name: str | None = None,
) -> Task | None:
    """Lease the oldest open task the worker may take, or return None when there is none.

    Candidates: open tasks of the flows the worker may work on (``flows_for_worker``; only
    ``flow_definition``, or the flows named ``flow_definition_name``, when given), whose loop is
    InProgress, not past its availability lifetime, and never touched by this worker; flows at
    their MaxConcurrentTaskCount are left out. The lease lasts the flow's TaskTimeLimitInSeconds.

    Raises ``NotFound`` when a flow was named and the worker may not work on it. The returned
    task carries its loop and its flow (with the organization) already loaded.
    """
    _require_worker(worker)
    candidates = claim_candidates(
        worker,
        flow_id=flow_definition.pk if flow_definition is not None else None,
        flow_name=flow_definition_name,
    )
    if not candidates:
        if flow_definition is not None or flow_definition_name is not None:
            name = flow_definition.name if flow_definition is not None else flow_definition_name
            raise NotFound(
                f"There is no flow definition named {name} that you may work on.", field="flowDefinitionName"
            )
        return None
    for attempt in range(_CLAIM_ATTEMPTS):
        try:
            return _claim_once(worker=worker, candidates=candidates)
        except IntegrityError:
            # Only the same worker claiming twice at once (two tabs) on PostgreSQL gets here: both
            # picked a task of one loop and the (worker, loop) unique index refused the second.
            if attempt == _CLAIM_ATTEMPTS - 1:
                raise
    return None  # pragma: no cover - the loop returns or raises


def _claim_once(*, worker: User, candidates: list[tuple[int, int | None]]) -> Task | None:
    with _work_transaction():
        flow_ids = [pk for pk, _ in candidates]
        limited = {pk: limit for pk, limit in candidates if limit is not None}
        if limited:
            locks.lock_flows(limited)
            leased = dict(
                Task.objects.filter(flow_definition_id__in=list(limited), status=TaskStatus.LEASED)
                .values("flow_definition_id")
                .annotate(n=Count("pk"))
                .values_list("flow_definition_id", "n")
            )
            flow_ids = [pk for pk in flow_ids if pk not in limited or leased.get(pk, 0) < limited[pk]]
            if not flow_ids:
                return None
        now = timezone.now()
        task = locks.lock_next_open_task(worker=worker, flow_ids=flow_ids, now=now)
        if task is None:
            return None
        flow = task.flow_definition
        task.status = TaskStatus.LEASED
        task.worker = worker
        task.leased_at = now
        task.lease_expires_at = now + timedelta(seconds=flow.task_time_limit_seconds)
        _lease(task=task, worker=worker, now=now)
        _publish(
            events.team_group(flow.workteam_id),
            events.event_message("work.taken", {**_flow_data(flow), "task_id": task.pk, "loop_id": task.loop_id}),
        )
        _task_status_event(task=task, loop=task.loop, status=TaskStatus.LEASED, worker=worker)
        return task


def _lease(*, task: Task, worker: User, now: datetime) -> None:
    """Write a claim: the task leased to ``worker`` and their Assignment (hand-written SQL, the
    claim's hot path: ``flows.rawsql``). The (worker, loop) unique index refuses a second
    Assignment with an IntegrityError, which ``task_claim`` retries."""
    expires = rawsql.dt(task.lease_expires_at)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {rawsql.table(Task)} SET status = %s, worker_id = %s, leased_at = %s, lease_expires_at = %s "
            "WHERE id = %s",
            [TaskStatus.LEASED.value, worker.pk, rawsql.dt(now), expires, task.pk],
        )
        cursor.execute(
            f"INSERT INTO {rawsql.table(Assignment)} "
            "(worker_id, loop_id, task_id, status, accepted_at, lease_expires_at, ended_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, NULL)",
            [worker.pk, task.loop_id, task.pk, AssignmentStatus.ACTIVE.value, rawsql.dt(now), expires],
        )


# --- Submit and release ------------------------------------------------------------------------


def _not_held(*, worker: User, task: Task, now: datetime, action: str) -> Exception:
    """The precise reason ``worker`` cannot ``action`` ``task`` (called with both rows locked)."""
    if task.status == TaskStatus.LEASED and task.worker_id == worker.pk:
        assert task.lease_expires_at is not None
        return WrongState(
            f"Your lease on task {task.pk} expired at {task.lease_expires_at.isoformat()}: "
            "the task goes back to other workers."
        )
    assignment = Assignment.objects.filter(worker_id=worker.pk, task_id=task.pk).first()
    if assignment is None:
        return NotFound(f"You do not hold task {task.pk}.")
    if assignment.status == AssignmentStatus.SUBMITTED:
        return Conflict(f"You already submitted task {task.pk}.")
    if assignment.status == AssignmentStatus.EXPIRED:
        return WrongState(
            f"Your lease on task {task.pk} expired at {assignment.lease_expires_at.isoformat()}: "
            "the task went back to other workers."
        )
    if assignment.status == AssignmentStatus.RELEASED:
        return WrongState(f"You released task {task.pk}: it is no longer yours to {action}.")
    return WrongState(f"Task {task.pk} was withdrawn: its human loop ended before you submitted.")


def _lock_loop_and_task(task_id: int) -> tuple[HumanLoop, Task, list[Task]]:
    """Lock the task's loop, then all of the loop's replicas (at most three rows, pk order): the
    siblings' statuses tell whether this answer completes the loop without another query."""
    loop = locks.lock_loop_of_task(task_id)
    replicas = locks.lock_tasks_of_loop(loop.pk) if loop is not None else []
    task = next((t for t in replicas if t.pk == task_id), None)
    if loop is None or task is None:
        raise NotFound(f"There is no task {task_id}.")
    task.loop = loop
    return loop, task, replicas


def _record_answer(answer: Answer) -> None:
    """Write a submit: the answer, its task submitted, the worker's Assignment submitted
    (hand-written SQL, the submit's hot path: ``flows.rawsql``). Sets ``answer.pk``."""
    now = rawsql.dt(answer.submission_time)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {rawsql.table(Answer)} "
            "(loop_id, task_id, worker_id, answer_content, acceptance_time, submission_time, time_spent_seconds) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id",
            [
                answer.loop_id,
                answer.task_id,
                answer.worker_id,
                rawsql.json_param(answer.answer_content),
                rawsql.dt(answer.acceptance_time),
                now,
                answer.time_spent_seconds,
            ],
        )
        answer.pk = cursor.fetchone()[0]
        answer._state.adding = False
        cursor.execute(
            f"UPDATE {rawsql.table(Task)} SET status = %s WHERE id = %s", [TaskStatus.SUBMITTED.value, answer.task_id]
        )
        cursor.execute(
            f"UPDATE {rawsql.table(Assignment)} SET status = %s, ended_at = %s WHERE worker_id = %s AND loop_id = %s",
            [AssignmentStatus.SUBMITTED.value, now, answer.worker_id, answer.loop_id],
        )


def _settle_stopping(loop: HumanLoop, *, now: datetime, leased_left: int) -> bool:
    """A Stopping loop with no held task left becomes Stopped. Returns True if it moved."""
    if loop.status != HumanLoopStatus.STOPPING or leased_left:
        return False
    loop.status = HumanLoopStatus.STOPPED
    loop.completed_at = now
    loop.save(update_fields=["status", "completed_at"])
    events.loop_status_changed(loop)
    return True


def _check_answer(answer_content: Any) -> None:
    if not isinstance(answer_content, dict):
        raise InvalidInput("answerContent must be a JSON object.", field="answerContent")
    try:
        size = len(json.dumps(answer_content, separators=(",", ":"), ensure_ascii=False, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"answerContent is not plain JSON: {exc}", field="answerContent") from None
    if size > MAX_ANSWER_CONTENT:
        raise InvalidInput(
            f"answerContent is {size} characters of JSON; the limit is {MAX_ANSWER_CONTENT}.", field="answerContent"
        )


def task_submit(
    *,
    worker: User,
    task_id: int,
    answer_content: dict[str, Any],
    claim_next: bool = False,
    next_flow_definition_name: str | None = None,
) -> SubmitResult:
    """Record ``worker``'s answer to the task they hold, and lease them the next one if asked.

    Refused, with nothing written: a task that does not exist or the worker never held
    (``NotFound``), one they already submitted (``Conflict``), one they released, whose lease
    expired, or that was withdrawn (``WrongState``), an answer that is not a JSON object of at
    most 3 MiB (``InvalidInput``).

    The answer records acceptance (lease start), submission time and time spent (and, on a priced
    public-pool flow, the worker's earnings ledger row). The loop's
    TaskCount-th answer completes it (``output_uri`` set, ``events.loop_status_changed`` called in
    the transaction); the last held task of a Stopping loop stops it. ``claim_next`` claims in a
    second transaction, after this one committed (``next_flow_definition_name`` narrows it).
    """
    _require_worker(worker)
    _check_answer(answer_content)
    with _work_transaction():
        now = timezone.now()
        loop, task, replicas = _lock_loop_and_task(task_id)
        if task.status != TaskStatus.LEASED or task.worker_id != worker.pk or task.lease_expires_at <= now:  # type: ignore[operator]
            raise _not_held(worker=worker, task=task, now=now, action="submit")
        assert task.leased_at is not None
        answer = Answer(
            loop=loop,
            task=task,
            worker=worker,
            answer_content=answer_content,
            acceptance_time=task.leased_at,
            submission_time=now,
            time_spent_seconds=round((now - task.leased_at).total_seconds(), 3),
        )
        _record_answer(answer)
        if loop.flow_definition.public_price:
            # A priced public-pool flow: the worker's earnings ledger row, in this transaction.
            from workforce.services_portal import earnings_record

            earnings_record(answer=answer)
        task.status = TaskStatus.SUBMITTED
        submitted = sum(1 for t in replicas if t.status == TaskStatus.SUBMITTED)
        leased = sum(1 for t in replicas if t.status == TaskStatus.LEASED)
        completed = False
        if loop.is_gold:
            # Gold item (flows.services.gold): completes without output.json or A2I event; scores it.
            from flows.services.gold import gold_answer_recorded

            completed = gold_answer_recorded(loop, now=now, submitted=submitted, leased_left=leased)
        # Review hook (reviews.services.review_hold): with the flow's review stage on, the loop is
        # consolidated and stays InProgress with a pending review instead of completing here.
        elif (
            loop.status == HumanLoopStatus.IN_PROGRESS
            and submitted >= loop.task_count
            and not review_hold(loop=loop, now=now)
        ):
            flow = loop.flow_definition
            loop.status = HumanLoopStatus.COMPLETED
            loop.completed_at = now
            loop.output_uri = output_uri_for(
                s3_output_path=flow.output_s3_path, flow_name=flow.name, loop_name=loop.name, created_at=loop.created_at
            )
            loop.save(update_fields=["status", "completed_at", "output_uri"])
            events.loop_status_changed(loop)
            completed = True
        else:
            _settle_stopping(loop, now=now, leased_left=leased)
        _task_status_event(
            task=task,
            loop=loop,
            status=TaskStatus.SUBMITTED,
            worker=worker,
            time_spent_seconds=answer.time_spent_seconds,
        )
    next_task = None
    if claim_next:
        try:
            next_task = task_claim(worker=worker, flow_definition_name=next_flow_definition_name)
        except NotFound:
            next_task = None
    return SubmitResult(answer=answer, loop=loop, loop_completed=completed, next=next_task)


def task_release(*, worker: User, task_id: int) -> None:
    """Give back a task the worker holds. It returns to the pool for OTHER workers: the worker's
    Assignment stays, so they never get a task of that loop again. In a Stopping loop the task is
    closed instead, and the loop stops once no task of it is held. Errors as ``task_submit``."""
    _require_worker(worker)
    with _work_transaction():
        now = timezone.now()
        loop, task, replicas = _lock_loop_and_task(task_id)
        if task.status != TaskStatus.LEASED or task.worker_id != worker.pk:
            raise _not_held(worker=worker, task=task, now=now, action="release")
        Assignment.objects.filter(worker_id=worker.pk, loop_id=loop.pk).update(
            status=AssignmentStatus.RELEASED, ended_at=now
        )
        flow = loop.flow_definition
        if loop.status == HumanLoopStatus.IN_PROGRESS:
            _reopen([task.pk])
            _publish(
                events.team_group(flow.workteam_id),
                events.event_message("work.available", {**_flow_data(flow), "tasks": 1, "reason": "released"}),
            )
            _task_status_event(task=task, loop=loop, status=TaskStatus.OPEN, worker=worker, reason="released")
        else:
            Task.objects.filter(pk=task.pk).update(status=TaskStatus.CLOSED)
            _task_status_event(task=task, loop=loop, status=TaskStatus.CLOSED, worker=worker, reason="released")
            leased_left = sum(1 for t in replicas if t.status == TaskStatus.LEASED and t.pk != task.pk)
            _settle_stopping(loop, now=now, leased_left=leased_left)


def _reopen(task_ids: Iterable[int]) -> None:
    Task.objects.filter(pk__in=list(task_ids)).update(
        status=TaskStatus.OPEN, worker=None, leased_at=None, lease_expires_at=None
    )


# --- Housekeeping (settings.LOUPE_HOUSEKEEPING) ---------------------------------------------------


def leases_expire(*, now: datetime | None = None, limit: int = HOUSEKEEPING_BATCH) -> int:
    """Leases past their time limit end: the task returns to the pool (or, in a Stopping loop, is
    closed, and the loop stops once nothing of it is held); the worker's Assignment becomes
    ``expired`` so they never get that loop again, and their page is told at once. Returns the
    number of leases ended."""
    now = now or timezone.now()
    due = list(
        Task.objects.filter(status=TaskStatus.LEASED, lease_expires_at__lte=now)
        .order_by("pk")
        .values_list("pk", "loop_id")[:limit]
    )
    if not due:
        return 0
    with _work_transaction():
        loops = {loop.pk: loop for loop in locks.lock_loops(loop_id for _, loop_id in due)}
        tasks = [
            t
            for t in locks.lock_tasks(pk for pk, _ in due)
            if t.status == TaskStatus.LEASED and t.lease_expires_at is not None and t.lease_expires_at <= now
        ]
        if not tasks:
            return 0
        workers = {u.pk: u for u in User.objects.filter(pk__in={t.worker_id for t in tasks})}
        Assignment.objects.filter(task_id__in=[t.pk for t in tasks], status=AssignmentStatus.ACTIVE).update(
            status=AssignmentStatus.EXPIRED, ended_at=now
        )
        reopened: dict[int, int] = defaultdict(int)
        reopen_ids: list[int] = []
        close_ids: list[int] = []
        for task in tasks:
            loop = loops[task.loop_id]
            worker = workers.get(task.worker_id)  # type: ignore[arg-type]
            if loop.status == HumanLoopStatus.IN_PROGRESS:
                reopen_ids.append(task.pk)
                reopened[loop.flow_definition_id] += 1
                status = TaskStatus.OPEN
            else:
                close_ids.append(task.pk)
                status = TaskStatus.CLOSED
            _task_status_event(task=task, loop=loop, status=status, worker=worker, reason="lease_expired")
            if task.worker_id is not None:
                _publish(
                    events.worker_group(task.worker_id),
                    events.event_message(
                        "lease.withdrawn",
                        {"task_id": task.pk, "loop": loop.worker_name, "loop_id": loop.pk, "reason": "lease_expired"},
                    ),
                )
        _reopen(reopen_ids)
        Task.objects.filter(pk__in=close_ids).update(status=TaskStatus.CLOSED)
        flows = {loop.flow_definition_id: loop.flow_definition for loop in loops.values()}
        for flow_id, n in reopened.items():
            flow = flows[flow_id]
            _publish(
                events.team_group(flow.workteam_id),
                events.event_message("work.available", {**_flow_data(flow), "tasks": n, "reason": "lease_expired"}),
            )
        _settle_stopping_loops([loop for loop in loops.values() if loop.status == HumanLoopStatus.STOPPING], now=now)
        return len(tasks)


def _settle_stopping_loops(loops: list[HumanLoop], *, now: datetime) -> int:
    """Of these locked Stopping loops, stop those with no task held any more."""
    if not loops:
        return 0
    held = set(
        Task.objects.filter(loop_id__in=[loop.pk for loop in loops], status=TaskStatus.LEASED).values_list(
            "loop_id", flat=True
        )
    )
    moved = 0
    for loop in loops:
        moved += _settle_stopping(loop, now=now, leased_left=1 if loop.pk in held else 0)
    return moved


def loops_expire(*, now: datetime | None = None, limit: int = HOUSEKEEPING_BATCH) -> int:
    """InProgress loops past their availability lifetime (``HumanLoop.expires_at``) end as A2I
    ends them: Failed, FailureCode ``Expired``. Their open tasks are closed and held leases
    withdrawn (the holders' pages are told); answers already in are kept. Returns the number of
    loops that expired."""
    now = now or timezone.now()
    due = list(
        HumanLoop.objects.filter(status=HumanLoopStatus.IN_PROGRESS, expires_at__lte=now)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    if not due:
        return 0
    with _work_transaction():
        loops = [
            loop
            for loop in locks.lock_loops(due)
            if loop.status == HumanLoopStatus.IN_PROGRESS and loop.expires_at is not None and loop.expires_at <= now
        ]
        if not loops:
            return 0
        by_id = {loop.pk: loop for loop in loops}
        tasks = locks.lock_tasks_of_loops(by_id, statuses=[TaskStatus.OPEN, TaskStatus.LEASED])
        held = [t for t in tasks if t.status == TaskStatus.LEASED]
        workers = {u.pk: u for u in User.objects.filter(pk__in={t.worker_id for t in held})}
        Task.objects.filter(pk__in=[t.pk for t in tasks]).update(status=TaskStatus.CLOSED)
        Assignment.objects.filter(task_id__in=[t.pk for t in held], status=AssignmentStatus.ACTIVE).update(
            status=AssignmentStatus.WITHDRAWN, ended_at=now
        )
        closed_open: dict[int, int] = defaultdict(int)
        for task in tasks:
            loop = by_id[task.loop_id]
            if task.status == TaskStatus.OPEN:
                closed_open[loop.flow_definition_id] += 1
                continue
            assert task.worker_id is not None  # a leased task has a holder (database constraint)
            _task_status_event(
                task=task,
                loop=loop,
                status=TaskStatus.CLOSED,
                worker=workers.get(task.worker_id),
                reason="loop_expired",
            )
            _publish(
                events.worker_group(task.worker_id),
                events.event_message(
                    "lease.withdrawn",
                    {"task_id": task.pk, "loop": loop.worker_name, "loop_id": loop.pk, "reason": "loop_expired"},
                ),
            )
        for loop in loops:
            lifetime = loop.flow_definition.task_availability_lifetime_seconds
            loop.status = HumanLoopStatus.FAILED
            loop.failure_code = "Expired"
            loop.failure_reason = (
                f"The human loop expired: its tasks were not all completed within the flow definition's "
                f"TaskAvailabilityLifetimeInSeconds ({lifetime} s)."
            )
            loop.completed_at = now
        HumanLoop.objects.bulk_update(loops, ["status", "failure_code", "failure_reason", "completed_at"])
        for loop in loops:
            events.loop_status_changed(loop)
        flows = {loop.flow_definition_id: loop.flow_definition for loop in loops}
        for flow_id, n in closed_open.items():
            flow = flows[flow_id]
            _publish(
                events.team_group(flow.workteam_id),
                events.event_message("work.withdrawn", {**_flow_data(flow), "tasks": n, "reason": "loop_expired"}),
            )
        return len(loops)


def loops_stopping_settle(*, limit: int = HOUSEKEEPING_BATCH) -> int:
    """Stopping loops with no task held any more become Stopped (submit, release and lease expiry
    do this as they go; this sweep catches a stop that raced with the last of them). Returns the
    number of loops stopped."""
    due = list(
        HumanLoop.objects.filter(status=HumanLoopStatus.STOPPING)
        .exclude(tasks__status=TaskStatus.LEASED)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    if not due:
        return 0
    with _work_transaction():
        loops = [loop for loop in locks.lock_loops(due) if loop.status == HumanLoopStatus.STOPPING]
        return _settle_stopping_loops(loops, now=timezone.now())
