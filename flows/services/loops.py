"""Human loops: start, stop, delete (spec/a2i.md §8, §9).

Each public function owns its transaction and raises ``flows.errors`` errors. Completion, and the
move from Stopping to Stopped once held tasks finish, belong to ``flows.services.work``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, connection
from django.utils import timezone

from audit.services import audit_record
from flows import events, locks, rawsql, validation
from flows.errors import Conflict, InvalidInput, NotFound, WrongState
from flows.models import (
    TERMINAL_STATUSES,
    FlowDefinition,
    FlowDefinitionStatus,
    HumanLoop,
    HumanLoopStatus,
    HumanTaskUi,
    Task,
    TaskStatus,
)
from reviews.services import review_withdraw
from workforce.models import Organization


@dataclass(frozen=True)
class ValidStart:
    """The cleaned values of one StartHumanLoop, ready to insert."""

    name: str
    flow: FlowDefinition
    input_content: str
    input_sha256: str
    content_classifiers: list[str]
    activation_results: dict[str, Any] | None


def flow_for_arn(
    *, organization: Organization, flow_definition_arn: str, field: str = "flowDefinitionArn"
) -> FlowDefinition | None:
    """The organization's live flow definition named by ``flow_definition_arn``, or None.

    The ARN must carry the organization's own account and Region: another account's flow is,
    for this caller, a flow that does not exist.
    """
    validation.string(flow_definition_arn, field, max_len=1024, pattern=validation.A2I_FLOW_DEFINITION_ARN)
    prefix = f"arn:aws:sagemaker:{organization.region}:{organization.account_id}:flow-definition/"
    if not flow_definition_arn.startswith(prefix):
        return None
    name = flow_definition_arn[len(prefix) :]
    if not name or len(name) > 63:
        return None
    rows = _flow_rows(organization.pk, name)
    if rows is None:
        return None
    flow, ui = rows
    flow.organization = organization
    flow.human_task_ui = ui
    return flow


#: What starting a loop reads of a flow (other fields load on access).
_FLOW_FIELDS = (
    "id",
    "organization_id",
    "name",
    "status",
    "human_task_ui_id",
    "workteam_id",
    "workteam_arn",
    "task_count",
    "task_availability_lifetime_seconds",
)


def _flow_rows(organization_id: int, name: str) -> tuple[FlowDefinition, HumanTaskUi] | None:
    """The live flow ``name`` and its template's deletion time, in one query.

    StartHumanLoop runs this on every call, so it skips the ORM's query compiler
    (``flows.rawsql``).
    """
    q = connection.ops.quote_name
    # Identifiers come from the models; the values go as parameters.
    sql = (
        f"SELECT {rawsql.columns(FlowDefinition, 'f', _FLOW_FIELDS)}, "  # noqa: S608
        f"{rawsql.columns(HumanTaskUi, 'u', ('id', 'deleted_at'))} "
        f"FROM {q(FlowDefinition._meta.db_table)} f "
        f"JOIN {q(HumanTaskUi._meta.db_table)} u ON u.{q('id')} = f.{q('human_task_ui_id')} "
        f"WHERE f.{q('organization_id')} = %s AND f.{q('name')} = %s AND f.{q('deleted_at')} IS NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [organization_id, name])
        row = cursor.fetchone()
    if row is None:
        return None
    flow = rawsql.instance(FlowDefinition, "f", row, 0, _FLOW_FIELDS)
    ui = rawsql.instance(HumanTaskUi, "u", row, len(_FLOW_FIELDS), ("id", "deleted_at"))
    return flow, ui


def loop_validate_start(
    *,
    organization: Organization,
    name: Any,
    flow_definition_arn: Any,
    input_content: Any,
    content_classifiers: Any = None,
    activation_results: dict[str, Any] | None = None,
    flows: dict[str, FlowDefinition | None] | None = None,
) -> ValidStart:
    """Check one StartHumanLoop without writing anything. Raises ``InvalidInput``.

    ``flows`` is an optional cache (ARN -> flow or None) for callers validating many items
    against the same flows (batch start), so that each flow is read once.
    """
    classifiers = _check_values(
        name=name,
        flow_definition_arn=flow_definition_arn,
        input_content=input_content,
        content_classifiers=content_classifiers,
    )
    flow = _check_flow(organization=organization, flow_definition_arn=flow_definition_arn, flows=flows)
    return ValidStart(
        name=name,
        flow=flow,
        input_content=input_content,
        input_sha256=hashlib.sha256(input_content.encode("utf-8")).hexdigest(),
        content_classifiers=classifiers,
        activation_results=activation_results,
    )


def _check_values(*, name: Any, flow_definition_arn: Any, input_content: Any, content_classifiers: Any) -> list[str]:
    """The checks that need no database. Returns the content classifiers."""
    validation.human_loop_name(name)
    validation.string(
        flow_definition_arn, "flowDefinitionArn", max_len=1024, pattern=validation.A2I_FLOW_DEFINITION_ARN
    )
    validation.json_object_text(input_content, "humanLoopInput.inputContent", max_len=validation.MAX_INPUT_CONTENT)
    return [] if content_classifiers is None else validation.content_classifiers(content_classifiers)


def _check_flow(
    *, organization: Organization, flow_definition_arn: str, flows: dict[str, FlowDefinition | None] | None = None
) -> FlowDefinition:
    """The flow a loop may start on: the caller's, Active, its template not deleted."""
    if flows is not None and flow_definition_arn in flows:
        flow = flows[flow_definition_arn]
    else:
        flow = flow_for_arn(organization=organization, flow_definition_arn=flow_definition_arn)
        if flows is not None:
            flows[flow_definition_arn] = flow
    if flow is None:
        raise InvalidInput(
            f"Flow definition {flow_definition_arn} does not exist or you do not have access to it.",
            field="flowDefinitionArn",
        )
    if flow.status != FlowDefinitionStatus.ACTIVE:
        raise InvalidInput(
            f"Flow definition {flow.name} is {flow.status}: only an Active flow definition can start human loops.",
            field="flowDefinitionArn",
        )
    if flow.human_task_ui.deleted_at is not None:
        raise InvalidInput(
            f"The worker task template of flow definition {flow.name} was deleted: it cannot start new human loops.",
            field="flowDefinitionArn",
        )
    return flow


