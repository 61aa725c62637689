"""The SageMaker human-review operations over real HTTP with boto3."""

from __future__ import annotations

import hashlib
import json
import urllib.request
from typing import Any

import pytest
from botocore.exceptions import ClientError

from flows.models import FlowDefinition, HumanTaskUi, Tag
from tests.conftest import make_org
from tests.flows.aws.helpers import clients, create_flow, create_ui, error_code, flow_kwargs, private_team_arn, role_arn
from tests.flows.services.factories import TEMPLATE
from workforce.models import Crowd, VendorSubscription, Workteam
from workforce.services import organization_create

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def env(live_server_url: str) -> Any:
    org = make_org()
    sm, a2i = clients(org, live_server_url)

    class Env:
        pass

    e = Env()
    e.org, e.sm, e.a2i, e.url = org, sm, a2i, live_server_url  # type: ignore[attr-defined]
    # botocore checks minimums itself: this client sends whatever it is given, to test the server
    e.raw_sm = clients(org, live_server_url, parameter_validation=False)[0]  # type: ignore[attr-defined]
    return e


def _code(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return error_code(info.value)


# --- Worker task templates ---------------------------------------------------------------------


def test_task_ui_create_describe_list_delete(env: Any) -> None:
    arn = create_ui(env.sm, "ui-one")
    assert arn == f"arn:aws:sagemaker:{env.org.region}:{env.org.account_id}:human-task-ui/ui-one"
    d = env.sm.describe_human_task_ui(HumanTaskUiName="ui-one")
    assert d["HumanTaskUiArn"] == arn
    assert d["HumanTaskUiStatus"] == "Active"
    assert d["UiTemplate"]["ContentSha256"] == hashlib.sha256(TEMPLATE.encode()).hexdigest()
    assert "Content" not in d["UiTemplate"]
    with urllib.request.urlopen(d["UiTemplate"]["Url"]) as resp:
        assert resp.read().decode() == TEMPLATE
    assert [s["HumanTaskUiName"] for s in env.sm.list_human_task_uis()["HumanTaskUiSummaries"]] == ["ui-one"]
    with pytest.raises(env.sm.exceptions.ResourceInUse):
        create_ui(env.sm, "ui-one")
    env.sm.delete_human_task_ui(HumanTaskUiName="ui-one")
    assert env.sm.list_human_task_uis()["HumanTaskUiSummaries"] == []
    with pytest.raises(env.sm.exceptions.ResourceNotFound):
        env.sm.describe_human_task_ui(HumanTaskUiName="ui-one")
    with pytest.raises(env.sm.exceptions.ResourceNotFound):
        env.sm.delete_human_task_ui(HumanTaskUiName="ui-one")


def test_a_tampered_template_url_is_not_served(env: Any) -> None:
    create_ui(env.sm, "ui-url")
    url = env.sm.describe_human_task_ui(HumanTaskUiName="ui-url")["UiTemplate"]["Url"]
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(url[:-3] + "abc")
    assert info.value.code == 404


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("a" * 64, TEMPLATE, "humanTaskUiName"),
        ("Upper", TEMPLATE, "humanTaskUiName"),
        ("ok", "x" * 128_001, "uiTemplate.content"),
        ("ok", "{% if task.input %}unclosed", "not valid Liquid"),
    ],
)
def test_task_ui_create_refuses_bad_input(env: Any, name: str, content: str, fragment: str) -> None:
    with pytest.raises(ClientError) as info:
        env.sm.create_human_task_ui(HumanTaskUiName=name, UiTemplate={"Content": content})
    assert error_code(info.value) == "ValidationException"
    assert fragment in info.value.response["Error"]["Message"]
    assert not HumanTaskUi.objects.filter(organization=env.org.organization).exists()


def test_render_ui_template_inline_and_by_arn(env: Any) -> None:
    content = "<p>{{ task.input.text }}</p><i>{{ task.input.text | skip_autoescape }}</i>"
    out = env.sm.render_ui_template(
        UiTemplate={"Content": content}, Task={"Input": json.dumps({"text": "it's <b>"})}, RoleArn=role_arn(env.org)
    )
    assert out["Errors"] == []
    assert "it&#39;s &lt;b&gt;" in out["RenderedContent"]
    assert "<i>it's <b></i>" in out["RenderedContent"]
    arn = create_ui(env.sm, "render-me")
    by_arn = env.sm.render_ui_template(
        HumanTaskUiArn=arn, Task={"Input": json.dumps({"text": "hello"})}, RoleArn=role_arn(env.org)
    )
    assert "hello" in by_arn["RenderedContent"]


