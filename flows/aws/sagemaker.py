"""The SageMaker operations Loupe serves (json 1.1, spec/a2i.md §3, §10-§16), dispatched on
``X-Amz-Target: SageMaker.<Operation>``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core import signing
from django.http import HttpRequest
from django.urls import reverse

from flows import validation
from flows.aws.protocol import AwsError, creation_paging, drop_none, epoch, name_contains, name_paging, page_out
from flows.errors import InvalidInput, NotFound
from flows.models import FlowDefinition, HumanTaskUi
from flows.selectors import definitions as sel
from flows.services import flow_definitions, tags, task_uis, workforces, workteams
from flows.services.flow_definitions import HumanLoopConfig
from workforce.models import Organization, Workforce, Workteam

TEMPLATE_URL_SALT = "loupe.aws.task-ui-template"
TEMPLATE_URL_MAX_AGE = 3600

Handler = Callable[[Organization, dict[str, Any], HttpRequest], dict[str, Any]]


# --- Worker task templates ---------------------------------------------------------------------


def template_url(request: HttpRequest, ui: HumanTaskUi) -> str:
    """A signed URL, valid for an hour, that serves the template text."""
    token = signing.dumps({"ui": ui.pk, "sha": ui.content_sha256}, salt=TEMPLATE_URL_SALT)
    return request.build_absolute_uri(reverse("aws-task-ui-template", args=[token]))


def create_human_task_ui(org: Organization, body: dict[str, Any], request: HttpRequest) -> dict[str, Any]:
    template = validation.structure(body.get("UiTemplate"), "uiTemplate")
    ui = task_uis.task_ui_create(
        organization=org,
        name=body.get("HumanTaskUiName"),
        content=template.get("Content"),
        tags=validation.tags(body.get("Tags")),
    )
    return {"HumanTaskUiArn": ui.arn}


def describe_human_task_ui(org: Organization, body: dict[str, Any], request: HttpRequest) -> dict[str, Any]:
    ui = sel.task_ui_get(organization=org, name=validation.human_task_ui_name(body.get("HumanTaskUiName")))
    return {
        "HumanTaskUiArn": ui.arn,
        "HumanTaskUiName": ui.name,
        "HumanTaskUiStatus": ui.status,
        "CreationTime": epoch(ui.created_at),
        "UiTemplate": {"Url": template_url(request, ui), "ContentSha256": ui.content_sha256},
    }


def list_human_task_uis(org: Organization, body: dict[str, Any], request: HttpRequest) -> dict[str, Any]:
    result = sel.task_ui_list(organization=org, paging=creation_paging(body))
    return page_out(
        "HumanTaskUiSummaries",
        result,
        lambda ui: {"HumanTaskUiName": ui.name, "HumanTaskUiArn": ui.arn, "CreationTime": epoch(ui.created_at)},
    )


def delete_human_task_ui(org: Organization, body: dict[str, Any], request: HttpRequest) -> dict[str, Any]:
    task_uis.task_ui_delete(organization=org, name=body.get("HumanTaskUiName"))
    return {}


def _template_render(org: Organization, content: str, task_input: Any) -> tuple[str, list[dict[str, str]]]:
    from reviews.media import media_signer_for_organization
    from reviews.rendering import template_render

    # grant_read_access presigns as A2I does with the RoleArn: with the server's S3 credentials.
    media = media_signer_for_organization(organization=org)
    result = template_render(content=content, task_input=task_input, media=media)
    return result.html, [{"Code": e.code, "Message": e.message} for e in result.errors]


def render_ui_template(org: Organization, body: dict[str, Any], request: HttpRequest) -> dict[str, Any]:
    validation.role_arn(body.get("RoleArn"))
    task = validation.structure(body.get("Task"), "task")
    text = validation.string(
        task.get("Input"), "task.input", min_len=2, max_len=128_000, pattern=validation.ANY_MULTILINE
    )
    try:
        task_input = json.loads(text)
    except (ValueError, RecursionError):
        raise validation.invalid("task.input", text, "Member must be a valid JSON document") from None
    template = validation.structure(body.get("UiTemplate"), "uiTemplate", optional=True)
    arn = body.get("HumanTaskUiArn")
    if (template is None) == (arn is None):
        raise InvalidInput("Give exactly one of UiTemplate or HumanTaskUiArn.", field="uiTemplate")
    if template is not None:
        content = validation.string(
            template.get("Content"),
            "uiTemplate.content",
            min_len=1,
            max_len=validation.MAX_TEMPLATE,
            pattern=validation.ANY_MULTILINE,
        )
    else:
        validation.string(arn, "humanTaskUiArn", max_len=1024, pattern=validation.HUMAN_TASK_UI_ARN)
        prefix = f"arn:aws:sagemaker:{org.region}:{org.account_id}:human-task-ui/"
        if not arn.startswith(prefix):
            raise NotFound(f"Human task UI {arn} does not exist.", field="humanTaskUiArn")
        content = sel.task_ui_get(organization=org, name=arn[len(prefix) :]).template
    html, errors = _template_render(org, content, task_input)
    return {"RenderedContent": html, "Errors": errors}


# --- Flow definitions --------------------------------------------------------------------------


def create_flow_definition(org: Organization, body: dict[str, Any], request: HttpRequest) -> dict[str, Any]:
    output = validation.structure(body.get("OutputConfig"), "outputConfig")
    hlc: Any = validation.structure(body.get("HumanLoopConfig"), "humanLoopConfig")
    source = validation.structure(body.get("HumanLoopRequestSource"), "humanLoopRequestSource", optional=True)
    activation = validation.structure(body.get("HumanLoopActivationConfig"), "humanLoopActivationConfig", optional=True)
    conditions = None
    if activation is not None:
        conf = validation.structure(
            activation.get("HumanLoopActivationConditionsConfig"),
            "humanLoopActivationConfig.humanLoopActivationConditionsConfig",
        )
        conditions = validation.required(
            conf.get("HumanLoopActivationConditions"),
            "humanLoopActivationConfig.humanLoopActivationConditionsConfig.humanLoopActivationConditions",
        )
    request_source = None
    if source is not None:
        request_source = validation.required(
            source.get("AwsManagedHumanLoopRequestSource"), "humanLoopRequestSource.awsManagedHumanLoopRequestSource"
        )
    price = validation.structure(
        hlc.get("PublicWorkforceTaskPrice"), "humanLoopConfig.publicWorkforceTaskPrice", optional=True
    )
    config = HumanLoopConfig(
        workteam_arn=validation.required(hlc.get("WorkteamArn"), "humanLoopConfig.workteamArn"),
        human_task_ui_arn=validation.required(hlc.get("HumanTaskUiArn"), "humanLoopConfig.humanTaskUiArn"),
        task_title=hlc.get("TaskTitle"),
        task_description=hlc.get("TaskDescription"),
        task_count=hlc.get("TaskCount"),
        task_availability_lifetime_seconds=hlc.get("TaskAvailabilityLifetimeInSeconds"),
        task_time_limit_seconds=hlc.get("TaskTimeLimitInSeconds"),
        task_keywords=hlc.get("TaskKeywords"),
        public_price=(price or {}).get("AmountInUsd") if price is not None else None,
    )
    flow = flow_definitions.flow_definition_create(
        organization=org,
        name=body.get("FlowDefinitionName"),
        role_arn=body.get("RoleArn"),
        output_s3_path=output.get("S3OutputPath"),
        kms_key_id=output.get("KmsKeyId"),
        human_loop_config=config,
        request_source=request_source,
        activation_conditions=conditions,
        tags=validation.tags(body.get("Tags")),
    )
    return {"FlowDefinitionArn": flow.arn}


def _flow_out(flow: FlowDefinition) -> dict[str, Any]:
    hlc = drop_none(
        {
            "WorkteamArn": flow.workteam_arn,
            "HumanTaskUiArn": flow.human_task_ui.arn,
            "TaskTitle": flow.task_title,
            "TaskDescription": flow.task_description,
            "TaskCount": flow.task_count,
            "TaskAvailabilityLifetimeInSeconds": flow.task_availability_lifetime_seconds,
            "TaskTimeLimitInSeconds": flow.task_time_limit_seconds,
            "TaskKeywords": flow.task_keywords,
            "PublicWorkforceTaskPrice": {"AmountInUsd": flow.public_price} if flow.public_price is not None else None,
        }
    )
    out: dict[str, Any] = {
        "FlowDefinitionArn": flow.arn,
        "FlowDefinitionName": flow.name,
        "FlowDefinitionStatus": flow.status,
        "CreationTime": epoch(flow.created_at),
        "HumanLoopConfig": hlc,
        "OutputConfig": drop_none({"S3OutputPath": flow.output_s3_path, "KmsKeyId": flow.kms_key_id or None}),
        "RoleArn": flow.role_arn,
    }
    if flow.request_source:
        out["HumanLoopRequestSource"] = {"AwsManagedHumanLoopRequestSource": flow.request_source}
    if flow.activation_conditions is not None:
        out["HumanLoopActivationConfig"] = {
            "HumanLoopActivationConditionsConfig": {"HumanLoopActivationConditions": flow.activation_conditions}
        }
    if flow.failure_reason:
        out["FailureReason"] = flow.failure_reason
    return out


def describe_flow_definition(org: Organization, body: dict[str, Any], request: HttpRequest) -> dict[str, Any]:
    flow = sel.flow_get(organization=org, name=validation.flow_definition_name(body.get("FlowDefinitionName")))
    return _flow_out(flow)


def _flow_summary(flow: FlowDefinition) -> dict[str, Any]:
    return drop_none(
        {
            "FlowDefinitionName": flow.name,
            "FlowDefinitionArn": flow.arn,
            "FlowDefinitionStatus": flow.status,
            "CreationTime": epoch(flow.created_at),
            "FailureReason": flow.failure_reason or None,
        }
    )


def list_flow_definitions(org: Organization, body: dict[str, Any], request: HttpRequest) -> dict[str, Any]:
    result = sel.flow_list(organization=org, paging=creation_paging(body))
    return page_out("FlowDefinitionSummaries", result, _flow_summary)


def delete_flow_definition(org: Organization, body: dict[str, Any], request: HttpRequest) -> dict[str, Any]:
    flow_definitions.flow_definition_delete(organization=org, name=body.get("FlowDefinitionName"))
    return {}


# --- Work teams --------------------------------------------------------------------------------


def _sub_domain(request: HttpRequest) -> str:
    public = settings.LOUPE_PUBLIC_URL
    if public:
        return public.split("://", 1)[-1].rstrip("/")
    return request.get_host()


def _workteam_out(team: Workteam, request: HttpRequest) -> dict[str, Any]:
    return drop_none(
        {
            "WorkteamName": team.name,
            "MemberDefinitions": team.member_definitions or [],
            "WorkteamArn": team.arn,
            "WorkforceArn": team.workforce.arn,
            "ProductListingIds": [team.listing_id] if team.listing_id else None,
            "Description": team.description,
            "SubDomain": _sub_domain(request),
            "CreateDate": epoch(team.created_at),
            "LastUpdatedDate": epoch(team.updated_at),
            "NotificationConfiguration": team.notification_configuration,
            "WorkerAccessConfiguration": team.worker_access_configuration,
        }
    )


#: The service's keywords -> the request members CreateWorkteam and UpdateWorkteam share.
_WORKTEAM_MEMBERS = {
    "name": "WorkteamName",
    "description": "Description",
    "member_definitions": "MemberDefinitions",
    "notification_configuration": "NotificationConfiguration",
    "worker_access_configuration": "WorkerAccessConfiguration",
}


def _members(body: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """The service's keyword arguments from the request members ``names`` maps them to."""
    return {keyword: body.get(member) for keyword, member in names.items()}


