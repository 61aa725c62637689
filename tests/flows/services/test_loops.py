"""Loop services: start (validation, idempotent retry, conflict), stop, delete."""

from __future__ import annotations

import json

import pytest

from flows.errors import Conflict, InvalidInput, NotFound, WrongState
from flows.models import HumanLoop, HumanLoopStatus, Task, TaskStatus
from flows.services.flow_definitions import flow_definition_delete
from flows.services.loops import loop_delete, loop_start, loop_stop, loop_validate_start
from flows.services.task_uis import task_ui_delete
from tests.conftest import Org
from tests.flows.services.factories import flow_factory, loop_factory

pytestmark = pytest.mark.django_db


def _start(org: Org, flow, name: str = "review-1", content: str = '{"text": "hi"}', **kw):  # type: ignore[no-untyped-def]
    return loop_start(
        organization=org.organization, name=name, flow_definition_arn=flow.arn, input_content=content, **kw
    )


def test_start_creates_the_loop_and_task_count_open_tasks(org: Org) -> None:
    flow = flow_factory(org.organization, task_count=3)
    # when
    loop, created = _start(org, flow, content='{"text": "a"}', content_classifiers=["FreeOfAdultContent"])
    # then
    assert created
    loop.refresh_from_db()
    assert loop.status == HumanLoopStatus.IN_PROGRESS
    assert loop.arn == f"arn:aws:sagemaker:{org.region}:{org.account_id}:human-loop/review-1"
    assert loop.task_count == 3
    assert loop.content_classifiers == ["FreeOfAdultContent"]
    tasks = list(Task.objects.filter(loop=loop).order_by("index"))
    assert [(t.index, t.status, t.flow_definition_id) for t in tasks] == [(i, "open", flow.pk) for i in range(3)]


def test_same_name_same_input_returns_the_existing_loop(org: Org) -> None:
    flow = flow_factory(org.organization, task_count=2)
    first, _ = _start(org, flow)
    # when
    again, created = _start(org, flow)
    # then
    assert not created
    assert again.pk == first.pk
    assert Task.objects.filter(loop=first).count() == 2


def test_same_name_other_input_is_a_conflict_and_writes_nothing(org: Org) -> None:
    flow = flow_factory(org.organization)
    _start(org, flow)
    with pytest.raises(Conflict):
        _start(org, flow, content='{"text": "other"}')
    assert HumanLoop.objects.count() == 1
    assert Task.objects.count() == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "Bad-Name"}, "humanLoopName"),
        ({"name": "a" * 64}, "humanLoopName"),
        ({"name": "-a"}, "humanLoopName"),
        ({"content": "not json"}, "humanLoopInput.inputContent"),
        ({"content": "[1, 2]"}, "humanLoopInput.inputContent"),
        ({"content": json.dumps({"x": "a" * 3_145_728})}, "humanLoopInput.inputContent"),
        ({"content_classifiers": ["Bogus"]}, "dataAttributes.contentClassifiers.1.member"),
    ],
)
def test_bad_start_is_refused_and_leaves_nothing(org: Org, kwargs: dict, field: str) -> None:
    flow = flow_factory(org.organization, task_count=3)
    with pytest.raises(InvalidInput) as info:
        _start(org, flow, **kwargs)
    assert info.value.field == field
    assert "validation error detected" in info.value.message
    assert HumanLoop.objects.count() == 0
    assert Task.objects.count() == 0


def test_input_at_the_size_limit_is_accepted(org: Org) -> None:
    flow = flow_factory(org.organization)
    content = json.dumps({"x": "a" * (3_145_728 - 9)})
    assert len(content) == 3_145_728
    loop, created = _start(org, flow, content=content)
    assert created
    assert len(loop.input_content) == 3_145_728


def test_flow_of_another_org_or_unknown_is_invalid_input(org: Org, other_org: Org) -> None:
    theirs = flow_factory(other_org.organization)
    with pytest.raises(InvalidInput, match="does not exist"):
        _start(org, theirs)
    with pytest.raises(InvalidInput, match="does not exist"):
        loop_start(
            organization=org.organization,
            name="x",
            flow_definition_arn=f"arn:aws:sagemaker:{org.region}:{org.account_id}:flow-definition/nope",
            input_content="{}",
        )
    assert HumanLoop.objects.count() == 0