def test_render_ui_template_reports_template_errors_with_200(env: Any) -> None:
    out = env.sm.render_ui_template(
        UiTemplate={"Content": "{{ task.input.x | nosuchfilter }}"}, Task={"Input": "{}"}, RoleArn=role_arn(env.org)
    )
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert out["Errors"]
    assert {"Code", "Message"} <= set(out["Errors"][0])


def test_render_ui_template_needs_exactly_one_source(env: Any) -> None:
    arn = create_ui(env.sm, "src")
    both = {"UiTemplate": {"Content": "x"}, "HumanTaskUiArn": arn}
    for extra in ({}, both):
        assert _code(env.sm.render_ui_template, Task={"Input": "{}"}, RoleArn=role_arn(env.org), **extra) == (
            "ValidationException"
        )
    missing = arn.replace("/src", "/nope")
    with pytest.raises(env.sm.exceptions.ResourceNotFound):
        env.sm.render_ui_template(HumanTaskUiArn=missing, Task={"Input": "{}"}, RoleArn=role_arn(env.org))


# --- Flow definitions --------------------------------------------------------------------------


def test_flow_definition_round_trips_every_member(env: Any) -> None:
    ui_arn = create_ui(env.sm, "full-ui")
    conditions = json.dumps(
        {"Conditions": [{"ConditionType": "Sampling", "ConditionParameters": {"RandomSamplingPercentage": 5}}]}
    )
    kwargs = flow_kwargs(
        env.org,
        ui_arn,
        "full-flow",
        TaskCount=3,
        TaskAvailabilityLifetimeInSeconds=43200,
        TaskTimeLimitInSeconds=600,
        TaskKeywords=["Image", "Content Moderation"],
        PublicWorkforceTaskPrice={"AmountInUsd": {"Dollars": 0, "Cents": 3, "TenthFractionsOfACent": 6}},
    )
    kwargs["HumanLoopActivationConfig"] = {
        "HumanLoopActivationConditionsConfig": {"HumanLoopActivationConditions": conditions}
    }
    kwargs["OutputConfig"]["KmsKeyId"] = "arn:aws:kms:us-east-1:111122223333:key/abc"
    kwargs["Tags"] = [{"Key": "team", "Value": "ml"}]
    arn = env.sm.create_flow_definition(**kwargs)["FlowDefinitionArn"]
    d = env.sm.describe_flow_definition(FlowDefinitionName="full-flow")
    assert d["FlowDefinitionArn"] == arn
    assert d["FlowDefinitionStatus"] == "Active"
    assert d["HumanLoopConfig"] == kwargs["HumanLoopConfig"]
    assert (
        d["HumanLoopActivationConfig"]["HumanLoopActivationConditionsConfig"]["HumanLoopActivationConditions"]
        == conditions
    )
    assert d["OutputConfig"] == kwargs["OutputConfig"]
    assert d["RoleArn"] == kwargs["RoleArn"]
    assert env.sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "ml"}]
    summaries = env.sm.list_flow_definitions()["FlowDefinitionSummaries"]
    assert [(s["FlowDefinitionName"], s["FlowDefinitionStatus"]) for s in summaries] == [("full-flow", "Active")]
    with pytest.raises(env.sm.exceptions.ResourceInUse):
        env.sm.create_flow_definition(**kwargs)


