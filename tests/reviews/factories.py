"""Factories for the reviews tests: a task UI, a flow, a loop and a task leased to a worker."""

from __future__ import annotations

import hashlib
import itertools
import json
from datetime import timedelta
from typing import Any

from django.utils import timezone

from flows.models import FlowDefinition, HumanLoop, HumanTaskUi, Task, TaskStatus
from tests.conftest import Org
from workforce.models import Membership, Role, User
from workforce.services import worker_add

_seq = itertools.count(1)


def make_worker(org: Org, *, password: str = "pw-Worker-123!") -> User:
    user, _ = worker_add(organization=org.organization, email=f"worker-{next(_seq)}@example.test", password=password)
    return user


def make_member(org: Org, role: Role, *, password: str = "pw-Member-123!") -> User:
    user = User.objects.create_user(email=f"{role}-{next(_seq)}@example.test", password=password)
    Membership.objects.create(organization=org.organization, user=user, role=role)
    return user


def make_leased_task(
    org: Org,
    worker: User,
    *,
    template: str,
    task_input: dict[str, Any],
    lease_seconds: int = 3600,
    status: str = TaskStatus.LEASED,
) -> Task:
    n = next(_seq)
    ui = HumanTaskUi.objects.create(
        organization=org.organization,
        name=f"ui-{n}",
        template=template,
        content_sha256=hashlib.sha256(template.encode()).hexdigest(),
    )
    flow = FlowDefinition.objects.create(
        organization=org.organization,
        name=f"flow-{n}",
        human_task_ui=ui,
        workteam=org.workteam,
        workteam_arn=org.workteam.arn,
        task_title="Review",
        task_description="Review it",
        task_count=1,
        output_s3_path="s3://out/",
        role_arn=f"arn:aws:iam::{org.account_id}:role/a2i",
    )
    input_content = json.dumps(task_input)
    loop = HumanLoop.objects.create(
        organization=org.organization,
        flow_definition=flow,
        name=f"loop-{n}",
        input_content=input_content,
        input_sha256=hashlib.sha256(input_content.encode()).hexdigest(),
        task_count=1,
    )
    now = timezone.now()
    leased = status == TaskStatus.LEASED
    return Task.objects.create(
        loop=loop,
        flow_definition=flow,
        index=0,
        status=status,
        worker=worker if leased else None,
        leased_at=now if leased else None,
        lease_expires_at=now + timedelta(seconds=lease_seconds) if leased else None,
    )
