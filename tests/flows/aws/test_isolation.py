"""Two organizations never see each other's resources, by any operation."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from flows.models import FlowDefinition, HumanLoop, HumanTaskUi, Tag
from tests.conftest import make_org
from tests.flows.aws.helpers import clients, create_flow, error_code, flow_kwargs, private_team_arn, role_arn, start
from workforce.models import Workforce, Workteam

pytestmark = pytest.mark.django_db(transaction=True)

COGNITO = {"UserPool": "us-east-1_abc123", "UserGroup": "g", "ClientId": "c"}


@pytest.fixture
def two(live_server_url: str) -> Any:
    a, b = make_org(), make_org()
    a_sm, a_a2i = clients(a, live_server_url)
    b_sm, b_a2i = clients(b, live_server_url)
    flow_arn = create_flow(a_sm, a, "shared-name", ui_name="ui-a")
    start(a_a2i, flow_arn, "loop-a")
    a_sm.create_workteam(
        WorkteamName="team-a", Description="A", MemberDefinitions=[{"CognitoMemberDefinition": COGNITO}]
    )
    ui_arn = f"arn:aws:sagemaker:{a.region}:{a.account_id}:human-task-ui/ui-a"
    a_sm.add_tags(ResourceArn=ui_arn, Tags=[{"Key": "owner", "Value": "a"}])

    class T:
        pass

    t = T()
    t.a, t.b, t.b_sm, t.b_a2i, t.flow_arn, t.ui_arn = a, b, b_sm, b_a2i, flow_arn, ui_arn  # type: ignore[attr-defined]
    return t


def _code(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return error_code(info.value)


def test_task_ui_operations(two: Any) -> None:
    sm = two.b_sm
    assert _code(sm.describe_human_task_ui, HumanTaskUiName="ui-a") == "ResourceNotFound"
    assert _code(sm.delete_human_task_ui, HumanTaskUiName="ui-a") == "ResourceNotFound"
    assert sm.list_human_task_uis()["HumanTaskUiSummaries"] == []
    assert (
        _code(sm.render_ui_template, HumanTaskUiArn=two.ui_arn, Task={"Input": "{}"}, RoleArn=role_arn(two.b))
        == "ResourceNotFound"
    )
    assert HumanTaskUi.objects.get(organization=two.a.organization, name="ui-a").deleted_at is None


def test_flow_definition_operations(two: Any) -> None:
    sm = two.b_sm
    assert _code(sm.describe_flow_definition, FlowDefinitionName="shared-name") == "ResourceNotFound"
    assert _code(sm.delete_flow_definition, FlowDefinitionName="shared-name") == "ResourceNotFound"
    assert sm.list_flow_definitions()["FlowDefinitionSummaries"] == []
    # another org's template or team cannot be used
    assert _code(sm.create_flow_definition, **flow_kwargs(two.b, two.ui_arn, "steal")) == "ValidationException"
    own_ui = sm.create_human_task_ui(HumanTaskUiName="ui-b", UiTemplate={"Content": "<p>x</p>"})["HumanTaskUiArn"]
    kwargs = flow_kwargs(two.b, own_ui, "steal", WorkteamArn=private_team_arn(two.a))
    assert _code(sm.create_flow_definition, **kwargs) == "ValidationException"
    # the same name is free in the other org
    assert sm.create_flow_definition(**flow_kwargs(two.b, own_ui, "shared-name"))["FlowDefinitionArn"] != two.flow_arn
    assert FlowDefinition.objects.get(organization=two.a.organization, name="shared-name").status == "Active"


def test_human_loop_operations(two: Any) -> None:
    a2i = two.b_a2i
    assert _code(a2i.describe_human_loop, HumanLoopName="loop-a") == "ResourceNotFoundException"
    assert _code(a2i.stop_human_loop, HumanLoopName="loop-a") == "ResourceNotFoundException"
    assert _code(a2i.delete_human_loop, HumanLoopName="loop-a") == "ResourceNotFoundException"
    assert _code(a2i.list_human_loops, FlowDefinitionArn=two.flow_arn) == "ResourceNotFoundException"
    with pytest.raises(a2i.exceptions.ValidationException):
        start(a2i, two.flow_arn, "loop-b")
    # the same loop name is free in the other org
    own_flow = create_flow(two.b_sm, two.b, "flow-b", ui_name="ui-b2")
    assert start(a2i, own_flow, "loop-a")["HumanLoopArn"].split(":")[4] == two.b.account_id
    assert HumanLoop.objects.get(organization=two.a.organization, name="loop-a").status == "InProgress"


def test_workteam_operations(two: Any) -> None:
    sm = two.b_sm
    assert _code(sm.describe_workteam, WorkteamName="team-a") == "ResourceNotFound"
    assert _code(sm.update_workteam, WorkteamName="team-a", Description="mine") == "ResourceNotFound"
    assert _code(sm.delete_workteam, WorkteamName="team-a") == "ResourceNotFound"
    assert [t["WorkteamName"] for t in sm.list_workteams()["Workteams"]] == ["default"]
    assert sm.describe_workteam(WorkteamName="default")["Workteam"]["WorkteamArn"] == private_team_arn(two.b)
    assert Workteam.objects.get(organization=two.a.organization, name="team-a").description == "A"


def test_workforce_operations(two: Any) -> None:
    sm = two.b_sm
    listed = sm.list_workforces()["Workforces"]
    assert [w["WorkforceArn"].split(":")[4] for w in listed] == [two.b.account_id]
    sm.update_workforce(WorkforceName="default", SourceIpConfig={"Cidrs": ["10.0.0.0/8"]})
    assert Workforce.objects.get(organization=two.a.organization).source_ip_config is None
    assert sm.list_subscribed_workteams()["SubscribedWorkteams"] == []


def test_tag_operations(two: Any) -> None:
    sm = two.b_sm
    assert _code(sm.list_tags, ResourceArn=two.ui_arn) == "ResourceNotFound"
    assert _code(sm.add_tags, ResourceArn=two.ui_arn, Tags=[{"Key": "owner", "Value": "b"}]) == "ResourceNotFound"
    assert _code(sm.delete_tags, ResourceArn=two.ui_arn, TagKeys=["owner"]) == "ResourceNotFound"
    assert _code(sm.list_tags, ResourceArn=two.flow_arn) == "ResourceNotFound"
    assert Tag.objects.get(resource_arn=two.ui_arn).value == "a"
