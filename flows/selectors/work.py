"""Reads about work: which flows a worker may work on, what is left for them, the task they hold.

Who may work on a flow (its ``workteam``):
* private team (crowd "private"): members of that team, which belongs to the flow's organization;
* vendor team (crowd "vendor"): members of the vendor's team, and only for flows whose
  organization subscribes to that team (``VendorSubscription``);
* the public team (crowd "public"): any worker who opted in (``User.public_pool_opt_in``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from flows import rawsql
from flows.models import (
    Assignment,
    FlowDefinition,
    FlowDefinitionStatus,
    HumanLoopStatus,
    Task,
    TaskStatus,
)
from workforce.models import Crowd, TeamMembership, User, VendorSubscription, Workteam

#: Flows whose open tasks may still be worked on (A2I: while a flow definition is being deleted,
#: work already under way continues).
WORKABLE_FLOW_STATUSES = (FlowDefinitionStatus.ACTIVE, FlowDefinitionStatus.DELETING)


def flows_for_worker(worker: User) -> QuerySet[FlowDefinition]:
    """The flow definitions ``worker`` may work on (none for an inactive or anonymous user)."""
    if not getattr(worker, "is_active", False) or not isinstance(worker, User):
        return FlowDefinition.objects.none()
    member = TeamMembership.objects.filter(workteam_id=OuterRef("workteam_id"), user_id=worker.pk)
    subscribed = VendorSubscription.objects.filter(
        workteam_id=OuterRef("workteam_id"), organization_id=OuterRef("organization_id")
    )
    eligible = Q(workteam__crowd=Crowd.PRIVATE, workteam__organization_id=F("organization_id")) & Q(Exists(member))
    eligible |= Q(workteam__crowd=Crowd.VENDOR) & Q(Exists(member)) & Q(Exists(subscribed))
    if worker.public_pool_opt_in:
        eligible |= Q(workteam__crowd=Crowd.PUBLIC)
    return FlowDefinition.objects.filter(status__in=WORKABLE_FLOW_STATUSES).filter(eligible)


def claim_candidates(
    worker: User, *, flow_id: int | None = None, flow_name: str | None = None
) -> list[tuple[int, int | None]]:
    """(pk, MaxConcurrentTaskCount) of the flows ``worker`` may claim from: ``flows_for_worker``
    in hand-written SQL (the claim's hot path, ``flows.rawsql``), narrowed to one flow by pk or
    by name (a live flow definition of that name) when given. The tests compare the two."""
    if not getattr(worker, "is_active", False) or not isinstance(worker, User):
        return []
    f, w = rawsql.table(FlowDefinition), rawsql.table(Workteam)
    member = (
        f"EXISTS (SELECT 1 FROM {rawsql.table(TeamMembership)} m "
        "WHERE m.workteam_id = fd.workteam_id AND m.user_id = %s)"
    )
    subscribed = (
        f"EXISTS (SELECT 1 FROM {rawsql.table(VendorSubscription)} s "
        "WHERE s.workteam_id = fd.workteam_id AND s.organization_id = fd.organization_id)"
    )
    eligible = (
        f"(wt.crowd = %s AND wt.organization_id = fd.organization_id AND {member}) "
        f"OR (wt.crowd = %s AND {member} AND {subscribed})"
    )
    params: list[Any] = [
        *(s.value for s in WORKABLE_FLOW_STATUSES),
        Crowd.PRIVATE.value,
        worker.pk,
        Crowd.VENDOR.value,
        worker.pk,
    ]
    if worker.public_pool_opt_in:
        eligible += " OR wt.crowd = %s"
        params.append(Crowd.PUBLIC.value)
    sql = (
        f"SELECT fd.id, fd.max_concurrent_task_count FROM {f} fd INNER JOIN {w} wt ON wt.id = fd.workteam_id "
        f"WHERE fd.status IN (%s, %s) AND ({eligible})"
    )
    if flow_id is not None:
        sql += " AND fd.id = %s"
        params.append(flow_id)
    if flow_name is not None:
        sql += " AND fd.name = %s AND fd.deleted_at IS NULL"
        params.append(flow_name)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(pk, limit) for pk, limit in cursor.fetchall()]


def open_tasks_for_worker(worker: User, *, flow_ids: QuerySet | list[int]) -> QuerySet[Task]:
    """Open tasks of ``flow_ids`` that ``worker`` could take now: loop InProgress and not past
    its availability lifetime, and a loop the worker never touched."""
    touched = Assignment.objects.filter(worker_id=worker.pk, loop_id=OuterRef("loop_id"))
    return (
        Task.objects.filter(
            status=TaskStatus.OPEN, flow_definition_id__in=flow_ids, loop__status=HumanLoopStatus.IN_PROGRESS
        )
        .filter(Q(loop__expires_at__isnull=True) | Q(loop__expires_at__gt=timezone.now()))
        .filter(~Exists(touched))
    )


@dataclass(frozen=True)
class FlowWork:
    """One flow a worker may work on, and how many of its loops they can still take a task of."""

    flow_definition: FlowDefinition
    available: int


def work_counts_for(worker: User) -> list[FlowWork]:
    """Every flow ``worker`` may work on, with the number of loops that still have an open task
    for them (a worker takes at most one task per loop), ordered by flow title then id. Two
    queries, whatever the number of flows."""
    flows = list(flows_for_worker(worker).select_related("organization", "workteam").order_by("task_title", "pk"))
    if not flows:
        return []
    counts = dict(
        open_tasks_for_worker(worker, flow_ids=[f.pk for f in flows])
        .values("flow_definition_id")
        .annotate(n=Count("loop_id", distinct=True))
        .values_list("flow_definition_id", "n")
    )
    return [FlowWork(flow_definition=f, available=counts.get(f.pk, 0)) for f in flows]


def task_for_worker(worker: User, task_id: int) -> Task | None:
    """The task ``task_id`` if ``worker`` holds it now (leased to them), with its loop and flow."""
    if not isinstance(worker, User):
        return None
    return (
        Task.objects.select_related("loop", "flow_definition__organization", "flow_definition__human_task_ui")
        .filter(pk=task_id, worker_id=worker.pk, status=TaskStatus.LEASED)
        .first()
    )


def tasks_held_by(worker: User) -> QuerySet[Task]:
    """The tasks ``worker`` holds now, oldest lease first."""
    return (
        Task.objects.select_related("loop", "flow_definition__organization")
        .filter(worker_id=worker.pk, status=TaskStatus.LEASED)
        .order_by("leased_at", "pk")
    )