def test_flow_whose_template_was_deleted_cannot_start(org: Org) -> None:
    flow = flow_factory(org.organization)
    task_ui_delete(organization=org.organization, name=flow.human_task_ui.name)
    with pytest.raises(InvalidInput, match="template"):
        _start(org, flow)


def test_validate_start_alone_writes_nothing_and_caches_flows(org: Org, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    flow = flow_factory(org.organization)
    cache: dict = {}
    loop_validate_start(
        organization=org.organization, name="a", flow_definition_arn=flow.arn, input_content="{}", flows=cache
    )
    with django_assert_num_queries(0):
        v = loop_validate_start(
            organization=org.organization, name="b", flow_definition_arn=flow.arn, input_content="{}", flows=cache
        )
    assert v.flow.pk == flow.pk
    assert HumanLoop.objects.count() == 0


@pytest.mark.parametrize("task_count", [1, 3])
def test_start_query_count_is_constant(org: Org, task_count: int, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    flow = flow_factory(org.organization, task_count=task_count)
    # (savepoint), flow lookup, insert loop, bulk insert tasks, (release)
    with django_assert_max_num_queries(5):
        _start(org, flow)


def test_stop_without_held_task_stops_at_once_and_closes_tasks(org: Org) -> None:
    flow = flow_factory(org.organization, task_count=2)
    loop = loop_factory(org.organization, flow)
    # when
    stopped = loop_stop(organization=org.organization, name=loop.name)
    # then
    assert stopped.status == HumanLoopStatus.STOPPED
    loop.refresh_from_db()
    assert loop.status == "Stopped"
    assert loop.completed_at is not None
    assert set(Task.objects.filter(loop=loop).values_list("status", flat=True)) == {TaskStatus.CLOSED}


def test_stop_with_a_leased_task_is_stopping(org: Org) -> None:
    from datetime import timedelta

    from django.utils import timezone

    flow = flow_factory(org.organization, task_count=2)
    loop = loop_factory(org.organization, flow)
    task = Task.objects.get(loop=loop, index=0)
    Task.objects.filter(pk=task.pk).update(
        status=TaskStatus.LEASED,
        worker=org.admin,
        leased_at=timezone.now(),
        lease_expires_at=timezone.now() + timedelta(hours=1),
    )
    # when
    result = loop_stop(organization=org.organization, name=loop.name)
    # then
    assert result.status == HumanLoopStatus.STOPPING
    assert dict(Task.objects.filter(loop=loop).values_list("index", "status")) == {0: "leased", 1: "closed"}


def test_delete_only_terminal_loops(org: Org) -> None:
    flow = flow_factory(org.organization)
    loop = loop_factory(org.organization, flow)
    with pytest.raises(WrongState):
        loop_delete(organization=org.organization, name=loop.name)
    loop_stop(organization=org.organization, name=loop.name)
    # when
    loop_delete(organization=org.organization, name=loop.name)
    # then
    loop.refresh_from_db()
    assert loop.deleted_at is not None
    with pytest.raises(NotFound):
        loop_delete(organization=org.organization, name=loop.name)
    # the name is free again
    again, created = _start(org, flow, name=loop.name, content='{"other": 1}')
    assert created
    assert again.pk != loop.pk


def test_stop_and_delete_of_another_orgs_loop_is_not_found(org: Org, other_org: Org) -> None:
    flow = flow_factory(other_org.organization)
    loop = loop_factory(other_org.organization, flow)
    with pytest.raises(NotFound):
        loop_stop(organization=org.organization, name=loop.name)
    with pytest.raises(NotFound):
        loop_delete(organization=org.organization, name=loop.name)


def test_deleting_the_flow_blocks_new_loops(org: Org) -> None:
    flow = flow_factory(org.organization)
    flow_definition_delete(organization=org.organization, name=flow.name)
    with pytest.raises(InvalidInput):
        _start(org, flow)
