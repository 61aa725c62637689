"""The A2I runtime over real HTTP with boto3: routing, errors, lifecycle, listing."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from botocore.httpsession import URLLib3Session
from django.utils import timezone

from flows.models import HumanLoop, Task, TaskStatus
from tests.conftest import make_org
from tests.flows.aws.helpers import clients, create_flow, error_code, start

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def env(live_server_url: str) -> Any:
    org = make_org()
    sm, a2i = clients(org, live_server_url)
    flow_arn = create_flow(sm, org, "flow-a", TaskCount=2)

    class Env:
        pass

    e = Env()
    e.org, e.sm, e.a2i, e.flow_arn, e.url = org, sm, a2i, flow_arn, live_server_url  # type: ignore[attr-defined]
    return e


def test_start_returns_the_arn_and_validation_errors_carry_a2i_shape(env: Any) -> None:
    arn = start(env.a2i, env.flow_arn, "loop-1")["HumanLoopArn"]
    assert arn == f"arn:aws:sagemaker:{env.org.region}:{env.org.account_id}:human-loop/loop-1"
    with pytest.raises(env.a2i.exceptions.ValidationException) as info:
        start(env.a2i, env.flow_arn, "Loop-Upper")
    resp = info.value.response
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert resp["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == "ValidationException"
    assert resp["Message"].startswith("1 validation error detected: Value 'Loop-Upper' at 'humanLoopName'")
    assert resp["ResponseMetadata"]["RequestId"]


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"HumanLoopName": "a" * 64}, "humanLoopName"),
        ({"FlowDefinitionArn": "not-an-arn"}, "flowDefinitionArn"),
        ({"HumanLoopInput": {"InputContent": "not json"}}, "inputContent"),
        ({"HumanLoopInput": {"InputContent": '"a string"'}}, "inputContent"),
        ({"HumanLoopInput": {"InputContent": json.dumps({"x": "y" * 3_145_728})}}, "inputContent"),
        ({"DataAttributes": {"ContentClassifiers": ["Bogus"]}}, "contentClassifiers"),
    ],
)
def test_bad_start_is_a_validation_exception_and_leaves_nothing(env: Any, kwargs: dict, fragment: str) -> None:
    args = {
        "HumanLoopName": "refused",
        "FlowDefinitionArn": env.flow_arn,
        "HumanLoopInput": {"InputContent": "{}"},
    }
    args.update(kwargs)
    with pytest.raises(env.a2i.exceptions.ValidationException) as info:
        env.a2i.start_human_loop(**args)
    assert fragment in info.value.response["Message"]
    assert not HumanLoop.objects.filter(organization=env.org.organization).exists()
    assert not Task.objects.filter(loop__organization=env.org.organization).exists()


def test_start_against_a_missing_flow_is_validation_not_not_found(env: Any) -> None:
    missing = env.flow_arn.replace("flow-a", "nope")
    with pytest.raises(env.a2i.exceptions.ValidationException, match="does not exist"):
        start(env.a2i, missing, "x")


def test_same_name_different_input_is_conflict_409(env: Any) -> None:
    start(env.a2i, env.flow_arn, "dup", {"v": 1})
    again = start(env.a2i, env.flow_arn, "dup", {"v": 1})
    assert again["HumanLoopArn"].endswith("human-loop/dup")
    with pytest.raises(env.a2i.exceptions.ConflictException) as info:
        start(env.a2i, env.flow_arn, "dup", {"v": 2})
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert HumanLoop.objects.filter(name="dup").count() == 1


def test_a_retry_after_a_simulated_500_succeeds_with_the_same_arn(env: Any) -> None:
    """The first attempt reaches the server and commits, but the client sees a 500 and retries."""
    attempts: list[int] = []
    committed: list[bool] = []
    session = URLLib3Session()

    def deliver_then_fail(request: Any, **kwargs: Any) -> AWSResponse | None:
        if request.method != "POST" or not request.url.endswith("/human-loops"):
            return None
        attempts.append(1)
        if len(attempts) == 1:
            session.send(request)
            committed.append(HumanLoop.objects.filter(name="retried").exists())
            raw = type("Raw", (), {"stream": lambda self, **k: iter([b""])})()
            return AWSResponse(request.url, 500, {}, raw)
        return None

    env.a2i.meta.events.register("before-send", deliver_then_fail)
    arn = start(env.a2i, env.flow_arn, "retried", {"v": 1})["HumanLoopArn"]
    assert len(attempts) == 2
    assert committed == [True]
    assert arn.endswith("human-loop/retried")
    assert HumanLoop.objects.filter(name="retried").count() == 1
    assert Task.objects.filter(loop__name="retried").count() == 2


def test_describe_returns_every_required_field_and_unknown_is_404(env: Any) -> None:
    start(env.a2i, env.flow_arn, "described")
    d = env.a2i.describe_human_loop(HumanLoopName="described")
    assert {"CreationTime", "HumanLoopStatus", "HumanLoopName", "HumanLoopArn", "FlowDefinitionArn"} <= set(d)
    assert abs(d["CreationTime"] - datetime.now(UTC)) < timedelta(minutes=1)
    with pytest.raises(env.a2i.exceptions.ResourceNotFoundException) as info:
        env.a2i.describe_human_loop(HumanLoopName="never")
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_describe_reports_failure_and_output(env: Any) -> None:
    start(env.a2i, env.flow_arn, "failed-one")
    start(env.a2i, env.flow_arn, "done-one")
    HumanLoop.objects.filter(name="failed-one").update(
        status="Failed", failure_code="Expired", failure_reason="Task availability lifetime elapsed."
    )
    HumanLoop.objects.filter(name="done-one").update(status="Completed", output_uri="s3://loupe-test/x/output.json")
    failed = env.a2i.describe_human_loop(HumanLoopName="failed-one")
    assert (failed["FailureCode"], failed["FailureReason"]) == ("Expired", "Task availability lifetime elapsed.")
    done = env.a2i.describe_human_loop(HumanLoopName="done-one")
    assert done["HumanLoopOutput"] == {"OutputS3Uri": "s3://loupe-test/x/output.json"}


def test_a_loop_named_stop_is_described_and_deleted_by_get_and_delete(env: Any) -> None:
    start(env.a2i, env.flow_arn, "stop")
    assert env.a2i.describe_human_loop(HumanLoopName="stop")["HumanLoopName"] == "stop"
    env.a2i.stop_human_loop(HumanLoopName="stop")
    assert env.a2i.describe_human_loop(HumanLoopName="stop")["HumanLoopStatus"] == "Stopped"
    env.a2i.delete_human_loop(HumanLoopName="stop")
    with pytest.raises(env.a2i.exceptions.ResourceNotFoundException):
        env.a2i.describe_human_loop(HumanLoopName="stop")


def test_an_encoded_slash_in_a_label_is_a_validation_error(env: Any) -> None:
    with pytest.raises(env.a2i.exceptions.ValidationException):
        env.a2i.describe_human_loop(HumanLoopName="Bad Name/ü~x")


def test_stop_with_a_held_task_is_stopping_and_delete_needs_terminal(env: Any) -> None:
    start(env.a2i, env.flow_arn, "held")
    task = Task.objects.get(loop__name="held", index=0)
    Task.objects.filter(pk=task.pk).update(
        status=TaskStatus.LEASED,
        worker=env.org.admin,
        leased_at=timezone.now(),
        lease_expires_at=timezone.now() + timedelta(hours=1),
    )
    with pytest.raises(env.a2i.exceptions.ValidationException, match="Stop it first"):
        env.a2i.delete_human_loop(HumanLoopName="held")
    env.a2i.stop_human_loop(HumanLoopName="held")
    assert env.a2i.describe_human_loop(HumanLoopName="held")["HumanLoopStatus"] == "Stopping"
    with pytest.raises(env.a2i.exceptions.ValidationException):
        env.a2i.delete_human_loop(HumanLoopName="held")
    with pytest.raises(env.a2i.exceptions.ResourceNotFoundException):
        env.a2i.stop_human_loop(HumanLoopName="ghost")


def test_list_filters_sorts_pages_and_the_paginator_finishes(env: Any) -> None:
    names = [f"l-{i}" for i in range(7)]
    for name in names:
        start(env.a2i, env.flow_arn, name)
    loops = {loop.name: loop for loop in HumanLoop.objects.filter(name__in=names)}
    base = datetime(2024, 1, 1, tzinfo=UTC)
    for i, name in enumerate(names):
        HumanLoop.objects.filter(pk=loops[name].pk).update(created_at=base + timedelta(hours=i, microseconds=i))
    asc = env.a2i.list_human_loops(FlowDefinitionArn=env.flow_arn, SortOrder="Ascending")["HumanLoopSummaries"]
    assert [s["HumanLoopName"] for s in asc] == names
    desc = env.a2i.list_human_loops(FlowDefinitionArn=env.flow_arn, SortOrder="Descending")["HumanLoopSummaries"]
    assert [s["HumanLoopName"] for s in desc] == names[::-1]
    # after is inclusive, before exclusive; both timestamp spellings
    window = env.a2i.list_human_loops(
        FlowDefinitionArn=env.flow_arn,
        SortOrder="Ascending",
        CreationTimeAfter=base + timedelta(hours=2, microseconds=2),
        CreationTimeBefore=datetime(2024, 1, 1, 5, tzinfo=UTC),
    )["HumanLoopSummaries"]
    assert [s["HumanLoopName"] for s in window] == ["l-2", "l-3", "l-4"]
    # pages of 2 until no token; tokens never repeat
    pages = list(
        env.a2i.get_paginator("list_human_loops").paginate(
            FlowDefinitionArn=env.flow_arn, SortOrder="Ascending", PaginationConfig={"PageSize": 2}
        )
    )
    assert [len(p["HumanLoopSummaries"]) for p in pages] == [2, 2, 2, 1]
    assert [s["HumanLoopName"] for p in pages for s in p["HumanLoopSummaries"]] == names
    tokens = [p.get("NextToken") for p in pages]
    assert tokens[-1] is None
    assert len(set(tokens[:-1])) == 3


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"MaxResults": 101}, "ValidationException"),
        ({"SortOrder": "Sideways"}, "ValidationException"),
        ({"NextToken": "garbage"}, "ValidationException"),
        (
            {"FlowDefinitionArn": "arn:aws:sagemaker:us-east-1:000000000000:flow-definition/x"},
            "ResourceNotFoundException",
        ),
    ],
)
def test_list_refuses_bad_parameters(env: Any, kwargs: dict, code: str) -> None:
    args = {"FlowDefinitionArn": env.flow_arn}
    args.update(kwargs)
    with pytest.raises(ClientError) as info:
        env.a2i.list_human_loops(**args)
    assert error_code(info.value) == code


def test_list_of_a_deleted_flow_is_not_found(env: Any) -> None:
    env.sm.delete_flow_definition(FlowDefinitionName="flow-a")
    with pytest.raises(env.a2i.exceptions.ResourceNotFoundException):
        env.a2i.list_human_loops(FlowDefinitionArn=env.flow_arn)


def test_both_apis_work_under_a_path_prefix(env: Any) -> None:
    for prefix in ("/aws", "/aws/"):
        sm, a2i = clients(env.org, env.url + prefix)
        assert sm.describe_flow_definition(FlowDefinitionName="flow-a")["FlowDefinitionArn"] == env.flow_arn
        name = f"prefixed{len(prefix)}"
        start(a2i, env.flow_arn, name)
        assert a2i.describe_human_loop(HumanLoopName=name)["HumanLoopStatus"] == "InProgress"
        assert any(
            s["HumanLoopName"] == name
            for s in a2i.list_human_loops(FlowDefinitionArn=env.flow_arn)["HumanLoopSummaries"]
        )


def test_deleting_the_flow_stops_and_deletes_unstarted_loops(env: Any) -> None:
    start(env.a2i, env.flow_arn, "waiting")
    env.sm.delete_flow_definition(FlowDefinitionName="flow-a")
    with pytest.raises(env.sm.exceptions.ResourceNotFound):
        env.sm.describe_flow_definition(FlowDefinitionName="flow-a")
    with pytest.raises(env.a2i.exceptions.ResourceNotFoundException):
        env.a2i.describe_human_loop(HumanLoopName="waiting")
    loop = HumanLoop.objects.get(name="waiting")
    assert loop.status == "Stopped"
    assert set(Task.objects.filter(loop=loop).values_list("status", flat=True)) == {"closed"}


def test_a_flow_with_a_started_loop_stays_deleting_until_the_loop_ends(env: Any) -> None:
    from flows.models import Assignment

    start(env.a2i, env.flow_arn, "started")
    loop = HumanLoop.objects.get(name="started")
    task = Task.objects.get(loop=loop, index=0)
    now = timezone.now()
    Task.objects.filter(pk=task.pk).update(
        status=TaskStatus.LEASED, worker=env.org.admin, leased_at=now, lease_expires_at=now + timedelta(hours=1)
    )
    Assignment.objects.create(
        worker=env.org.admin, loop=loop, task=task, accepted_at=now, lease_expires_at=now + timedelta(hours=1)
    )
    env.sm.delete_flow_definition(FlowDefinitionName="flow-a")
    assert env.sm.describe_flow_definition(FlowDefinitionName="flow-a")["FlowDefinitionStatus"] == "Deleting"
    with pytest.raises(env.sm.exceptions.ResourceInUse):
        env.sm.delete_flow_definition(FlowDefinitionName="flow-a")
    assert env.a2i.describe_human_loop(HumanLoopName="started")["HumanLoopStatus"] == "InProgress"
    # when the loop ends, housekeeping removes the flow
    HumanLoop.objects.filter(pk=loop.pk).update(status="Completed")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            env.sm.describe_flow_definition(FlowDefinitionName="flow-a")
        except env.sm.exceptions.ResourceNotFound:
            break
        time.sleep(0.3)
    else:
        pytest.fail("The Deleting flow was not removed after its last loop ended")
    listed = env.sm.list_flow_definitions()["FlowDefinitionSummaries"]
    assert "flow-a" not in [f["FlowDefinitionName"] for f in listed]
