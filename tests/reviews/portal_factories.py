"""Factories for portal tests: people with a role, flows whose task UI submits through the task
frame bridge with one click, loops started through ``loop_start``."""

from __future__ import annotations

import itertools
import json

from allauth.account.models import EmailAddress

from flows import arns
from flows.models import FlowDefinition, HumanLoop
from flows.services.flow_definitions import HumanLoopConfig, flow_definition_create
from flows.services.loops import loop_start
from flows.services.task_uis import task_ui_create
from tests.conftest import Org
from workforce.models import Membership, Organization, Role, TeamMembership, User, Workteam

PASSWORD = "pw-Portal-2468!"
#: A plain task UI: one button hands the answer to the portal (static/crowd/frame-bridge.js).
CLICK_TEMPLATE = (
    '<p id="question">Is there a cat in {{ task.input.name | escape }}?</p>'
    '<button id="answer-yes" type="button" onclick="LoupeFrame.submit({label: \'cat\'})">Yes</button>'
)
_seq = itertools.count(1)


def person_factory(org: Organization | Org | None = None, *, role: str = Role.WORKER, email: str | None = None) -> User:
    """A verified account, with ``role`` in ``org`` when given."""
    n = next(_seq)
    user = User.objects.create_user(email=email or f"person-{n}-{next(_seq)}@portal.test", password=PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    if org is not None:
        organization = org.organization if isinstance(org, Org) else org
        Membership.objects.create(organization=organization, user=user, role=role)
    return user


def member_of(team: Workteam, user: User) -> User:
    Membership.objects.get_or_create(organization=team.organization, user=user, defaults={"role": Role.WORKER})
    TeamMembership.objects.get_or_create(workteam=team, user=user)
    return user


def click_flow(
    org: Org, *, team: Workteam | None = None, task_count: int = 1, time_limit: int = 3600, price: dict | None = None
) -> FlowDefinition:
    """A flow made through the services the console calls, on ``team`` (the org's default team
    if None; vendor and public teams need a subscription / the public pool)."""
    n = next(_seq)
    organization = org.organization
    ui = task_ui_create(organization=organization, name=f"click-ui-{n}", content=CLICK_TEMPLATE)
    team = team or org.workteam
    return flow_definition_create(
        organization=organization,
        name=f"click-flow-{n}",
        role_arn=f"arn:aws:iam::{organization.account_id}:role/Review",
        output_s3_path="s3://portal-tests/out",
        human_loop_config=HumanLoopConfig(
            workteam_arn=team.arn,
            human_task_ui_arn=arns.human_task_ui_arn(organization.region, organization.account_id, ui.name),
            task_title=f"Find the cat {n}",
            task_description="Say whether the picture shows a cat.",
            task_count=task_count,
            task_time_limit_seconds=time_limit,
            public_price=price,
        ),
    )


def loops_factory(org: Org, flow: FlowDefinition, count: int = 1) -> list[HumanLoop]:
    loops = []
    for _ in range(count):
        n = next(_seq)
        loop, _ = loop_start(
            organization=org.organization,
            name=f"loop-{n}",
            flow_definition_arn=flow.arn,
            input_content=json.dumps({"name": f"picture {n}"}),
        )
        loops.append(loop)
    return loops