def create_workteam(org: Organization, body: dict[str, Any], request: HttpRequest) -> dict[str, Any]:
    team = workteams.workteam_create(
        organization=org,
        workforce_name=body.get("WorkforceName"),
        tags=validation.tags(body.get("Tags")),
        **_members(body, _WORKTEAM_MEMBERS),
    )
    return {"WorkteamArn": team.arn}


def describe_workteam(org: Organization, body: dict[str, Any], request: HttpRequest) -> dict[str, Any]:
    team = sel.workteam_get(organization=org, name=validation.workteam_name(body.get("WorkteamName")))
    return {"Workteam": _workteam_out(team, request)}


def list_workteams(org: Organization, body: dict[str, Any], request: HttpRequest) -> dict[str, Any]:
    result = sel.workteam_list(organization=org, paging=name_paging(body, validation.WORKTEAM_NAME))
    return page_out("Workteams", result, lambda team: _workteam_out(team, request))


def update_workteam(org: Organization, body: dict[str, Any], request: HttpRequest) -> dict[str, Any]:
    team = workteams.workteam_update(organization=org, **_members(body, _WORKTEAM_MEMBERS))
    return {"Workteam": _workteam_out(team, request)}


def delete_workteam(org: Organization, body: dict[str, Any], request: HttpRequest) -> dict[str, Any]:
    workteams.workteam_delete(organization=org, name=body.get("WorkteamName"))
    return {"Success": True}


