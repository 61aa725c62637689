"""Reads for the portal's people pages and dashboards, always within one organization."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from flows.models import Answer, FlowDefinition, HumanLoopStatus, Task, TaskStatus
from workforce.models import (
    ApiKey,
    Crowd,
    Earning,
    Invitation,
    Membership,
    Organization,
    TeamMembership,
    User,
    VendorSubscription,
    Workteam,
)


def teams_of(organization: Organization) -> list[Workteam]:
    """The organization's own teams (private and vendor offerings) with member counts."""
    return list(
        Workteam.objects.filter(organization=organization)
        .annotate(member_count=Count("memberships"))
        .order_by("name", "pk")
    )


def team_get(*, organization: Organization, workteam_id: int) -> Workteam | None:
    return Workteam.objects.filter(organization=organization, pk=workteam_id).first()


def team_members(workteam: Workteam) -> list[TeamMembership]:
    return list(TeamMembership.objects.select_related("user").filter(workteam=workteam).order_by("user__email"))


def invitations_of(organization: Organization, *, limit: int = 200) -> list[Invitation]:
    return list(
        Invitation.objects.select_related("workteam", "invited_by")
        .filter(organization=organization)
        .order_by("-created_at", "-pk")[:limit]
    )


def invitation_get(*, organization: Organization, invitation_id: int) -> Invitation | None:
    return Invitation.objects.filter(organization=organization, pk=invitation_id).first()


def members_of(organization: Organization) -> list[Membership]:
    return list(Membership.objects.select_related("user").filter(organization=organization).order_by("user__email"))


def api_keys_of(organization: Organization) -> list[ApiKey]:
    return list(ApiKey.objects.filter(organization=organization).order_by("-created_at", "-pk"))


@dataclass(frozen=True)
class FlowProgress:
    flow_id: int
    name: str
    title: str
    open: int
    in_progress: int
    done: int
    loops_in_progress: int
    loops_completed: int


def flow_progress(organization: Organization) -> list[FlowProgress]:
    """Per live flow of the organization: tasks open, in progress (leased) and done (submitted),
    and loops in progress and completed. Three queries, whatever the number of flows."""
    flows = list(
        FlowDefinition.objects.filter(organization=organization, deleted_at__isnull=True).order_by("name", "pk")
    )
    ids = [f.pk for f in flows]
    tasks: dict[int, Any] = {
        row["flow_definition_id"]: row
        for row in Task.objects.filter(flow_definition_id__in=ids, loop__deleted_at__isnull=True)
        .values("flow_definition_id")
        .annotate(
            open=Count("pk", filter=Q(status=TaskStatus.OPEN)),
            leased=Count("pk", filter=Q(status=TaskStatus.LEASED)),
            submitted=Count("pk", filter=Q(status=TaskStatus.SUBMITTED)),
        )
    }
    from flows.models import HumanLoop

    loops: dict[int, Any] = {
        row["flow_definition_id"]: row
        for row in HumanLoop.objects.filter(flow_definition_id__in=ids, deleted_at__isnull=True, is_gold=False)
        .values("flow_definition_id")
        .annotate(
            running=Count("pk", filter=Q(status=HumanLoopStatus.IN_PROGRESS)),
            completed=Count("pk", filter=Q(status=HumanLoopStatus.COMPLETED)),
        )
    }
    out = []
    for f in flows:
        t = tasks.get(f.pk, {})
        lp = loops.get(f.pk, {})
        out.append(
            FlowProgress(
                flow_id=f.pk,
                name=f.name,
                title=f.task_title,
                open=t.get("open", 0),
                in_progress=t.get("leased", 0),
                done=t.get("submitted", 0),
                loops_in_progress=lp.get("running", 0),
                loops_completed=lp.get("completed", 0),
            )
        )
    return out


@dataclass(frozen=True)
class WorkerStats:
    user_id: int
    email: str
    worker_id: str
    answers: int
    seconds: float
    holding: int


def worker_stats(organization: Organization) -> list[WorkerStats]:
    """Per worker who answered or holds a task of the organization's loops: answers submitted,
    time spent on them (seconds), tasks held now. Ordered by answers, most first."""
    answers: dict[int, Any] = {
        row["worker_id"]: row
        for row in Answer.objects.filter(loop__organization=organization)
        .values("worker_id")
        .annotate(n=Count("pk"), seconds=Sum("time_spent_seconds"))
    }
    holding = dict(
        Task.objects.filter(loop__organization=organization, status=TaskStatus.LEASED)
        .values("worker_id")
        .annotate(n=Count("pk"))
        .values_list("worker_id", "n")
    )
    ids = set(answers) | {k for k in holding if k is not None}
    users = {u.pk: u for u in User.objects.filter(pk__in=ids).only("pk", "email", "worker_id")}
    rows = [
        WorkerStats(
            user_id=pk,
            email=users[pk].email,
            worker_id=users[pk].worker_id,
            answers=answers.get(pk, {}).get("n", 0),
            seconds=float(answers.get(pk, {}).get("seconds") or 0.0),
            holding=holding.get(pk, 0),
        )
        for pk in ids
        if pk in users
    ]
    rows.sort(key=lambda r: (-r.answers, r.email))
    return rows


@dataclass(frozen=True)
class MonthUsage:
    month: datetime
    objects_reviewed: int
    answers: int


def usage_by_month(organization: Organization) -> list[MonthUsage]:
    """Objects reviewed per month: distinct human loops that received an answer that month, and
    the answers themselves. Newest month first."""
    rows = (
        Answer.objects.filter(loop__organization=organization)
        .annotate(month=TruncMonth("submission_time"))
        .values("month")
        # Objects reviewed are the customer's loops (not gold items); answers count all the work.
        .annotate(loops=Count("loop_id", distinct=True, filter=Q(loop__is_gold=False)), answers=Count("pk"))
        .order_by("-month")
    )
    return [MonthUsage(month=r["month"], objects_reviewed=r["loops"], answers=r["answers"]) for r in rows]


@dataclass(frozen=True)
class EarningsSummary:
    entries: list[Earning]
    total_mills: int
    count: int


def earnings_of(worker: User, *, limit: int = 100) -> EarningsSummary:
    qs = Earning.objects.filter(worker=worker)
    totals = qs.aggregate(total=Sum("amount_mills"), n=Count("pk"))
    entries = list(qs.select_related("flow_definition").order_by("-earned_at", "-pk")[:limit])
    return EarningsSummary(entries=entries, total_mills=totals["total"] or 0, count=totals["n"])


def vendor_offerings(*, exclude: Organization) -> QuerySet[Workteam]:
    """Vendor teams other organizations offer (the marketplace)."""
    return (
        Workteam.objects.select_related("organization")
        .filter(crowd=Crowd.VENDOR)
        .exclude(organization=exclude)
        .order_by("marketplace_title", "pk")
    )


def subscriptions_of(organization: Organization) -> list[VendorSubscription]:
    return list(
        VendorSubscription.objects.select_related("workteam__organization")
        .filter(organization=organization)
        .order_by("workteam__marketplace_title", "pk")
    )


def teams_for_flows(organization: Organization) -> list[Workteam]:
    """Teams a flow of ``organization`` may name: its private teams, subscribed vendor teams and
    the public pool's team (if it exists)."""
    own = Workteam.objects.filter(organization=organization, crowd=Crowd.PRIVATE)
    subscribed = Workteam.objects.filter(subscriptions__organization=organization, crowd=Crowd.VENDOR)
    public = Workteam.objects.filter(crowd=Crowd.PUBLIC)
    return list((own | subscribed | public).select_related("organization").distinct().order_by("crowd", "name"))
