"""Reads for the engineer console."""

from __future__ import annotations

from datetime import datetime

from flows.errors import InvalidInput
from flows.models import FlowDefinition, HumanLoop, HumanLoopStatus

CONSOLE_PAGE = 200


def loops_filtered(
    *,
    flow: FlowDefinition,
    status: str | None = None,
    name_contains: str | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    limit: int = CONSOLE_PAGE,
) -> list[HumanLoop]:
    """The flow's live loops, newest first, filtered by status, part of the name and creation time
    (after inclusive, before exclusive). ``InvalidInput`` for an unknown status."""
    qs = HumanLoop.objects.filter(flow_definition=flow, deleted_at__isnull=True, is_gold=False)
    if status:
        if status not in HumanLoopStatus.values:
            raise InvalidInput(f"{status} is not a human loop status.", field="status")
        qs = qs.filter(status=status)
    if name_contains:
        qs = qs.filter(name__icontains=name_contains)
    if created_after is not None:
        qs = qs.filter(created_at__gte=created_after)
    if created_before is not None:
        qs = qs.filter(created_at__lt=created_before)
    return list(
        qs.only("pk", "name", "status", "created_at", "completed_at", "failure_reason", "flow_definition_id").order_by(
            "-created_at", "-pk"
        )[:limit]
    )