def _subscribed_out(team: Workteam) -> dict[str, Any]:
    return drop_none(
        {
            "WorkteamArn": team.arn,
            "MarketplaceTitle": team.marketplace_title or team.name,
            "SellerName": team.organization.name,
            "MarketplaceDescription": team.marketplace_description or team.description or None,
            "ListingId": team.listing_id or None,
        }
    )


def list_subscribed_workteams(org: Organization, body: dict[str, Any], request: HttpRequest) -> dict[str, Any]:
    result = sel.subscription_list(
        organization=org,
        name_contains=name_contains(body, validation.WORKTEAM_NAME),
        limit=validation.max_results(body.get("MaxResults")) or 100,
        token=validation.next_token(body.get("NextToken")),
    )
    return page_out("SubscribedWorkteams", result, lambda sub: _subscribed_out(sub.workteam))


def describe_subscribed_workteam(org: Organization, body: dict[str, Any], request: HttpRequest) -> dict[str, Any]:
    arn = validation.string(body.get("WorkteamArn"), "workteamArn", max_len=256, pattern=validation.WORKTEAM_ARN)
    sub = sel.subscription_get(organization=org, workteam_arn=arn)
    return {"SubscribedWorkteam": _subscribed_out(sub.workteam)}


# --- Workforces --------------------------------------------------------------------------------