def _flow_error(env: Any, **change: Any) -> tuple[str, str]:
    ui_arn = create_ui(env.sm, f"ui-{len(HumanTaskUi.objects.all())}")
    kwargs = flow_kwargs(env.org, ui_arn, "bad-flow")
    for key, value in change.items():
        if key.startswith("HLC_"):
            kwargs["HumanLoopConfig"][key[4:]] = value
        elif value is None:
            kwargs.pop(key)
        else:
            kwargs[key] = value
    with pytest.raises(ClientError) as info:
        env.raw_sm.create_flow_definition(**kwargs)
    return error_code(info.value), info.value.response["Error"]["Message"]


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"HLC_TaskCount": 4}, "humanLoopConfig.taskCount"),
        ({"HLC_TaskCount": 0}, "humanLoopConfig.taskCount"),
        ({"HLC_TaskAvailabilityLifetimeInSeconds": 0}, "taskAvailabilityLifetimeInSeconds"),
        ({"HLC_TaskTimeLimitInSeconds": 29}, "taskTimeLimitInSeconds"),
        ({"HLC_TaskTitle": "x" * 129}, "taskTitle"),
        ({"HLC_TaskKeywords": ["bad  keyword"]}, "taskKeywords"),
        ({"HLC_PublicWorkforceTaskPrice": {"AmountInUsd": {"Dollars": 3}}}, "dollars"),
        ({"HLC_PublicWorkforceTaskPrice": {"AmountInUsd": {"Cents": 5}}}, "not an allowed task price"),
        ({"HLC_WorkteamArn": "arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/nope"}, "does not exist"),
        ({"HLC_WorkteamArn": "not-a-team"}, "humanLoopConfig.workteamArn"),
        ({"HLC_HumanTaskUiArn": "arn:aws:sagemaker:us-east-1:123456789012:human-task-ui/nope"}, "does not exist"),
        ({"HumanLoopConfig": None}, "humanLoopConfig"),
        ({"RoleArn": "arn:aws:iam::12:role/x"}, "roleArn"),
        ({"OutputConfig": {"S3OutputPath": "ftp://bucket/x"}}, "s3OutputPath"),
        ({"FlowDefinitionName": "Bad_Name"}, "flowDefinitionName"),
        (
            {"HumanLoopRequestSource": {"AwsManagedHumanLoopRequestSource": "AWS/Nope"}},
            "awsManagedHumanLoopRequestSource",
        ),
        (
            {
                "HumanLoopActivationConfig": {
                    "HumanLoopActivationConditionsConfig": {"HumanLoopActivationConditions": '{"Conditions": []}'}
                }
            },
            "activation conditions are not valid",
        ),
        (
            {
                "HumanLoopActivationConfig": {
                    "HumanLoopActivationConditionsConfig": {"HumanLoopActivationConditions": "{not json"}
                }
            },
            "humanLoopActivationConditions",
        ),
        (
            {
                "HumanLoopActivationConfig": {
                    "HumanLoopActivationConditionsConfig": {
                        "HumanLoopActivationConditions": json.dumps({"a": "x" * 10240})
                    }
                }
            },
            "humanLoopActivationConditions",
        ),
    ],
)
def test_flow_definition_refuses_bad_values(env: Any, change: dict, fragment: str) -> None:
    code, message = _flow_error(env, **change)
    assert code == "ValidationException"
    assert fragment in message
    assert not FlowDefinition.objects.filter(organization=env.org.organization).exists()


def test_flow_definition_accepts_the_public_team_and_a_subscribed_vendor_team(env: Any) -> None:
    public = f"arn:aws:sagemaker:{env.org.region}:394669845002:workteam/public-crowd/default"
    assert create_flow(env.sm, env.org, "public-flow", WorkteamArn=public)
    vendor = organization_create(name="Vendor Co", admin_email="v@vendor.test").workteam
    Workteam.objects.filter(pk=vendor.pk).update(crowd=Crowd.VENDOR, marketplace_title="Vendor labelling")
    vendor.refresh_from_db()
    assert _flow_error(env, HLC_WorkteamArn=vendor.arn)[0] == "ValidationException"
    VendorSubscription.objects.create(organization=env.org.organization, workteam=vendor)
    assert create_flow(env.sm, env.org, "vendor-flow", WorkteamArn=vendor.arn)
    subs = env.sm.list_subscribed_workteams()["SubscribedWorkteams"]
    assert [s["WorkteamArn"] for s in subs] == [vendor.arn]
    assert subs[0]["MarketplaceTitle"] == "Vendor labelling"
    assert (
        env.sm.describe_subscribed_workteam(WorkteamArn=vendor.arn)["SubscribedWorkteam"]["SellerName"] == "Vendor Co"
    )
    other = vendor.arn.replace(vendor.name, "elsewhere")
    assert _code(env.sm.describe_subscribed_workteam, WorkteamArn=other) == "ResourceNotFound"


def test_subscribed_workteams_is_a_well_formed_empty_list(env: Any) -> None:
    out = env.sm.list_subscribed_workteams()
    assert out["SubscribedWorkteams"] == []
    assert "NextToken" not in out


