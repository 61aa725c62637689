"""Factories for work tests: teams of each crowd, workers, flows, and loops started through
``loop_start`` (so the rows are exactly the ones a real start makes)."""

from __future__ import annotations

import hashlib
import itertools
import json
from typing import Any

from flows.models import FlowDefinition, HumanLoop, HumanTaskUi
from flows.services.loops import loop_start
from tests.conftest import Org, make_org
from workforce.models import Crowd, Organization, User, VendorSubscription, Workforce, Workteam
from workforce.services import public_pool_get_or_create, worker_add

TEMPLATE = '<crowd-form><crowd-input name="label"></crowd-input></crowd-form>'
_seq = itertools.count(1)


def org_factory() -> Org:
    return make_org()


def worker_factory(org: Org, *, team: Workteam | None = None, public: bool = False) -> User:
    n = next(_seq)
    user, _ = worker_add(
        organization=org.organization,
        email=f"worker-{n}@{org.organization.name}.test",
        password="pw-W0rker-123!",
        workteam=team,
    )
    if public:
        user.public_pool_opt_in = True
        user.save(update_fields=["public_pool_opt_in"])
    return user


def team_factory(org: Organization, *, crowd: str = Crowd.PRIVATE, name: str | None = None) -> Workteam:
    workforce = Workforce.objects.get(organization=org)
    return Workteam.objects.create(
        organization=org, workforce=workforce, name=name or f"team-{next(_seq)}", crowd=crowd, description="A team"
    )


def vendor_team_factory(vendor: Org, *, subscribers: list[Org] = ()) -> Workteam:  # type: ignore[assignment]
    team = team_factory(vendor.organization, crowd=Crowd.VENDOR)
    for customer in subscribers:
        VendorSubscription.objects.create(organization=customer.organization, workteam=team)
    return team


def public_team() -> Workteam:
    return public_pool_get_or_create()


def flow_factory(
    org: Org,
    *,
    team: Workteam | None = None,
    task_count: int = 1,
    time_limit: int = 3600,
    lifetime: int | None = None,
    max_concurrent: int | None = None,
    name: str | None = None,
) -> FlowDefinition:
    """A flow definition as CreateFlowDefinition stores it, on any team (vendor and public ones too)."""
    n = next(_seq)
    ui = HumanTaskUi.objects.create(
        organization=org.organization,
        name=f"ui-{n}",
        template=TEMPLATE,
        content_sha256=hashlib.sha256(TEMPLATE.encode()).hexdigest(),
    )
    team = team or org.workteam
    return FlowDefinition.objects.create(
        organization=org.organization,
        name=name or f"flow-{n}",
        human_task_ui=ui,
        workteam=team,
        workteam_arn=team.arn,
        task_title=f"Review {n}",
        task_description="Review the prediction",
        task_count=task_count,
        task_availability_lifetime_seconds=lifetime,
        task_time_limit_seconds=time_limit,
        max_concurrent_task_count=max_concurrent,
        output_s3_path="s3://bucket/out",
        role_arn=f"arn:aws:iam::{org.account_id}:role/loupe",
    )


def loop_factory(org: Org, flow: FlowDefinition, *, name: str | None = None, **data: Any) -> HumanLoop:
    loop, created = loop_start(
        organization=org.organization,
        name=name or f"loop-{next(_seq)}",
        flow_definition_arn=flow.arn,
        input_content=json.dumps(data or {"text": "hello"}),
    )
    assert created
    return loop
