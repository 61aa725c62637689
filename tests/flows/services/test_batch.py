"""Batch start: StartHumanLoop's validation per item, one transaction, results by index."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from flows import events
from flows.errors import Conflict, InvalidInput
from flows.models import HumanLoop, Task, TaskStatus
from flows.services import batch
from flows.services.batch import MAX_BATCH_ITEMS, DuplicateInBatch, loops_start_batch
from flows.services.flow_definitions import flow_definition_delete
from flows.services.loops import loop_announce, loop_start
from tests.conftest import Org
from tests.flows.services.factories import flow_factory, loop_factory

pytestmark = pytest.mark.django_db


def _items(n: int, prefix: str = "item", **extra: object) -> list[dict[str, object]]:
    return [{"name": f"{prefix}-{i}", "input_content": {"i": i}, **extra} for i in range(n)]


def test_a_batch_creates_every_loop_with_its_tasks(org: Org) -> None:
    flow = flow_factory(org.organization, task_count=3)
    # when
    results = loops_start_batch(organization=org.organization, items=_items(5), default_flow_definition=flow.name)
    # then
    assert [(r.index, r.status) for r in results] == [(i, "created") for i in range(5)]
    assert results[2].human_loop_arn == f"arn:aws:sagemaker:{org.region}:{org.account_id}:human-loop/item-2"
    loops = {loop.name: loop for loop in HumanLoop.objects.filter(organization=org.organization)}
    assert sorted(loops) == [f"item-{i}" for i in range(5)]
    assert loops["item-3"].input_content == '{"i": 3}'
    assert loops["item-3"].flow_definition_id == flow.pk
    assert loops["item-3"].task_count == 3
    tasks = Task.objects.filter(loop__organization=org.organization)
    assert tasks.count() == 15
    assert set(tasks.values_list("status", flat=True)) == {TaskStatus.OPEN}
    assert sorted(tasks.filter(loop=loops["item-0"]).values_list("index", flat=True)) == [0, 1, 2]


def test_items_may_name_their_own_flow_by_name_or_arn(org: Org) -> None:
    one = flow_factory(org.organization, task_count=1)
    two = flow_factory(org.organization, task_count=2)
    items = [
        {"name": "a", "input_content": {"x": 1}, "flow_definition": one.arn},
        {"name": "b", "input_content": {"x": 2}, "flow_definition": two.name},
        {"name": "c", "input_content": '{"x": 3}'},
    ]
    # when
    results = loops_start_batch(organization=org.organization, items=items, default_flow_definition=one.name)
    # then
    assert [r.status for r in results] == ["created"] * 3
    by_name = dict(HumanLoop.objects.values_list("name", "flow_definition_id"))
    assert by_name == {"a": one.pk, "b": two.pk, "c": one.pk}
    assert Task.objects.count() == 1 + 2 + 1


def test_bad_items_are_reported_by_index_and_leave_no_trace(org: Org) -> None:
    flow = flow_factory(org.organization)
    items = [
        {"name": "good-0", "input_content": {"a": 1}},
        {"name": "Bad_Name", "input_content": {"a": 1}},
        {"name": "good-2", "input_content": [1, 2]},
        {"name": "good-3", "input_content": "not json"},
        {"name": "good-4", "input_content": {"a": 1}, "content_classifiers": ["Nope"]},
        {"name": "good-5", "input_content": {"a": 1}, "flow_definition": "no-such-flow"},
        {"name": "good-6", "input_content": {"a": 1}, "colour": "red"},
        "not an object",
        {"name": "good-8", "input_content": {"a": 1}},
    ]
    # when
    results = loops_start_batch(organization=org.organization, items=items, default_flow_definition=flow.name)
    # then
    assert [r.status for r in results] == ["created"] + ["error"] * 7 + ["created"]
    errors = {r.index: r.error for r in results if r.error is not None}
    assert all(isinstance(e, InvalidInput) for e in errors.values())
    assert errors[1].field == "humanLoopName"
    assert errors[2].field == "humanLoopInput.inputContent"
    assert errors[3].field == "humanLoopInput.inputContent"
    assert errors[4].field.startswith("dataAttributes.contentClassifiers")
    assert "no-such-flow" in errors[5].message
    assert errors[6].field == "colour"
    assert errors[7].field == "item"
    assert sorted(HumanLoop.objects.values_list("name", flat=True)) == ["good-0", "good-8"]
    assert Task.objects.count() == 2


def test_an_item_without_any_flow_is_refused(org: Org) -> None:
    flow_factory(org.organization)
    # when
    results = loops_start_batch(organization=org.organization, items=_items(1))
    # then
    assert results[0].status == "error"
    assert "flow" in results[0].error.message.lower()
    assert not HumanLoop.objects.exists()


def test_duplicate_names_in_one_batch_keep_the_first(org: Org) -> None:
    flow = flow_factory(org.organization)
    items = [
        {"name": "same", "input_content": {"n": 0}},
        {"name": "other", "input_content": {"n": 1}},
        {"name": "same", "input_content": {"n": 2}},
    ]
    # when
    results = loops_start_batch(organization=org.organization, items=items, default_flow_definition=flow.name)
    # then
    assert [r.status for r in results] == ["created", "created", "error"]
    assert isinstance(results[2].error, DuplicateInBatch)
    assert "Item 0" in results[2].error.message
    assert HumanLoop.objects.get(name="same").input_content == '{"n": 0}'


def test_a_retried_batch_reports_exists_and_a_changed_item_conflicts(org: Org) -> None:
    flow = flow_factory(org.organization, task_count=2)
    loops_start_batch(organization=org.organization, items=_items(3), default_flow_definition=flow.name)
    again = _items(3)
    again[1]["input_content"] = {"i": "changed"}
    # when
    results = loops_start_batch(organization=org.organization, items=again, default_flow_definition=flow.name)
    # then
    assert [r.status for r in results] == ["exists", "error", "exists"]
    assert results[0].human_loop_arn.endswith(":human-loop/item-0")
    assert isinstance(results[1].error, Conflict)
    assert HumanLoop.objects.count() == 3
    assert Task.objects.count() == 6


def test_a_loop_started_through_start_human_loop_counts_as_existing(org: Org) -> None:
    flow = flow_factory(org.organization)
    loop_factory(org.organization, flow, name="single", text="hello")
    # when
    results = loops_start_batch(
        organization=org.organization,
        items=[{"name": "single", "input_content": '{"text": "hello"}'}],
        default_flow_definition=flow.arn,
    )
    # then
    assert results[0].status == "exists"


def test_another_organizations_flow_is_not_found(org: Org, other_org: Org) -> None:
    theirs = flow_factory(other_org.organization)
    flow_factory(org.organization, name=theirs.name)  # same name, in our organization: not used
    # when
    results = loops_start_batch(
        organization=org.organization,
        items=[{"name": "x", "input_content": {}, "flow_definition": theirs.arn}],
    )
    # then
    assert results[0].status == "error"
    assert theirs.arn in results[0].error.message
    assert not HumanLoop.objects.exists()


def test_a_deleted_flow_cannot_start_loops(org: Org) -> None:
    flow = flow_factory(org.organization)
    flow_definition_delete(organization=org.organization, name=flow.name)
    # when
    results = loops_start_batch(organization=org.organization, items=_items(2), default_flow_definition=flow.name)
    # then
    assert [r.status for r in results] == ["error", "error"]
    assert not HumanLoop.objects.exists()


@pytest.mark.parametrize("count", [0, MAX_BATCH_ITEMS + 1])
def test_an_empty_or_oversized_batch_is_refused_whole(org: Org, count: int) -> None:
    flow = flow_factory(org.organization)
    with pytest.raises(InvalidInput) as info:
        loops_start_batch(organization=org.organization, items=_items(count), default_flow_definition=flow.name)
    assert info.value.field == "items"
    assert not HumanLoop.objects.exists()


def _queries(org: Org, items: list[dict[str, object]], flow_name: str) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        results = loops_start_batch(organization=org.organization, items=items, default_flow_definition=flow_name)
    assert all(r.status == "created" for r in results)
    return [q["sql"] for q in ctx.captured_queries]


def test_query_count_does_not_grow_with_the_number_of_items(org: Org) -> None:
    flow = flow_factory(org.organization, task_count=3)
    other_flow = flow_factory(org.organization, task_count=1)
    few = _items(2, "few")
    many = _items(1000, "many")
    for item in many[::2]:
        item["flow_definition"] = other_flow.name
    # when
    few_queries = _queries(org, few, flow.name)
    many_queries = _queries(org, many, flow.name)
    # then: the same statements, one INSERT per table, whatever the number of items and flows
    assert len(many_queries) == len(few_queries)
    for table in (HumanLoop._meta.db_table, Task._meta.db_table):
        writes = [sql for sql in many_queries if f'INSERT INTO "{table}"' in sql or f'COPY "{table}"' in sql]
        assert len(writes) == 1
    assert HumanLoop.objects.count() == 1002
    assert Task.objects.count() == 2 * 3 + 500 * 3 + 500 * 1


def test_a_batch_announces_its_loops_as_start_human_loop_does(org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    flow = flow_factory(org.organization, task_count=2)
    sent: list[tuple[str, dict]] = []
    monkeypatch.setattr(events, "publish_on_commit", lambda group, message: sent.append((group, message)))
    loops_start_batch(organization=org.organization, items=_items(3), default_flow_definition=flow.name)
    from_batch = list(sent)
    sent.clear()
    # when the loop service announces the same loops
    loop_announce(loops=list(HumanLoop.objects.select_related("flow_definition").order_by("pk")))
    # then
    assert from_batch == sent
    assert {group for group, _ in sent} == {f"team-{flow.workteam_id}", f"org-{org.organization.pk}"}


def _race(monkeypatch: pytest.MonkeyPatch, competing_write) -> list[int]:  # type: ignore[no-untyped-def]
    """Run ``competing_write`` once, after the batch's first reads and before its insert (where
    it checks inputs written differently, the last step before the write transaction)."""
    real = batch._same_objects
    calls: list[int] = []

    def read_then_compete(*args, **kwargs):  # type: ignore[no-untyped-def]
        out = real(*args, **kwargs)
        if not calls:
            competing_write()
        calls.append(1)
        return out

    monkeypatch.setattr(batch, "_same_objects", read_then_compete)
    return calls


def test_a_loop_started_between_the_reads_and_the_insert_is_reported(org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    flow = flow_factory(org.organization, task_count=2)
    calls = _race(
        monkeypatch,
        lambda: loop_start(
            organization=org.organization, name="item-1", flow_definition_arn=flow.arn, input_content='{"x": 1}'
        ),
    )
    # when
    results = loops_start_batch(organization=org.organization, items=_items(3), default_flow_definition=flow.name)
    # then: the insert failed on the unique name, rolled back, and the batch ran again
    assert len(calls) == 2
    assert [r.status for r in results] == ["created", "error", "created"]
    assert isinstance(results[1].error, Conflict)
    assert HumanLoop.objects.get(name="item-1").input_content == '{"x": 1}'
    assert HumanLoop.objects.count() == 3
    assert Task.objects.count() == 6


def test_a_flow_deleted_between_the_reads_and_the_insert_starts_nothing(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    flow = flow_factory(org.organization)
    calls = _race(monkeypatch, lambda: flow_definition_delete(organization=org.organization, name=flow.name))
    # when
    results = loops_start_batch(organization=org.organization, items=_items(2), default_flow_definition=flow.name)
    # then
    assert len(calls) == 2
    assert [r.status for r in results] == ["error", "error"]
    assert not HumanLoop.objects.exists()
    assert not Task.objects.exists()