def _workforce_out(workforce: Workforce, request: HttpRequest) -> dict[str, Any]:
    oidc = None
    if workforce.oidc_config:
        oidc = {k: v for k, v in workforce.oidc_config.items() if k != "ClientSecret"}
    vpc = workforce.vpc_config or None
    if vpc is not None and not all(k in vpc for k in ("VpcId", "SecurityGroupIds", "Subnets")):
        vpc = None
    return drop_none(
        {
            "WorkforceName": workforce.name,
            "WorkforceArn": workforce.arn,
            "LastUpdatedDate": epoch(workforce.updated_at),
            "SourceIpConfig": workforce.source_ip_config or {"Cidrs": []},
            "SubDomain": _sub_domain(request),
            "CognitoConfig": workforce.cognito_config or None,
            "OidcConfig": oidc,
            "CreateDate": epoch(workforce.created_at),
            "WorkforceVpcConfig": vpc,
            "Status": workforce.status,
            "IpAddressType": workforce.ip_address_type or None,
        }
    )


#: The service's keywords -> the request members CreateWorkforce and UpdateWorkforce share.
_WORKFORCE_MEMBERS = {
    "name": "WorkforceName",
    "oidc_config": "OidcConfig",
    "source_ip_config": "SourceIpConfig",
    "vpc_config": "WorkforceVpcConfig",
    "ip_address_type": "IpAddressType",
}


def create_workforce(org: Organization, body: dict[str, Any], request: HttpRequest) -> dict[str, Any]:
    workforce = workforces.workforce_create(
        organization=org,
        cognito_config=body.get("CognitoConfig"),
        tags=validation.tags(body.get("Tags")),
        **_members(body, _WORKFORCE_MEMBERS),
    )
    return {"WorkforceArn": workforce.arn}


