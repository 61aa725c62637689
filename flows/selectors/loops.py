"""Reads of human loops, always within one organization; deleted loops are never returned."""

from __future__ import annotations

from datetime import datetime

from flows.errors import NotFound
from flows.models import FlowDefinition, HumanLoop
from flows.selectors.pagination import Page, page
from workforce.models import Organization


def loop_get(*, organization: Organization, name: str) -> HumanLoop:
    loop = (
        HumanLoop.objects.select_related("flow_definition")
        .filter(organization=organization, name=name, deleted_at__isnull=True, is_gold=False)
        .first()
    )
    if loop is None:
        raise NotFound(f"Human loop {name} does not exist.", field="humanLoopName")
    loop.organization = organization
    loop.flow_definition.organization = organization
    return loop


def loop_list(
    *,
    flow: FlowDefinition,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    descending: bool = True,
    limit: int = 100,
    token: str | None = None,
) -> Page[HumanLoop]:
    """Loops of one flow by creation time (After inclusive, Before exclusive, as SageMaker)."""
    qs = HumanLoop.objects.filter(flow_definition=flow, deleted_at__isnull=True, is_gold=False)
    if created_after is not None:
        qs = qs.filter(created_at__gte=created_after)
    if created_before is not None:
        qs = qs.filter(created_at__lt=created_before)
    result = page(
        qs.only("pk", "name", "status", "created_at", "failure_reason", "organization_id", "flow_definition_id"),
        fields=["created_at", "pk"],
        descending=descending,
        limit=limit,
        token=token,
        query={"op": "loops", "f": flow.pk, "a": created_after, "b": created_before, "d": descending},
    )
    for loop in result.items:
        loop.organization = flow.organization
        loop.flow_definition = flow
    return result