def test_a_deleted_template_stops_new_loops_but_not_the_flow(env: Any) -> None:
    flow_arn = create_flow(env.sm, env.org, "uses-ui", ui_name="gone-ui")
    env.sm.delete_human_task_ui(HumanTaskUiName="gone-ui")
    assert env.sm.describe_flow_definition(FlowDefinitionName="uses-ui")["FlowDefinitionStatus"] == "Active"
    with pytest.raises(env.a2i.exceptions.ValidationException, match="template"):
        env.a2i.start_human_loop(HumanLoopName="x", FlowDefinitionArn=flow_arn, HumanLoopInput={"InputContent": "{}"})


# --- Work teams and workforces -----------------------------------------------------------------

COGNITO = {"UserPool": "us-east-1_abc123", "UserGroup": "labelers", "ClientId": "client-1"}


def test_workteam_lifecycle(env: Any) -> None:
    arn = env.sm.create_workteam(
        WorkteamName="Reviewers",
        Description="Second opinions",
        MemberDefinitions=[{"CognitoMemberDefinition": COGNITO}],
        Tags=[{"Key": "cost-center", "Value": "42"}],
    )["WorkteamArn"]
    assert arn == f"arn:aws:sagemaker:{env.org.region}:{env.org.account_id}:workteam/private-crowd/Reviewers"
    team = env.sm.describe_workteam(WorkteamName="Reviewers")["Workteam"]
    assert team["MemberDefinitions"] == [{"CognitoMemberDefinition": COGNITO}]
    assert team["WorkforceArn"].endswith(":workforce/default")
    other = dict(COGNITO, UserGroup="seniors")
    updated = env.sm.update_workteam(WorkteamName="Reviewers", MemberDefinitions=[{"CognitoMemberDefinition": other}])
    assert updated["Workteam"]["MemberDefinitions"] == [{"CognitoMemberDefinition": other}]
    assert updated["Workteam"]["Description"] == "Second opinions"
    names = [t["WorkteamName"] for t in env.sm.list_workteams(SortBy="Name")["Workteams"]]
    assert names == sorted(["Reviewers", "default"])
    assert [t["WorkteamName"] for t in env.sm.list_workteams(NameContains="Rev")["Workteams"]] == ["Reviewers"]
    with pytest.raises(env.sm.exceptions.ResourceInUse):
        env.sm.create_workteam(
            WorkteamName="Reviewers", Description="d", MemberDefinitions=[{"CognitoMemberDefinition": COGNITO}]
        )
    assert env.sm.delete_workteam(WorkteamName="Reviewers")["Success"] is True
    assert _code(env.sm.describe_workteam, WorkteamName="Reviewers") == "ResourceNotFound"
    assert not Tag.objects.filter(resource_arn=arn).exists()


@pytest.mark.parametrize(
    "members",
    [
        [{"CognitoMemberDefinition": COGNITO}, {"OidcMemberDefinition": {"Groups": ["g"]}}],
        [{"CognitoMemberDefinition": COGNITO}, {"CognitoMemberDefinition": dict(COGNITO, UserPool="us-east-1_other")}],
        [{"CognitoMemberDefinition": COGNITO}, {"CognitoMemberDefinition": dict(COGNITO, ClientId="client-2")}],
        [{}],
        [{"OidcMemberDefinition": {"Groups": [f"g{i}" for i in range(11)]}}],
        [{"CognitoMemberDefinition": COGNITO}] * 11,
    ],
)
def test_workteam_member_rules(env: Any, members: list) -> None:
    assert _code(env.sm.create_workteam, WorkteamName="t", Description="d", MemberDefinitions=members) == (
        "ValidationException"
    )
    assert not Workteam.objects.filter(organization=env.org.organization, name="t").exists()


def test_at_most_25_workteams(env: Any) -> None:
    for i in range(24):  # plus the default team
        env.sm.create_workteam(
            WorkteamName=f"t{i}", Description="d", MemberDefinitions=[{"CognitoMemberDefinition": COGNITO}]
        )
    with pytest.raises(env.sm.exceptions.ResourceLimitExceeded):
        env.sm.create_workteam(
            WorkteamName="t25", Description="d", MemberDefinitions=[{"CognitoMemberDefinition": COGNITO}]
        )
    pages = list(env.sm.get_paginator("list_workteams").paginate(PaginationConfig={"PageSize": 7}))
    assert sum(len(p["Workteams"]) for p in pages) == 25
    assert len(pages) == 4


