"""The A2I flow from the talks and blog posts, unchanged boto3 code, over real HTTP."""

from __future__ import annotations

import json

import pytest

from flows.models import HumanLoop, Task
from tests.conftest import make_org
from tests.flows.aws.helpers import clients, private_team_arn, role_arn
from tests.flows.services.factories import TEMPLATE

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_a2i_talk_flow_runs_unchanged(live_server_url: str) -> None:
    org = make_org()
    sagemaker, a2i = clients(org, live_server_url)
    # given a template and a flow definition (TaskCount 3, an s3:// output path, the private team)
    ui_arn = sagemaker.create_human_task_ui(HumanTaskUiName="talk-ui", UiTemplate={"Content": TEMPLATE})[
        "HumanTaskUiArn"
    ]
    assert ui_arn == f"arn:aws:sagemaker:{org.region}:{org.account_id}:human-task-ui/talk-ui"
    flow_arn = sagemaker.create_flow_definition(
        FlowDefinitionName="talk-flow",
        RoleArn=role_arn(org),
        HumanLoopConfig={
            "WorkteamArn": private_team_arn(org),
            "HumanTaskUiArn": ui_arn,
            "TaskCount": 3,
            "TaskDescription": "Classify the sentiment",
            "TaskTitle": "Sentiment",
        },
        OutputConfig={"S3OutputPath": "s3://my-bucket/a2i-results"},
    )["FlowDefinitionArn"]
    assert sagemaker.describe_flow_definition(FlowDefinitionName="talk-flow")["FlowDefinitionStatus"] == "Active"
    # when a loop starts with JSON input content
    response = a2i.start_human_loop(
        HumanLoopName="talk-loop-1",
        FlowDefinitionArn=flow_arn,
        HumanLoopInput={"InputContent": json.dumps({"text": "I love it", "score": 0.41})},
        DataAttributes={"ContentClassifiers": ["FreeOfPersonallyIdentifiableInformation"]},
    )
    # then
    assert response["HumanLoopArn"] == f"arn:aws:sagemaker:{org.region}:{org.account_id}:human-loop/talk-loop-1"
    assert response["ResponseMetadata"]["RequestId"]
    described = a2i.describe_human_loop(HumanLoopName="talk-loop-1")
    assert described["HumanLoopStatus"] == "InProgress"
    assert described["FlowDefinitionArn"] == flow_arn
    assert described["CreationTime"].tzinfo is not None
    assert Task.objects.filter(loop__name="talk-loop-1").count() == 3
    listed = a2i.list_human_loops(FlowDefinitionArn=flow_arn)["HumanLoopSummaries"]
    assert [s["HumanLoopName"] for s in listed] == ["talk-loop-1"]
    # stop, then delete
    a2i.stop_human_loop(HumanLoopName="talk-loop-1")
    assert a2i.describe_human_loop(HumanLoopName="talk-loop-1")["HumanLoopStatus"] == "Stopped"
    a2i.delete_human_loop(HumanLoopName="talk-loop-1")
    with pytest.raises(a2i.exceptions.ResourceNotFoundException):
        a2i.describe_human_loop(HumanLoopName="talk-loop-1")
    assert a2i.list_human_loops(FlowDefinitionArn=flow_arn)["HumanLoopSummaries"] == []
    assert HumanLoop.objects.get(name="talk-loop-1").deleted_at is not None
