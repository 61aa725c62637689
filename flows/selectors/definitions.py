"""Reads of task UIs, flow definitions, work teams, workforces, subscriptions and tags, always
within one organization."""

from __future__ import annotations

from flows.errors import NotFound
from flows.models import FlowDefinition, HumanTaskUi, Tag
from flows.selectors.pagination import CreationPaging, M, NamePaging, Page, page, page_by_creation, page_by_name
from workforce.models import Crowd, Organization, VendorSubscription, Workforce, Workteam


def _owned(result: Page[M], organization: Organization) -> Page[M]:
    """``result`` with each item's organization set to ``organization`` (no query per item)."""
    for item in result.items:
        item.organization = organization  # type: ignore[attr-defined]
    return result


def task_ui_get(*, organization: Organization, name: str) -> HumanTaskUi:
    ui = HumanTaskUi.objects.filter(organization=organization, name=name, deleted_at__isnull=True).first()
    if ui is None:
        raise NotFound(f"Human task UI {name} does not exist.", field="humanTaskUiName")
    ui.organization = organization
    return ui


def task_ui_list(*, organization: Organization, paging: CreationPaging) -> Page[HumanTaskUi]:
    qs = HumanTaskUi.objects.filter(organization=organization, deleted_at__isnull=True)
    return _owned(page_by_creation(qs, paging, op="task-uis"), organization)


def flow_get(*, organization: Organization, name: str) -> FlowDefinition:
    flow = (
        FlowDefinition.objects.select_related("human_task_ui")
        .filter(organization=organization, name=name, deleted_at__isnull=True)
        .first()
    )
    if flow is None:
        raise NotFound(f"Flow definition {name} does not exist.", field="flowDefinitionName")
    flow.organization = organization
    flow.human_task_ui.organization = organization
    return flow


def flow_list(*, organization: Organization, paging: CreationPaging) -> Page[FlowDefinition]:
    qs = FlowDefinition.objects.filter(organization=organization, deleted_at__isnull=True)
    return _owned(page_by_creation(qs, paging, op="flows"), organization)


def workteam_get(*, organization: Organization, name: str) -> Workteam:
    """One of the organization's own teams (private, or vendor teams it offers) by name."""
    team = Workteam.objects.select_related("workforce").filter(organization=organization, name=name).first()
    if team is None:
        raise NotFound(f"Work team {name} does not exist.", field="workteamName")
    team.organization = organization
    return team


def workteam_list(*, organization: Organization, paging: NamePaging) -> Page[Workteam]:
    qs = Workteam.objects.select_related("workforce").filter(organization=organization)
    result = _owned(page_by_name(qs, paging, op="workteams"), organization)
    for team in result.items:
        team.workforce.organization = organization
    return result


def workteam_count(*, organization: Organization) -> int:
    return Workteam.objects.filter(organization=organization).count()


def workforce_get(*, organization: Organization, name: str) -> Workforce:
    workforce = Workforce.objects.filter(organization=organization, name=name).first()
    if workforce is None:
        raise NotFound(f"Workforce {name} does not exist.", field="workforceName")
    workforce.organization = organization
    return workforce


def workforce_list(*, organization: Organization, paging: NamePaging) -> Page[Workforce]:
    qs = Workforce.objects.filter(organization=organization)
    return _owned(page_by_name(qs, paging, op="workforces"), organization)


def subscription_list(
    *, organization: Organization, name_contains: str | None = None, limit: int = 100, token: str | None = None
) -> Page[VendorSubscription]:
    qs = VendorSubscription.objects.select_related("workteam__organization").filter(
        organization=organization, workteam__crowd=Crowd.VENDOR
    )
    if name_contains:
        qs = qs.filter(workteam__name__icontains=name_contains)
    return page(
        qs,
        fields=["pk"],
        descending=False,
        limit=limit,
        token=token,
        query={"op": "subscribed", "n": name_contains},
    )


def subscription_get(*, organization: Organization, workteam_arn: str) -> VendorSubscription:
    head, _, resource = workteam_arn.partition(":workteam/vendor-crowd/")
    account = head.split(":")[-1] if resource else ""
    sub = (
        VendorSubscription.objects.select_related("workteam__organization")
        .filter(
            organization=organization,
            workteam__crowd=Crowd.VENDOR,
            workteam__name=resource,
            workteam__organization__account_id=account,
        )
        .first()
    )
    if sub is None or sub.workteam.arn != workteam_arn:
        raise NotFound(f"You are not subscribed to the work team {workteam_arn}.", field="workteamArn")
    return sub


def tag_list(*, organization: Organization, resource_arn: str, limit: int = 50, token: str | None = None) -> Page[Tag]:
    qs = Tag.objects.filter(organization=organization, resource_arn=resource_arn)
    return page(qs, fields=["pk"], descending=False, limit=limit, token=token, query={"op": "tags", "r": resource_arn})
