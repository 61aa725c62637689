"""Gold items and worker quality: REST create / list / withdraw, workers meeting gold items through
the worker API like any task, accuracy and agreement computed in the background, gold loops kept
out of the customer's loops, outputs, exports and usage."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from flows.models import Answer, HumanLoop, HumanLoopStatus, Task, TaskStatus, WorkerQuality
from flows.services.gold import GOLD_NAME_PREFIX, flow_quality_compute, gold_items_create
from flows.services.results import loop_consolidate
from flows.services.work import task_claim, task_submit
from tests.conftest import Org, make_org
from tests.flows.api.factories import key_client, member_factory, problem_of, session_client
from tests.flows.results_helpers import queued, run_ready_tasks
from tests.flows.work.factories import flow_factory, loop_factory, worker_factory
from workforce.models import Role, User
from workforce.selectors import usage_by_month

pytestmark = pytest.mark.django_db

CAT = {"category": {"label": "cat"}}
DOG = {"category": {"label": "dog"}}


def _url(flow_name: str, rest: str = "gold-items") -> str:
    return f"/api/v1/flow-definitions/{flow_name}/{rest}"


def _token_client(user: User) -> APIClient:
    from rest_framework.authtoken.models import Token

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def _gold(org: Org, flow: Any, n: int = 1, replicas: int = 2, answer: dict[str, Any] | None = None) -> list[int]:
    results = gold_items_create(
        organization=org.organization,
        flow_name=flow.name,
        items=[
            {"input_content": {"img": f"s3://b/gold-{i}.png"}, "answer": answer or CAT, "replicas": replicas}
            for i in range(n)
        ],
    )
    assert all(r.status == "created" for r in results), [r.error for r in results]
    return [r.item.pk for r in results if r.item is not None]


# --- Create -----------------------------------------------------------------------------------------


def test_create_one_item_makes_a_gold_loop_with_one_task_per_replica(org: Org) -> None:
    flow = flow_factory(org)
    resp = key_client(org).post(
        _url(flow.name),
        {"input_content": {"img": "s3://b/1.png"}, "answer": CAT, "replicas": 7, "alias": "img-1042"},
        format="json",
    )
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["alias"] == "img-1042"
    assert body["replicas"] == 7
    assert body["answer"] == CAT
    assert body["input_content"] == {"img": "s3://b/1.png"}
    assert (body["state"], body["answers"], body["accuracy"]) == ("active", 0, None)
    loop = HumanLoop.objects.get(pk=body["id"])
    assert loop.is_gold
    assert loop.name.startswith(GOLD_NAME_PREFIX)
    assert loop.expires_at is None
    assert Task.objects.filter(loop=loop, status=TaskStatus.OPEN).count() == 7


def test_default_replicas_is_ten_and_the_alias_a_uuid(org: Org) -> None:
    flow = flow_factory(org)
    resp = key_client(org).post(_url(flow.name), {"input_content": {"x": 1}, "answer": CAT}, format="json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["replicas"] == 10
    assert len(resp.json()["alias"]) == 36


def test_a_batch_reports_each_item_and_refused_items_leave_no_trace(org: Org) -> None:
    flow = flow_factory(org)
    items = [
        {"input_content": {"x": 1}, "answer": CAT, "replicas": 2},
        {"input_content": [1, 2], "answer": CAT},
        {"input_content": {"x": 3}, "answer": CAT, "replicas": 0},
        {"input_content": {"x": 4}, "answer": DOG},
        "not an object",
        {"input_content": {"x": 5}, "answer": CAT, "colour": "red"},
    ]
    resp = key_client(org).post(_url(flow.name), {"items": items}, format="json")
    assert resp.status_code == 200, resp.content
    results = resp.json()["results"]
    assert [r["status"] for r in results] == ["created", "error", "error", "created", "error", "error"]
    assert results[1]["error"]["field"] == "input_content"
    assert results[2]["error"]["field"] == "replicas"
    assert "colour" in results[5]["error"]["detail"]
    assert HumanLoop.objects.filter(flow_definition=flow, is_gold=True).count() == 2
    assert Task.objects.filter(flow_definition=flow).count() == 2 + 10


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"input_content": "not json", "answer": CAT}, "input_content"),
        ({"input_content": "[1]", "answer": CAT}, "input_content"),
        ({"input_content": 5, "answer": CAT}, "input_content"),
        ({"answer": CAT}, "input_content"),
        ({"input_content": {"x": 1}}, "answer"),
        ({"input_content": {"x": 1}, "answer": "cat"}, "answer"),
        ({"input_content": {"x": 1}, "answer": {}}, "answer"),
        ({"input_content": {"x": 1}, "answer": CAT, "replicas": 0}, "replicas"),
        ({"input_content": {"x": 1}, "answer": CAT, "replicas": 101}, "replicas"),
        ({"input_content": {"x": 1}, "answer": CAT, "replicas": "3"}, "replicas"),
        ({"input_content": {"x": 1}, "answer": CAT, "replicas": True}, "replicas"),
        ({"input_content": {"x": 1}, "answer": CAT, "alias": "Not A Name!"}, "alias"),
        (
            {"input_content": {"x": 1}, "answer": {"b": {"boundingBoxes": [{"label": "c", "left": "x"}]}}},
            "answer",
        ),
    ],
)
def test_bad_items_are_a_400_naming_the_field_and_write_nothing(org: Org, body: dict[str, Any], field: str) -> None:
    flow = flow_factory(org)
    resp = key_client(org).post(_url(flow.name), body, format="json")
    assert resp.status_code == 400, resp.content
    problem = problem_of(resp)
    assert field in problem.get("errors", {}) or field in problem["detail"], problem
    assert not HumanLoop.objects.filter(flow_definition=flow).exists()


def test_too_big_input_and_too_many_items_are_refused(org: Org) -> None:
    flow = flow_factory(org)
    big = {"input_content": {"blob": "x" * (3 * 1024 * 1024)}, "answer": CAT}
    resp = key_client(org).post(_url(flow.name), big, format="json")
    assert resp.status_code == 400
    assert "input_content" in json.dumps(problem_of(resp))
    many = {"items": [{"input_content": {"x": i}, "answer": CAT} for i in range(1001)]}
    resp = key_client(org).post(_url(flow.name), many, format="json")
    assert resp.status_code == 400
    problem_of(resp)
    bodies: list[Any] = [[{"input_content": {"x": 1}, "answer": CAT}], {"items": []}]
    for body in bodies:
        resp = key_client(org).post(_url(flow.name), body, format="json")
        assert resp.status_code == 400, body
        problem_of(resp)
    assert not HumanLoop.objects.filter(flow_definition=flow).exists()


def test_unknown_flow_and_another_organizations_flow_are_404(org: Org, other_org: Org) -> None:
    theirs = flow_factory(other_org)
    body = {"input_content": {"x": 1}, "answer": CAT}
    for name in ("no-such-flow", theirs.name):
        for method, path in (
            ("post", _url(name)),
            ("get", _url(name)),
            ("get", _url(name, "worker-quality")),
            ("delete", _url(name) + "/1"),
        ):
            resp = getattr(key_client(org), method)(path, body if method == "post" else None, format="json")
            assert resp.status_code == 404, (method, path, resp.content)
            problem_of(resp)
    assert not HumanLoop.objects.filter(flow_definition=theirs).exists()


@pytest.mark.parametrize(
    ("role", "gold_status", "quality_status"),
    [
        (Role.ADMIN, 201, 200),
        (Role.ENGINEER, 201, 200),
        (Role.TEAM_LEAD, 403, 200),
        (Role.WORKER, 403, 403),
    ],
)
def test_roles(org: Org, role: str, gold_status: int, quality_status: int) -> None:
    flow = flow_factory(org)
    client = session_client(member_factory(org.organization, role))
    resp = client.post(_url(flow.name), {"input_content": {"x": 1}, "answer": CAT}, format="json")
    assert resp.status_code == gold_status, resp.content
    assert client.get(_url(flow.name)).status_code == (200 if gold_status == 201 else 403)
    assert client.get(_url(flow.name, "worker-quality")).status_code == quality_status
    anonymous = APIClient().get(_url(flow.name))
    assert anonymous.status_code == 401


def test_a_flow_being_deleted_takes_no_gold_items(org: Org) -> None:
    flow = flow_factory(org)
    flow.status = "Deleting"
    flow.save(update_fields=["status"])
    resp = key_client(org).post(_url(flow.name), {"input_content": {"x": 1}, "answer": CAT}, format="json")
    assert resp.status_code == 400
    assert "Deleting" in problem_of(resp)["detail"]


# --- List and withdraw --------------------------------------------------------------------------------


def test_list_is_cursor_paged_newest_first_and_withdraw_keeps_the_answers(org: Org) -> None:
    flow = flow_factory(org)
    ids = _gold(org, flow, n=3, replicas=2)
    client = key_client(org)
    first = client.get(_url(flow.name), {"page_size": 2}).json()
    assert [i["id"] for i in first["results"]] == [ids[2], ids[1]]
    second = client.get(first["next"]).json()
    assert [i["id"] for i in second["results"]] == [ids[0]]
    assert second["next"] is None
    # a worker answers the oldest item, another holds a task of it
    worker, holder = worker_factory(org), worker_factory(org)
    task = task_claim(worker=worker, flow_definition=flow)
    assert task is not None
    assert task.loop_id == ids[0]
    task_submit(worker=worker, task_id=task.pk, answer_content=CAT)
    held = task_claim(worker=holder, flow_definition=flow)
    assert held is not None
    assert held.loop_id == ids[0]
    # withdrawing it closes nothing held, nothing answered; the open tasks of no other item
    assert client.delete(f"{_url(flow.name)}/{ids[0]}").status_code == 204
    loop = HumanLoop.objects.get(pk=ids[0])
    assert loop.deleted_at is not None
    assert loop.status == HumanLoopStatus.STOPPING
    assert Answer.objects.filter(loop=loop).count() == 1
    # the holder may still submit; the loop then stops, with no event or output
    task_submit(worker=holder, task_id=held.pk, answer_content=DOG)
    loop.refresh_from_db()
    assert loop.status == HumanLoopStatus.STOPPED
    assert not loop.output_uri
    assert [i["id"] for i in client.get(_url(flow.name)).json()["results"]] == [ids[2], ids[1]]
    listed = client.get(_url(flow.name), {"include_withdrawn": "true"}).json()["results"]
    withdrawn = next(i for i in listed if i["id"] == ids[0])
    assert (withdrawn["state"], withdrawn["answers"], withdrawn["correct"], withdrawn["accuracy"]) == (
        "withdrawn",
        2,
        1,
        0.5,
    )
    # withdrawing twice, or an unknown id, is a 404
    for bad in (ids[0], 999999999, "abc"):
        resp = client.delete(f"{_url(flow.name)}/{bad}")
        assert resp.status_code == 404
        problem_of(resp)
    # the scores still count the withdrawn item's answers
    flow_quality_compute(flow_id=flow.pk)
    scores = {q.worker_id: q for q in WorkerQuality.objects.filter(flow_definition=flow)}
    assert (scores[worker.pk].gold_answers, scores[worker.pk].gold_correct) == (1, 1)
    assert (scores[holder.pk].gold_answers, scores[holder.pk].gold_correct) == (1, 0)


def test_withdrawing_an_untouched_item_stops_it_and_closes_its_tasks(org: Org) -> None:
    flow = flow_factory(org)
    (pk,) = _gold(org, flow, replicas=3)
    assert key_client(org).delete(f"{_url(flow.name)}/{pk}").status_code == 204
    loop = HumanLoop.objects.get(pk=pk)
    assert loop.status == HumanLoopStatus.STOPPED
    assert set(Task.objects.filter(loop=loop).values_list("status", flat=True)) == {TaskStatus.CLOSED}
    assert task_claim(worker=worker_factory(org), flow_definition=flow) is None


# --- Workers meet gold items like any task --------------------------------------------------------------


def test_workers_answer_through_the_worker_api_and_accuracy_and_agreement_come_out_right(org: Org) -> None:
    flow = flow_factory(org, task_count=3)
    flow.consolidation = {"method": "majority_vote"}
    flow.save(update_fields=["consolidation"])
    good, sloppy, bad = worker_factory(org), worker_factory(org), worker_factory(org)
    # two gold items (cat, dog), each met by all three workers, and two customer loops
    (gold_cat,) = _gold(org, flow, replicas=3, answer=CAT)
    (gold_dog,) = _gold(org, flow, replicas=3, answer=DOG)
    customer = [loop_factory(org, flow, img=f"s3://b/{i}.png") for i in range(2)]
    truth = {gold_cat: CAT, gold_dog: DOG, customer[0].pk: CAT, customer[1].pk: DOG}
    aliases = dict(HumanLoop.objects.filter(is_gold=True, flow_definition=flow).values_list("pk", "gold_alias"))
    for worker in (good, sloppy, bad):
        client = _token_client(worker)
        seen = []
        while True:
            claimed = client.post("/api/v1/worker/tasks/claim", {"flow_definition_name": flow.name}, format="json")
            if claimed.status_code == 204:
                break
            assert claimed.status_code == 200, claimed.content
            body = claimed.json()
            task = Task.objects.get(pk=body["task_id"])
            seen.append(task.loop_id)
            # the body of a gold task looks like any other: the alias as its name, its input
            assert set(body) == {
                "task_id",
                "human_loop_name",
                "flow_definition_arn",
                "input_content",
                "lease_expires_at",
            }
            assert not body["human_loop_name"].startswith(GOLD_NAME_PREFIX)
            if task.loop_id in aliases:
                assert body["human_loop_name"] == aliases[task.loop_id]
            right = truth[task.loop_id]
            wrong = DOG if right == CAT else CAT
            if worker is good:
                answer = right
            elif worker is bad:
                answer = wrong
            else:  # sloppy: right on the cat items only
                answer = right if right == CAT else wrong
            submitted = client.post(f"/api/v1/worker/tasks/{task.pk}/submit", {"answerContent": answer}, format="json")
            assert submitted.status_code == 200, submitted.content
            assert not submitted.json()["human_loop_name"].startswith(GOLD_NAME_PREFIX)
        # oldest first: the gold items (added first) and the customer loops, each once
        assert seen == [gold_cat, gold_dog, customer[0].pk, customer[1].pk]
    # gold loops complete without output; customer loops complete with theirs
    for pk in (gold_cat, gold_dog):
        loop = HumanLoop.objects.get(pk=pk)
        assert loop.status == HumanLoopStatus.COMPLETED
        assert (loop.output_uri, loop.output_written, loop.consolidated_answer) == ("", False, None)
    for loop in customer:
        loop.refresh_from_db()
        assert loop.status == HumanLoopStatus.COMPLETED
        assert loop.output_uri.startswith("s3://bucket/out/")
        assert loop_consolidate(loop=loop) is not None  # what the output task stores first
    # when the scores are computed
    assert flow_quality_compute(flow_id=flow.pk) == 3
    resp = key_client(org).get(_url(flow.name, "worker-quality"))
    assert resp.status_code == 200
    rows = {r["worker_id"]: r for r in resp.json()["results"]}
    assert (rows[good.worker_id]["gold_answers"], rows[good.worker_id]["gold_correct"]) == (2, 2)
    assert rows[good.worker_id]["accuracy"] == 1.0
    assert rows[sloppy.worker_id]["accuracy"] == 0.5
    assert rows[bad.worker_id]["accuracy"] == 0.0
    # agreement with the consolidated (majority) answer: good and sloppy agree on loop 0 (cat);
    # on loop 1 good says dog, sloppy and bad say cat: the majority is cat
    assert (rows[good.worker_id]["compared"], rows[good.worker_id]["agreed"]) == (2, 1)
    assert (rows[sloppy.worker_id]["agreed"], rows[sloppy.worker_id]["agreement"]) == (2, 1.0)
    assert (rows[bad.worker_id]["agreed"], rows[bad.worker_id]["agreement"]) == (1, 0.5)
    # and the list shows each item's score so far
    items = {i["id"]: i for i in key_client(org).get(_url(flow.name)).json()["results"]}
    assert (items[gold_cat]["answers"], items[gold_cat]["correct"]) == (3, 2)
    assert (items[gold_dog]["answers"], items[gold_dog]["correct"]) == (3, 1)
    assert items[gold_cat]["state"] == "completed"


def test_a_gold_answer_schedules_the_scores_in_the_background(
    org: Org, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.LOUPE_QUALITY_INTERVAL_SECONDS = 0
    cache.clear()
    flow = flow_factory(org)
    _gold(org, flow, replicas=2)
    worker = worker_factory(org)
    task = task_claim(worker=worker, flow_definition=flow)
    assert task is not None
    assert not WorkerQuality.objects.filter(flow_definition=flow).exists()
    with django_capture_on_commit_callbacks(execute=True):
        task_submit(worker=worker, task_id=task.pk, answer_content=CAT)
    assert len(queued("compute_flow_quality")) == 1
    assert run_ready_tasks("compute_flow_quality") == [1]
    row = WorkerQuality.objects.get(flow_definition=flow, worker=worker)
    assert (row.gold_answers, row.gold_correct, row.accuracy) == (1, 1, 1.0)


def test_scheduling_waits_for_the_interval(org: Org, settings: Any) -> None:
    settings.LOUPE_QUALITY_INTERVAL_SECONDS = 60
    cache.clear()
    flow = flow_factory(org)
    from flows.services.gold import quality_maybe_schedule

    assert quality_maybe_schedule(flow=flow)
    assert not quality_maybe_schedule(flow=flow)  # one run per interval
    assert len(queued("compute_flow_quality")) == 1
    assert run_ready_tasks("compute_flow_quality") == []  # due at the end of the interval


# --- Kept out of the customer's loops ---------------------------------------------------------------------


def test_gold_loops_are_not_the_customers_loops(org: Org) -> None:
    flow = flow_factory(org)
    (pk,) = _gold(org, flow, replicas=1)
    customer = loop_factory(org, flow)
    gold = HumanLoop.objects.get(pk=pk)
    worker = worker_factory(org)
    for _ in range(2):
        task = task_claim(worker=worker, flow_definition=flow)
        assert task is not None
        task_submit(worker=worker, task_id=task.pk, answer_content=CAT)
    client = key_client(org)
    listed = [i["name"] for i in client.get("/api/v1/human-loops").json()["results"]]
    assert listed == [customer.name]
    assert client.get(f"/api/v1/human-loops/{gold.name}").status_code == 404
    exported = client.get(f"/api/v1/flow-definitions/{flow.name}/export", {"format": "jsonl"})
    lines = b"".join(exported.streaming_content).decode().splitlines()  # type: ignore[attr-defined]
    assert [json.loads(line)["humanLoopName"] for line in lines] == [customer.name]
    assert exported["Loupe-Export-Total"] == "1"
    (month,) = usage_by_month(org.organization)
    assert (month.objects_reviewed, month.answers) == (1, 2)


def test_a_customer_loop_may_use_any_name_a_gold_item_shows(org: Org) -> None:
    flow = flow_factory(org)
    resp = key_client(org).post(
        _url(flow.name), {"input_content": {"x": 1}, "answer": CAT, "alias": "img-7"}, format="json"
    )
    assert resp.status_code == 201
    loop = loop_factory(org, flow, name="img-7")
    assert loop.name == "img-7"
    assert not loop.is_gold


def test_deleting_the_flow_withdraws_started_gold_items(org: Org) -> None:
    from flows.services.flow_definitions import flow_definition_delete

    flow = flow_factory(org)
    (pk,) = _gold(org, flow, replicas=3)
    worker = worker_factory(org)
    task = task_claim(worker=worker, flow_definition=flow)
    assert task is not None
    task_submit(worker=worker, task_id=task.pk, answer_content=CAT)
    deleted = flow_definition_delete(organization=org.organization, name=flow.name)
    assert deleted.deleted_at is not None
    assert HumanLoop.objects.get(pk=pk).status == HumanLoopStatus.STOPPED


def test_the_schema_lists_the_operations(org: Org) -> None:
    schema = APIClient().get("/api/schema/", {"format": "json"})
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert set(paths["/api/v1/flow-definitions/{name}/gold-items"]) >= {"get", "post"}
    assert "delete" in paths["/api/v1/flow-definitions/{name}/gold-items/{item_id}"]
    assert "get" in paths["/api/v1/flow-definitions/{name}/worker-quality"]


def test_other_org_cannot_see_scores(org: Org) -> None:
    other = make_org()
    flow = flow_factory(org)
    _gold(org, flow)
    resp = key_client(other).get(_url(flow.name))
    assert resp.status_code == 404