def test_a_team_used_by_a_flow_cannot_be_deleted(env: Any) -> None:
    create_flow(env.sm, env.org, "team-user")
    with pytest.raises(env.sm.exceptions.ResourceInUse, match="team-user"):
        env.sm.delete_workteam(WorkteamName="default")


def test_workforce_describe_list_update_and_its_rules(env: Any) -> None:
    wf = env.sm.describe_workforce(WorkforceName="default")["Workforce"]
    assert wf["WorkforceArn"] == f"arn:aws:sagemaker:{env.org.region}:{env.org.account_id}:workforce/default"
    assert [w["WorkforceName"] for w in env.sm.list_workforces()["Workforces"]] == ["default"]
    updated = env.sm.update_workforce(
        WorkforceName="default", SourceIpConfig={"Cidrs": ["10.0.0.0/8", "2001:db8::/32"]}
    )
    assert updated["Workforce"]["SourceIpConfig"] == {"Cidrs": ["10.0.0.0/8", "2001:db8::/32"]}
    assert _code(env.sm.update_workforce, WorkforceName="default", SourceIpConfig={"Cidrs": ["10.0.0.0/33"]}) == (
        "ValidationException"
    )
    oidc = {
        "ClientId": "cid",
        "ClientSecret": "very-secret",
        "Issuer": "https://idp.test",
        "AuthorizationEndpoint": "https://idp.test/auth",
        "TokenEndpoint": "https://idp.test/token",
        "UserInfoEndpoint": "https://idp.test/userinfo",
        "LogoutEndpoint": "https://idp.test/logout",
        "JwksUri": "https://idp.test/jwks",
    }
    with pytest.raises(env.sm.exceptions.ConflictException):
        env.sm.update_workforce(WorkforceName="default", OidcConfig=oidc)
    with pytest.raises(ClientError, match="one workforce"):
        env.sm.create_workforce(WorkforceName="second", OidcConfig=oidc)
    with pytest.raises(env.sm.exceptions.ResourceInUse):
        env.sm.delete_workforce(WorkforceName="default")
    # without teams the workforce can be deleted and created again, with OIDC
    env.sm.delete_workteam(WorkteamName="default")
    env.sm.delete_workforce(WorkforceName="default")
    assert env.sm.list_workforces()["Workforces"] == []
    assert _code(
        env.sm.create_workforce,
        WorkforceName="both",
        OidcConfig=oidc,
        CognitoConfig={"UserPool": "us-east-1_a", "ClientId": "c"},
    ) == ("ValidationException")
    env.sm.create_workforce(WorkforceName="oidc-wf", OidcConfig=oidc)
    described = env.sm.describe_workforce(WorkforceName="oidc-wf")["Workforce"]
    assert described["OidcConfig"]["ClientId"] == "cid"
    assert "ClientSecret" not in described["OidcConfig"]
    assert "very-secret" not in json.dumps(env.sm.list_workforces(), default=str)
    # an OIDC workforce takes OIDC teams only
    assert _code(
        env.sm.create_workteam,
        WorkteamName="c",
        Description="d",
        MemberDefinitions=[{"CognitoMemberDefinition": COGNITO}],
    ) == ("ValidationException")
    env.sm.create_workteam(
        WorkteamName="o", Description="d", MemberDefinitions=[{"OidcMemberDefinition": {"Groups": ["labelers"]}}]
    )


# --- Tags --------------------------------------------------------------------------------------


def test_tags_add_overwrite_list_delete(env: Any) -> None:
    arn = create_ui(env.sm, "tagged")
    env.sm.add_tags(ResourceArn=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    env.sm.add_tags(ResourceArn=arn, Tags=[{"Key": "a", "Value": "changed"}])
    assert env.sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "a", "Value": "changed"}, {"Key": "b", "Value": "2"}]
    env.sm.delete_tags(ResourceArn=arn, TagKeys=["a", "not-there"])
    assert env.sm.list_tags(ResourceArn=arn, MaxResults=50)["Tags"] == [{"Key": "b", "Value": "2"}]
    assert _code(env.raw_sm.list_tags, ResourceArn=arn, MaxResults=49) == "ValidationException"
    many = [{"Key": f"k{i}", "Value": "v"} for i in range(49)]
    env.sm.add_tags(ResourceArn=arn, Tags=many)
    with pytest.raises(env.sm.exceptions.ResourceLimitExceeded):
        env.sm.add_tags(ResourceArn=arn, Tags=[{"Key": "one-too-many", "Value": "v"}])
    assert len(env.sm.list_tags(ResourceArn=arn)["Tags"]) == 50
    assert (
        _code(env.sm.add_tags, ResourceArn=arn, Tags=[{"Key": "aws:reserved", "Value": "v"}]) == "ValidationException"
    )


