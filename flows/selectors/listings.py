"""Filtered listings for the REST API, always within one organization, as querysets that the REST
layer pages with a cursor (the AWS list operations page with their own tokens, in
``definitions.py`` and ``loops.py``). Deleted resources are never listed."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from flows.models import FlowDefinition, HumanLoop, HumanTaskUi
from workforce.models import Organization, Workteam


def _filtered(
    qs: QuerySet, *, name: str | None, created_after: datetime | None, created_before: datetime | None
) -> QuerySet:
    """``name``: names containing the text; created_after inclusive, created_before exclusive."""
    if name:
        qs = qs.filter(name__contains=name)
    if created_after is not None:
        qs = qs.filter(created_at__gte=created_after)
    if created_before is not None:
        qs = qs.filter(created_at__lt=created_before)
    return qs


def task_ui_query(
    *,
    organization: Organization,
    name: str | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
) -> QuerySet[HumanTaskUi]:
    qs = HumanTaskUi.objects.select_related("organization").filter(organization=organization, deleted_at__isnull=True)
    return _filtered(qs, name=name, created_after=created_after, created_before=created_before)


def flow_query(
    *,
    organization: Organization,
    name: str | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
) -> QuerySet[FlowDefinition]:
    qs = FlowDefinition.objects.select_related("organization").filter(
        organization=organization, deleted_at__isnull=True
    )
    return _filtered(qs, name=name, created_after=created_after, created_before=created_before)


def loop_query(
    *,
    organization: Organization,
    status: str | None = None,
    flow_name: str | None = None,
    name: str | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
) -> QuerySet[HumanLoop]:
    """Loops of the organization; ``flow_name`` narrows to one live flow's loops."""
    qs = (
        HumanLoop.objects.select_related("organization", "flow_definition")
        .defer("input_content", "activation_results", "consolidated_answer")
        .filter(organization=organization, deleted_at__isnull=True, is_gold=False)
    )
    if status:
        qs = qs.filter(status=status)
    if flow_name:
        qs = qs.filter(flow_definition__name=flow_name, flow_definition__deleted_at__isnull=True)
    return _filtered(qs, name=name, created_after=created_after, created_before=created_before)


def workteam_query(
    *,
    organization: Organization,
    name: str | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
) -> QuerySet[Workteam]:
    qs = Workteam.objects.select_related("organization", "workforce").filter(organization=organization)
    return _filtered(qs, name=name, created_after=created_after, created_before=created_before)
