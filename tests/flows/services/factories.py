"""Factories for task UIs, flow definitions and loops, through the services (no fixtures files)."""

from __future__ import annotations

import itertools
import json
from typing import Any

from flows.models import FlowDefinition, HumanLoop, HumanTaskUi
from flows.services.flow_definitions import HumanLoopConfig, flow_definition_create
from flows.services.loops import loop_start
from flows.services.task_uis import task_ui_create
from workforce.models import Organization

TEMPLATE = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
  <crowd-classifier name="sentiment" categories="['Positive', 'Negative']" header="{{ task.input.text }}">
    <classification-target>{{ task.input.text }}</classification-target>
  </crowd-classifier>
</crowd-form>"""

_seq = itertools.count(1)


def task_ui_factory(org: Organization, name: str | None = None, content: str = TEMPLATE) -> HumanTaskUi:
    return task_ui_create(organization=org, name=name or f"ui-{next(_seq)}", content=content)


def flow_factory(
    org: Organization, name: str | None = None, *, task_count: int = 1, ui: HumanTaskUi | None = None, **config: Any
) -> FlowDefinition:
    ui = ui or task_ui_factory(org)
    hlc = HumanLoopConfig(
        workteam_arn=config.pop(
            "workteam_arn", f"arn:aws:sagemaker:{org.region}:{org.account_id}:workteam/private-crowd/default"
        ),
        human_task_ui_arn=ui.arn,
        task_title=config.pop("task_title", "Review"),
        task_description=config.pop("task_description", "Review the prediction"),
        task_count=task_count,
        **config,
    )
    return flow_definition_create(
        organization=org,
        name=name or f"flow-{next(_seq)}",
        role_arn=f"arn:aws:iam::{org.account_id}:role/loupe",
        output_s3_path="s3://bucket/out",
        human_loop_config=hlc,
    )


def loop_factory(org: Organization, flow: FlowDefinition, name: str | None = None, **data: Any) -> HumanLoop:
    loop, _ = loop_start(
        organization=org,
        name=name or f"loop-{next(_seq)}",
        flow_definition_arn=flow.arn,
        input_content=json.dumps(data or {"text": "hello"}),
    )
    return loop
