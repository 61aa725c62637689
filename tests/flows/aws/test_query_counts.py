"""StartHumanLoop's query count through the whole AWS edge (SigV4 included) is pinned and does
not grow with TaskCount: the tasks go in with one bulk insert."""

from __future__ import annotations

import json

import pytest

from flows.aws import views
from flows.models import Task
from tests.conftest import Org
from tests.flows.aws.helpers import signed_request
from tests.flows.services.factories import flow_factory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("task_count", [1, 3])
def test_start_human_loop_queries_are_constant(org: Org, task_count: int, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    flow = flow_factory(org.organization, task_count=task_count)
    body = json.dumps(
        {"HumanLoopName": "counted", "FlowDefinitionArn": flow.arn, "HumanLoopInput": {"InputContent": '{"a": 1}'}}
    ).encode()
    request = signed_request(org, "POST", "/human-loops", body=body, headers={"Content-Type": "application/json"})
    # key lookup, (savepoint), flow lookup, insert loop, bulk insert tasks, (release)
    with django_assert_max_num_queries(6):
        response = views.human_loops(request)
    assert response.status_code == 200, response.content
    assert json.loads(response.content)["HumanLoopArn"].endswith("human-loop/counted")
    assert Task.objects.filter(loop__name="counted").count() == task_count
