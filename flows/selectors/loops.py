"""Reads of human loops, always within one organization; deleted loops are never returned."""

from __future__ import annotations

from flows.errors import NotFound
from flows.models import FlowDefinition, HumanLoop
from flows.selectors.pagination import CreationPaging, Page, page_by_creation
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


def loop_list(*, flow: FlowDefinition, paging: CreationPaging) -> Page[HumanLoop]:
    """Loops of one flow by creation time (After inclusive, Before exclusive, as SageMaker)."""
    qs = HumanLoop.objects.filter(flow_definition=flow, deleted_at__isnull=True, is_gold=False).only(
        "pk", "name", "status", "created_at", "failure_reason", "organization_id", "flow_definition_id"
    )
    result = page_by_creation(qs, paging, op="loops", f=flow.pk)
    for loop in result.items:
        loop.organization = flow.organization
        loop.flow_definition = flow
    return result