def _existing(organization: Organization, name: str) -> HumanLoop | None:
    loop = HumanLoop.objects.filter(
        organization=organization, name=name, deleted_at__isnull=True, is_gold=False
    ).first()
    if loop is not None:
        loop.organization = organization
    return loop


def _conflict(name: str) -> Conflict:
    return Conflict(
        f"A human loop named {name} already exists with different input data: "
        "choose another name, or send the same input to retry.",
        field="humanLoopName",
    )


def loop_build(*, organization: Organization, start: ValidStart, now: Any = None) -> tuple[HumanLoop, list[Task]]:
    """The unsaved loop and its TaskCount tasks for a validated start (batch start inserts many)."""
    now = now or timezone.now()
    flow = start.flow
    lifetime = flow.task_availability_lifetime_seconds
    loop = HumanLoop(
        organization=organization,
        flow_definition=flow,
        name=start.name,
        input_content=start.input_content,
        input_sha256=start.input_sha256,
        content_classifiers=start.content_classifiers,
        status=HumanLoopStatus.IN_PROGRESS,
        task_count=flow.task_count,
        expires_at=now + timedelta(seconds=lifetime) if lifetime else None,
        activation_results=start.activation_results,
    )
    tasks = [Task(loop=loop, flow_definition=flow, index=i, status=TaskStatus.OPEN) for i in range(flow.task_count)]
    return loop, tasks


def loop_announce(*, loops: list[HumanLoop]) -> None:
    """On commit: tell the flows' teams that work is available, and the organization's dashboards."""
    by_flow: dict[int, list[HumanLoop]] = {}
    for loop in loops:
        by_flow.setdefault(loop.flow_definition_id, []).append(loop)
    for group in by_flow.values():
        flow = group[0].flow_definition
        names = [loop.name for loop in group[:100]]
        data = {
            "flow_definition": flow.name,
            "flow_definition_id": flow.pk,
            "loops": len(group),
            "tasks": sum(loop.task_count for loop in group),
            "loop_names": names,
        }
        events.publish_on_commit(events.team_group(flow.workteam_id), events.event_message("work.available", data))
        events.publish_on_commit(events.org_group(flow.organization_id), events.event_message("loops.started", data))