def test_tags_on_every_taggable_kind_and_refusals(env: Any) -> None:
    flow_arn = create_flow(env.sm, env.org, "tag-flow")
    team_arn = private_team_arn(env.org)
    wf_arn = f"arn:aws:sagemaker:{env.org.region}:{env.org.account_id}:workforce/default"
    for arn in (flow_arn, team_arn, wf_arn):
        env.sm.add_tags(ResourceArn=arn, Tags=[{"Key": "k", "Value": "v"}])
        assert env.sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "k", "Value": "v"}]
    loop_arn = f"arn:aws:sagemaker:{env.org.region}:{env.org.account_id}:human-loop/x"
    assert _code(env.sm.add_tags, ResourceArn=loop_arn, Tags=[{"Key": "k", "Value": "v"}]) == "ValidationException"
    assert _code(env.sm.add_tags, ResourceArn="not-an-arn", Tags=[]) == "ValidationException"
    missing = flow_arn.replace("tag-flow", "nope")
    assert _code(env.sm.list_tags, ResourceArn=missing) == "ResourceNotFound"


# --- Protocol ------------------------------------------------------------------------------------


def test_an_operation_loupe_does_not_serve_names_itself(env: Any) -> None:
    with pytest.raises(ClientError) as info:
        env.sm.list_labeling_jobs()
    assert error_code(info.value) == "UnknownOperationException"
    assert "Loupe does not serve SageMaker.ListLabelingJobs" in info.value.response["Error"]["Message"]


def test_errors_carry_message_both_ways_and_a_request_id(env: Any) -> None:
    with pytest.raises(env.sm.exceptions.ResourceNotFound) as info:
        env.sm.describe_flow_definition(FlowDefinitionName="missing")
    resp = info.value.response
    assert resp["Message"] == resp["Error"]["Message"] == "Flow definition missing does not exist."
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert resp["ResponseMetadata"]["RequestId"]


@pytest.mark.parametrize(
    ("op", "key"),
    [
        ("list_human_task_uis", "HumanTaskUiSummaries"),
        ("list_flow_definitions", "FlowDefinitionSummaries"),
    ],
)
def test_creation_time_lists_filter_sort_and_page(env: Any, op: str, key: str) -> None:
    from datetime import UTC, datetime, timedelta

    for i in range(5):
        create_flow(env.sm, env.org, f"f{i}", ui_name=f"u{i}")
    base = datetime(2024, 1, 1, tzinfo=UTC)
    model = HumanTaskUi if op == "list_human_task_uis" else FlowDefinition
    for i in range(5):
        model.objects.filter(
            organization=env.org.organization, name=f"{'u' if model is HumanTaskUi else 'f'}{i}"
        ).update(created_at=base + timedelta(hours=i))
    names_of = lambda items: [  # noqa: E731
        s.get("HumanTaskUiName") or s.get("FlowDefinitionName") for s in items
    ]
    prefix = "u" if model is HumanTaskUi else "f"
    asc = getattr(env.sm, op)(SortOrder="Ascending")[key]
    assert names_of(asc) == [f"{prefix}{i}" for i in range(5)]
    desc = getattr(env.sm, op)(SortOrder="Descending")[key]
    assert names_of(desc) == [f"{prefix}{i}" for i in range(4, -1, -1)]
    window = getattr(env.sm, op)(
        SortOrder="Ascending",
        CreationTimeAfter=base + timedelta(hours=1),
        CreationTimeBefore=(base + timedelta(hours=3)).timestamp() + 0.5,
    )[key]
    assert names_of(window) == [f"{prefix}1", f"{prefix}2", f"{prefix}3"]
    pages = list(env.sm.get_paginator(op).paginate(SortOrder="Ascending", PaginationConfig={"PageSize": 2}))
    assert [len(p[key]) for p in pages] == [2, 2, 1]
    for bad in ({"MaxResults": 101}, {"SortOrder": "Up"}, {"NextToken": "x" * 20}):
        assert _code(getattr(env.sm, op), **bad) == "ValidationException"
