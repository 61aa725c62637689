"""Flow definitions (spec/a2i.md §11): create and delete.

A flow is created Active. Deleting goes through ``Deleting``: loops that no worker has started are
stopped and deleted at once, loops a worker started run on, and the flow is removed (soft delete,
so its name can be reused) once none of its loops is still running; ``flow_definitions_reap``
(housekeeping) finishes the ones that had to wait.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from audit.services import audit_record
from flows import events, locks, validation
from flows.activation import conditions_validate
from flows.arns import PUBLIC_CROWD_ACCOUNT
from flows.errors import InUse, InvalidInput, NotFound
from flows.models import (
    TERMINAL_STATUSES,
    Assignment,
    FlowDefinition,
    FlowDefinitionStatus,
    HumanLoop,
    HumanLoopStatus,
    HumanTaskUi,
    Task,
    TaskStatus,
)
from flows.services.tags import tags_drop_all, tags_write
from workforce.models import Crowd, Organization, VendorSubscription, Workteam

#: PublicWorkforceTaskPrice points the model allows for A2I custom and Rekognition flows (USD/1000).
_PRICES_CUSTOM = frozenset([12, 24, 36, 48, 60, 72, 120, 240, 360, 480, 600, 720, 840, 960, 1080, 1200])
#: Textract AnalyzeDocument adds these.
_PRICES_TEXTRACT = _PRICES_CUSTOM | frozenset([1320, 1440, 1560, 1680, 1800, 1920, 2040, 2160, 2280, 2400])
_TEXTRACT = "AWS/Textract/AnalyzeDocument/Forms/V1"


@dataclass(frozen=True)
class HumanLoopConfig:
    workteam_arn: str
    human_task_ui_arn: str
    task_title: str
    task_description: str
    task_count: int
    task_availability_lifetime_seconds: int | None = None
    task_time_limit_seconds: int | None = None
    task_keywords: list[str] | None = None
    #: PublicWorkforceTaskPrice.AmountInUsd, as given.
    public_price: dict[str, int] | None = None


def _team_missing(arn: str) -> InvalidInput:
    return InvalidInput(
        f"The specified Workteam '{arn}' does not exist or you do not have access to it.",
        field="humanLoopConfig.workteamArn",
    )


def workteam_for_arn(*, organization: Organization, workteam_arn: str) -> Workteam:
    """The team a flow of ``organization`` may route to: one of its own private teams, the public
    team, or a vendor team it subscribed to. Anything else is InvalidInput."""
    field = "humanLoopConfig.workteamArn"
    validation.string(workteam_arn, field, max_len=256, pattern=validation.WORKTEAM_ARN)
    head, _, resource = workteam_arn.partition(":workteam/")
    parts = head.split(":")  # arn, partition, sagemaker, region, account
    region, account = parts[3], parts[4]
    crowd, sep, name = resource.partition("-crowd/")
    if not sep or not name:
        raise _team_missing(workteam_arn)
    if crowd == "public":
        if account != PUBLIC_CROWD_ACCOUNT or name != "default" or region not in ("", organization.region):
            raise _team_missing(workteam_arn)
        from workforce.services import public_pool_get_or_create

        return public_pool_get_or_create()
    if region != organization.region:
        raise _team_missing(workteam_arn)
    if crowd == "private" and account == organization.account_id:
        team = Workteam.objects.filter(organization=organization, crowd=Crowd.PRIVATE, name=name).first()
    elif crowd == "vendor":
        team = (
            Workteam.objects.select_related("organization")
            .filter(organization__account_id=account, crowd=Crowd.VENDOR, name=name)
            .first()
        )
        if (
            team is not None
            and not VendorSubscription.objects.filter(organization=organization, workteam=team).exists()
        ):
            team = None
    else:
        team = None
    if team is None:
        raise _team_missing(workteam_arn)
    return team


def task_ui_for_arn(*, organization: Organization, human_task_ui_arn: str, field: str) -> HumanTaskUi:
    validation.string(human_task_ui_arn, field, max_len=1024, pattern=validation.HUMAN_TASK_UI_ARN)
    prefix = f"arn:aws:sagemaker:{organization.region}:{organization.account_id}:human-task-ui/"
    ui = None
    if human_task_ui_arn.startswith(prefix):
        ui = HumanTaskUi.objects.filter(
            organization=organization, name=human_task_ui_arn[len(prefix) :], deleted_at__isnull=True
        ).first()
    if ui is None:
        raise InvalidInput(
            f"The specified HumanTaskUi '{human_task_ui_arn}' does not exist or you do not have access to it.",
            field=field,
        )
    return ui


def price_check(amount: Any, *, request_source: str, field: str) -> dict[str, int]:
    amount = validation.structure(amount, field)
    dollars = validation.integer(amount.get("Dollars"), f"{field}.dollars", minimum=0, maximum=2, optional=True)
    cents = validation.integer(amount.get("Cents"), f"{field}.cents", minimum=0, maximum=99, optional=True)
    tenths = validation.integer(
        amount.get("TenthFractionsOfACent"), f"{field}.tenthFractionsOfACent", minimum=0, maximum=9, optional=True
    )
    total = (dollars or 0) * 1000 + (cents or 0) * 10 + (tenths or 0)
    allowed = _PRICES_TEXTRACT if request_source == _TEXTRACT else _PRICES_CUSTOM
    if total not in allowed:
        points = ", ".join(f"{p / 1000:.3f}" for p in sorted(allowed))
        raise InvalidInput(
            f"The price {total / 1000:.3f} USD is not an allowed task price. Use one of: {points}.", field=field
        )
    return {k: v for k, v in amount.items() if k in ("Dollars", "Cents", "TenthFractionsOfACent")}


def activation_conditions_check(text: Any, *, request_source: str) -> str:
    field = "humanLoopActivationConfig.humanLoopActivationConditionsConfig.humanLoopActivationConditions"
    validation.string(text, field, max_len=validation.MAX_ACTIVATION_CONDITIONS)
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        raise validation.invalid(field, text, "Member must be a valid JSON document") from None
    if not isinstance(doc, dict):
        raise validation.invalid(field, text, "Member must be a JSON object")
    try:
        conditions_validate(doc, request_source or None)
    except InvalidInput as exc:
        raise InvalidInput(f"The activation conditions are not valid: {exc.message}", field=field) from None
    return text


def flow_definition_create(
    *,
    organization: Organization,
    name: Any,
    role_arn: Any,
    output_s3_path: Any,
    human_loop_config: HumanLoopConfig,
    kms_key_id: Any = None,
    request_source: Any = None,
    activation_conditions: Any = None,
    max_concurrent_task_count: int | None = None,
    consolidation: dict[str, Any] | None = None,
    tags: list[dict[str, str]] | None = None,
) -> FlowDefinition:
    """CreateFlowDefinition. Checks every constraint and that the team and template are the
    caller's to use (InvalidInput), that the name is free (InUse); stores the activation
    conditions as the exact string given."""
    validation.flow_definition_name(name)
    validation.role_arn(role_arn)
    validation.string(output_s3_path, "outputConfig.s3OutputPath", max_len=1024, pattern=validation.S3_OUTPUT_PATH)
    validation.string(kms_key_id, "outputConfig.kmsKeyId", max_len=2048, pattern=validation.KMS_KEY_ID, optional=True)
    validation.enum(
        request_source,
        "humanLoopRequestSource.awsManagedHumanLoopRequestSource",
        validation.REQUEST_SOURCES,
        optional=True,
    )
    c = human_loop_config
    p = "humanLoopConfig"
    validation.string(c.task_title, f"{p}.taskTitle", min_len=1, max_len=128, pattern=validation.TASK_TITLE)
    validation.string(c.task_description, f"{p}.taskDescription", min_len=1, max_len=255, pattern=validation.ANY_TEXT)
    validation.integer(c.task_count, f"{p}.taskCount", minimum=1, maximum=3)
    validation.integer(
        c.task_availability_lifetime_seconds, f"{p}.taskAvailabilityLifetimeInSeconds", minimum=1, optional=True
    )
    validation.integer(c.task_time_limit_seconds, f"{p}.taskTimeLimitInSeconds", minimum=30, optional=True)
    if c.task_keywords is not None:
        validation.array(c.task_keywords, f"{p}.taskKeywords", min_items=1, max_items=5)
        for i, kw in enumerate(c.task_keywords):
            validation.string(
                kw, f"{p}.taskKeywords.{i + 1}.member", min_len=1, max_len=30, pattern=validation.TASK_KEYWORD
            )
    price = None
    if c.public_price is not None:
        price = price_check(
            c.public_price, request_source=request_source or "", field=f"{p}.publicWorkforceTaskPrice.amountInUsd"
        )
    if max_concurrent_task_count is not None:
        validation.integer(max_concurrent_task_count, "maxConcurrentTaskCount", minimum=1)
    if activation_conditions is not None:
        activation_conditions_check(activation_conditions, request_source=request_source or "")
    ui = task_ui_for_arn(organization=organization, human_task_ui_arn=c.human_task_ui_arn, field=f"{p}.humanTaskUiArn")
    team = workteam_for_arn(organization=organization, workteam_arn=c.workteam_arn)
    if FlowDefinition.objects.filter(organization=organization, name=name, deleted_at__isnull=True).exists():
        raise InUse(f"A flow definition named {name} already exists.", field="flowDefinitionName")
    flow = FlowDefinition(
        organization=organization,
        name=name,
        status=FlowDefinitionStatus.ACTIVE,
        human_task_ui=ui,
        workteam=team,
        workteam_arn=c.workteam_arn,
        task_title=c.task_title,
        task_description=c.task_description,
        task_count=c.task_count,
        task_availability_lifetime_seconds=c.task_availability_lifetime_seconds,
        task_time_limit_seconds=c.task_time_limit_seconds or 3600,
        task_keywords=list(c.task_keywords) if c.task_keywords is not None else None,
        public_price=price,
        max_concurrent_task_count=max_concurrent_task_count,
        output_s3_path=output_s3_path,
        kms_key_id=kms_key_id or "",
        role_arn=role_arn,
        request_source=request_source or "",
        activation_conditions=activation_conditions,
        consolidation=consolidation or {},
    )
    try:
        with transaction.atomic():
            flow.save(force_insert=True)
            tags_write(organization=organization, resource_arn=flow.arn, tags=tags or [])
            audit_record(organization=organization, action="CreateFlowDefinition", resource=flow.arn)
    except IntegrityError:
        raise InUse(f"A flow definition named {name} already exists.", field="flowDefinitionName") from None
    return flow


def _live_loops(flow: FlowDefinition) -> Any:
    return HumanLoop.objects.filter(flow_definition=flow, deleted_at__isnull=True)


def _remove_if_done(flow: FlowDefinition) -> bool:
    """Inside a transaction: remove a Deleting flow once none of its loops is still running;
    its finished loops go with it."""
    running = _live_loops(flow).exclude(status__in=list(TERMINAL_STATUSES)).exists()
    if running:
        return False
    now = timezone.now()
    removed = FlowDefinition.objects.filter(
        pk=flow.pk, status=FlowDefinitionStatus.DELETING, deleted_at__isnull=True
    ).update(deleted_at=now)
    if removed:
        _live_loops(flow).update(deleted_at=now)
        tags_drop_all(organization=flow.organization, resource_arn=flow.arn)
    return bool(removed)


def flow_definition_delete(*, organization: Organization, name: Any) -> FlowDefinition:
    """DeleteFlowDefinition (§11.4). Only an Active flow (InUse otherwise). Returns the flow, whose
    ``deleted_at`` is set when it could be removed at once."""
    validation.flow_definition_name(name)
    flow = FlowDefinition.objects.filter(organization=organization, name=name, deleted_at__isnull=True).first()
    if flow is None:
        raise NotFound(f"Flow definition {name} does not exist.", field="flowDefinitionName")
    flow.organization = organization
    if flow.status != FlowDefinitionStatus.ACTIVE:
        raise InUse(
            f"Flow definition {name} is {flow.status}: only an Active flow definition can be deleted.",
            field="flowDefinitionName",
        )
    with locks.write_transaction():
        locks.lock_flows([flow.pk])
        moved = FlowDefinition.objects.filter(pk=flow.pk, status=FlowDefinitionStatus.ACTIVE).update(
            status=FlowDefinitionStatus.DELETING
        )
        if not moved:
            raise InUse(f"Flow definition {name} is already being deleted.", field="flowDefinitionName")
        flow.status = FlowDefinitionStatus.DELETING
        # Loops no worker ever started: stopped and deleted now.
        started = Assignment.objects.filter(loop=OuterRef("pk"))
        untouched = list(
            _live_loops(flow)
            .filter(status__in=[HumanLoopStatus.IN_PROGRESS, HumanLoopStatus.STOPPING])
            # Gold items (flows.services.gold) are withdrawn with the flow, started or not.
            .filter(Q(is_gold=True) | ~Exists(started))
            .only("pk", "name", "organization_id", "flow_definition_id", "failure_code", "failure_reason")
        )
        if untouched:
            now = timezone.now()
            ids = [loop.pk for loop in untouched]
            Task.objects.filter(loop_id__in=ids, status=TaskStatus.OPEN).update(status=TaskStatus.CLOSED)
            HumanLoop.objects.filter(pk__in=ids).update(
                status=HumanLoopStatus.STOPPED, completed_at=now, deleted_at=now
            )
            for loop in untouched:
                loop.status = HumanLoopStatus.STOPPED
                events.loop_status_changed(loop)
    with locks.write_transaction():
        audit_record(organization=organization, action="DeleteFlowDefinition", resource=flow.arn)
        if _remove_if_done(flow):
            flow.deleted_at = timezone.now()
    return flow


def flow_definitions_reap() -> int:
    """Housekeeping: remove Deleting flows whose last running loop has ended. Returns how many."""
    done = 0
    for flow in FlowDefinition.objects.select_related("organization").filter(
        status=FlowDefinitionStatus.DELETING, deleted_at__isnull=True
    ):
        with locks.write_transaction():
            done += _remove_if_done(flow)
    return done