def loop_start(
    *,
    organization: Organization,
    name: str,
    flow_definition_arn: str,
    input_content: str,
    content_classifiers: list[str] | None = None,
    activation_results: dict[str, Any] | None = None,
) -> tuple[HumanLoop, bool]:
    """Start a human loop: validate, then one transaction inserts the loop and its TaskCount tasks.

    Returns ``(loop, created)``. A live loop with the same name, flow and input is returned with
    ``created=False`` (a retried call succeeds); the same name with other input raises
    ``Conflict``. Nothing is written when anything is refused.
    """
    classifiers = _check_values(
        name=name,
        flow_definition_arn=flow_definition_arn,
        input_content=input_content,
        content_classifiers=content_classifiers,
    )
    digest = hashlib.sha256(input_content.encode("utf-8")).hexdigest()
    # No read of the name first: the unique (organization, name) constraint decides, so the common
    # case is one insert per table, and a retry or a conflict is told apart after the failed insert.
    # The flow is read inside the write transaction: on SQLite (one writer) a DeleteFlowDefinition
    # cannot slip in between the check and the insert; on PostgreSQL the window is this
    # transaction's few milliseconds, and the housekeeping reaper only removes a Deleting flow
    # once no loop of it is running.
    try:
        with locks.write_transaction():
            flow = _check_flow(organization=organization, flow_definition_arn=flow_definition_arn)
            start = ValidStart(
                name=name,
                flow=flow,
                input_content=input_content,
                input_sha256=digest,
                content_classifiers=classifiers,
                activation_results=activation_results,
            )
            loop, tasks = loop_build(organization=organization, start=start)
            # Hand-written inserts (flows.rawsql): the ORM's insert compilation was a third of
            # a StartHumanLoop's CPU.
            rawsql.insert([loop])
            for task in tasks:
                task.loop_id = loop.pk
            rawsql.insert(tasks, returning=False)
            loop_announce(loops=[loop])
    except IntegrityError:
        existing = _existing(organization, name)
        if existing is None:
            raise
        if existing.input_sha256 == digest and existing.flow_definition_id == flow.pk:
            return existing, False
        raise _conflict(name) from None
    return loop, True


def loop_get(*, organization: Organization, name: str) -> HumanLoop:
    """The organization's live (not deleted) loop ``name``; NotFound otherwise."""
    loop = _existing(organization, name)
    if loop is None:
        raise NotFound(f"Human loop {name} does not exist.", field="humanLoopName")
    return loop


def _close_open_tasks(loop_ids: list[int]) -> int:
    return Task.objects.filter(loop_id__in=loop_ids, status=TaskStatus.OPEN).update(status=TaskStatus.CLOSED)


def loop_stop(*, organization: Organization, name: str) -> HumanLoop:
    """StopHumanLoop (§8.4). Open tasks are withdrawn at once. With no task held by a worker the
    loop becomes Stopped; otherwise Stopping, and the work service stops it once the held tasks
    end. A loop already Stopping or terminal is returned unchanged (stopping is idempotent).

    Locks the loop, then its open and leased tasks (``flows.locks`` order), so a concurrent claim,
    submit or completion is seen whole.
    """
    validation.human_loop_name(name)
    loop = loop_get(organization=organization, name=name)
    if loop.status != HumanLoopStatus.IN_PROGRESS:
        return loop
    with locks.write_transaction():
        locked = locks.lock_loops([loop.pk])
        if not locked or locked[0].status != HumanLoopStatus.IN_PROGRESS or locked[0].deleted_at is not None:
            loop.refresh_from_db()
            return loop
        loop = locked[0]
        loop.organization = organization
        tasks = locks.lock_tasks_of_loops([loop.pk], statuses=[TaskStatus.OPEN, TaskStatus.LEASED])
        _close_open_tasks([loop.pk])
        audit_record(organization=organization, action="StopHumanLoop", resource=loop.arn)
        if any(t.status == TaskStatus.LEASED for t in tasks):
            loop.status = HumanLoopStatus.STOPPING
            loop.save(update_fields=["status"])
        else:
            loop.status = HumanLoopStatus.STOPPED
            loop.completed_at = timezone.now()
            loop.save(update_fields=["status", "completed_at"])
            events.loop_status_changed(loop)
            review_withdraw(loop=loop)  # Review hook: a review awaiting a decision is withdrawn.
    return loop


def loop_delete(*, organization: Organization, name: str) -> None:
    """DeleteHumanLoop (§8.5): only a Completed, Failed or Stopped loop; soft delete, so its
    answers and output stay. Any task still open is withdrawn."""
    validation.human_loop_name(name)
    loop = loop_get(organization=organization, name=name)
    if not loop.is_terminal:
        raise WrongState(
            f"Human loop {name} is {loop.status}: only a Completed, Failed or Stopped human loop can be deleted. "
            "Stop it first.",
            field="humanLoopName",
        )
    with locks.write_transaction():
        deleted = HumanLoop.objects.filter(
            pk=loop.pk, deleted_at__isnull=True, status__in=list(TERMINAL_STATUSES)
        ).update(deleted_at=timezone.now())
        if not deleted:
            raise NotFound(f"Human loop {name} does not exist.", field="humanLoopName")
        _close_open_tasks([loop.pk])
        audit_record(organization=organization, action="DeleteHumanLoop", resource=loop.arn)