def describe_workforce(org: Organization, body: dict[str, Any], request: HttpRequest) -> dict[str, Any]:
    workforce = sel.workforce_get(organization=org, name=validation.workforce_name(body.get("WorkforceName")))
    return {"Workforce": _workforce_out(workforce, request)}


def list_workforces(org: Organization, body: dict[str, Any], request: HttpRequest) -> dict[str, Any]:
    result = sel.workforce_list(organization=org, paging=name_paging(body, validation.WORKFORCE_NAME))
    return page_out("Workforces", result, lambda workforce: _workforce_out(workforce, request))


def update_workforce(org: Organization, body: dict[str, Any], request: HttpRequest) -> dict[str, Any]:
    workforce = workforces.workforce_update(organization=org, **_members(body, _WORKFORCE_MEMBERS))
    return {"Workforce": _workforce_out(workforce, request)}


def delete_workforce(org: Organization, body: dict[str, Any], request: HttpRequest) -> dict[str, Any]:
    workforces.workforce_delete(organization=org, name=body.get("WorkforceName"))
    return {}


# --- Tags --------------------------------------------------------------------------------------


def _resource_arn(body: dict[str, Any]) -> str:
    return validation.string(body.get("ResourceArn"), "resourceArn", max_len=256, pattern=validation.RESOURCE_ARN)


def add_tags(org: Organization, body: dict[str, Any], request: HttpRequest) -> dict[str, Any]:
    arn = _resource_arn(body)
    given = validation.tags(validation.required(body.get("Tags"), "tags"))
    return {"Tags": tags.tags_add(organization=org, resource_arn=arn, tags=given)}


def list_tags(org: Organization, body: dict[str, Any], request: HttpRequest) -> dict[str, Any]:
    arn = _resource_arn(body)
    limit = validation.max_results(body.get("MaxResults"), minimum=50, maximum=None) or 50
    token = validation.next_token(body.get("NextToken"))
    tags.tag_resource_check(organization=org, resource_arn=arn)
    result = sel.tag_list(organization=org, resource_arn=arn, limit=limit, token=token)
    return page_out("Tags", result, lambda tag: {"Key": tag.key, "Value": tag.value})


def delete_tags(org: Organization, body: dict[str, Any], request: HttpRequest) -> dict[str, Any]:
    arn = _resource_arn(body)
    tags.tags_delete(organization=org, resource_arn=arn, keys=validation.tag_keys(body.get("TagKeys")))
    return {}


OPERATIONS: dict[str, Handler] = {
    "CreateHumanTaskUi": create_human_task_ui,
    "DescribeHumanTaskUi": describe_human_task_ui,
    "ListHumanTaskUis": list_human_task_uis,
    "DeleteHumanTaskUi": delete_human_task_ui,
    "RenderUiTemplate": render_ui_template,
    "CreateFlowDefinition": create_flow_definition,
    "DescribeFlowDefinition": describe_flow_definition,
    "ListFlowDefinitions": list_flow_definitions,
    "DeleteFlowDefinition": delete_flow_definition,
    "CreateWorkteam": create_workteam,
    "DescribeWorkteam": describe_workteam,
    "ListWorkteams": list_workteams,
    "UpdateWorkteam": update_workteam,
    "DeleteWorkteam": delete_workteam,
    "ListSubscribedWorkteams": list_subscribed_workteams,
    "DescribeSubscribedWorkteam": describe_subscribed_workteam,
    "CreateWorkforce": create_workforce,
    "DescribeWorkforce": describe_workforce,
    "ListWorkforces": list_workforces,
    "UpdateWorkforce": update_workforce,
    "DeleteWorkforce": delete_workforce,
    "AddTags": add_tags,
    "ListTags": list_tags,
    "DeleteTags": delete_tags,
}


def operation_for(target: str) -> Handler:
    prefix, _, op = target.partition(".")
    if prefix != "SageMaker" or not op:
        raise AwsError("UnknownOperationException", f"X-Amz-Target must be SageMaker.<Operation>, not {target!r}.")
    handler = OPERATIONS.get(op)
    if handler is None:
        raise AwsError(
            "UnknownOperationException",
            f"Loupe does not serve SageMaker.{op}. It serves: {', '.join(sorted(OPERATIONS))}.",
        )
    return handler
