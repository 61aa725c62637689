"""The hot paths' hand-written SQL (flows.rawsql) against the ORM's own definitions: who may claim
from which flow, which task a claim takes, what the loaded instances hold."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token

from flows import locks
from flows.models import Answer, HumanLoop, Task
from flows.selectors.work import claim_candidates, flows_for_worker
from flows.services.work import task_claim, task_submit
from tests.flows.work.factories import (
    flow_factory,
    loop_factory,
    org_factory,
    public_team,
    team_factory,
    vendor_team_factory,
    worker_factory,
)
from workforce.authentication import WorkerTokenAuthentication

pytestmark = pytest.mark.django_db


def _orm(worker: object) -> set[tuple[int, int | None]]:
    return set(flows_for_worker(worker).values_list("pk", "max_concurrent_task_count"))  # type: ignore[arg-type]


def test_claim_candidates_match_flows_for_worker_for_every_kind_of_team() -> None:
    # given a customer with a private flow, a flow on a second private team, a vendor flow it
    # subscribes to, a vendor flow it does not, and a public flow; and workers of each kind
    customer, other, vendor = org_factory(), org_factory(), org_factory()
    private = flow_factory(customer)
    second_team = team_factory(customer.organization)
    flow_factory(customer, team=second_team)
    subscribed_team = vendor_team_factory(vendor, subscribers=[customer])
    flow_factory(customer, team=subscribed_team)
    unsubscribed_team = vendor_team_factory(vendor)
    flow_factory(other, team=unsubscribed_team)
    flow_factory(customer, team=public_team())
    limited = flow_factory(customer)
    limited.max_concurrent_task_count = 4
    limited.save(update_fields=["max_concurrent_task_count"])
    workers = [
        worker_factory(customer),
        worker_factory(customer, team=second_team),
        worker_factory(vendor, team=subscribed_team),
        worker_factory(vendor, team=unsubscribed_team),
        worker_factory(other, public=True),
        worker_factory(other),
    ]
    inactive = worker_factory(customer)
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])
    # then the hand-written query agrees with the ORM's, worker by worker
    for worker in [*workers, inactive]:
        assert set(claim_candidates(worker)) == _orm(worker), worker.email
    assert claim_candidates(inactive) == []
    assert (limited.pk, 4) in claim_candidates(workers[0])
    # and narrowing by pk or by name agrees too
    assert claim_candidates(workers[0], flow_id=private.pk) == [(private.pk, None)]
    assert claim_candidates(workers[0], flow_name=private.name) == [(private.pk, None)]
    assert claim_candidates(workers[2], flow_name=private.name) == []
    private.deleted_at = timezone.now()
    private.save(update_fields=["deleted_at"])
    assert claim_candidates(workers[0], flow_name=private.name) == []


def test_next_open_task_matches_the_orm_query_and_loads_its_loop_flow_and_organization() -> None:
    # given loops of which one expired and one the worker already touched
    org = org_factory()
    flow = flow_factory(org, task_count=2, lifetime=60)
    touched = loop_factory(org, flow, text="touched")
    worker = worker_factory(org)
    assert task_claim(worker=worker) is not None  # the worker now has a task of `touched`
    expired = loop_factory(org, flow, text="expired")
    HumanLoop.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    fresh = loop_factory(org, flow, text="fresh")
    now = timezone.now()
    # when
    expected = locks.open_task_queryset(worker=worker, flow_ids=[flow.pk], now=now).first()
    task = locks.lock_next_open_task(worker=worker, flow_ids=[flow.pk], now=now)
    # then
    assert task is not None
    assert expected is not None
    assert task.pk == expected.pk
    assert task.loop_id == fresh.pk != touched.pk
    orm_task = Task.objects.select_related("loop", "flow_definition__organization").get(pk=task.pk)
    for field in Task._meta.concrete_fields:
        assert getattr(task, field.attname) == getattr(orm_task, field.attname), field.name
    for field in HumanLoop._meta.concrete_fields:
        assert getattr(task.loop, field.attname) == getattr(orm_task.loop, field.attname), field.name
    assert task.flow_definition.arn == flow.arn
    assert task.flow_definition.consolidation == orm_task.flow_definition.consolidation
    assert task.loop.organization.account_id == org.organization.account_id
    assert locks.lock_next_open_task(worker=worker, flow_ids=[], now=now) is None


def test_claim_and_submit_run_few_statements_and_store_what_the_orm_reads_back() -> None:
    org = org_factory()
    flow = flow_factory(org)
    loop = loop_factory(org, flow)
    worker = worker_factory(org)
    with CaptureQueriesContext(connection) as claim_queries:
        task = task_claim(worker=worker)
    assert task is not None
    # candidates, the locked pick, the lease, the assignment (plus BEGIN/COMMIT on SQLite)
    assert (
        len(
            [
                q
                for q in claim_queries.captured_queries
                if not q["sql"].startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT"))
            ]
        )
        == 4
    )
    answer_content = {"label": "ünïcode", "nested": {"n": [1, 2.5, None, True]}}
    result = task_submit(worker=worker, task_id=task.pk, answer_content=answer_content)
    stored = Answer.objects.get(pk=result.answer.pk)
    assert stored.answer_content == answer_content
    assert stored.acceptance_time == task.leased_at
    assert stored.submission_time == result.answer.submission_time
    loop.refresh_from_db()
    assert loop.status == "Completed"
    assert Task.objects.get(pk=task.pk).status == "submitted"


def test_worker_token_lookup_returns_the_user_and_refuses_unknown_or_inactive() -> None:
    from rest_framework.exceptions import AuthenticationFailed

    org = org_factory()
    worker = worker_factory(org)
    token = Token.objects.create(user=worker)
    user, found = WorkerTokenAuthentication().authenticate_credentials(token.key)
    assert (user.pk, user.email, user.worker_id) == (worker.pk, worker.email, worker.worker_id)
    assert found.key == token.key
    with pytest.raises(AuthenticationFailed):
        WorkerTokenAuthentication().authenticate_credentials("0" * 40)
    worker.is_active = False
    worker.save(update_fields=["is_active"])
    with pytest.raises(AuthenticationFailed):
        WorkerTokenAuthentication().authenticate_credentials(token.key)


def test_insert_stores_what_the_orm_reads_back_and_refuses_a_duplicate_name() -> None:
    from django.db import IntegrityError, transaction

    from flows import rawsql

    org = org_factory()
    flow = flow_factory(org, task_count=3, lifetime=600)
    expires = timezone.now() + timedelta(seconds=600)
    loop = HumanLoop(
        organization=org.organization,
        flow_definition=flow,
        name="raw-insert",
        input_content='{"a": "é"}',
        input_sha256="0" * 64,
        content_classifiers=["FreeOfPersonallyIdentifiableInformation"],
        task_count=3,
        expires_at=expires,
        activation_results={"nested": [1, None, "x"]},
    )
    rawsql.insert([loop])
    assert loop.pk is not None
    tasks = [Task(loop_id=loop.pk, flow_definition=flow, index=i) for i in range(3)]
    rawsql.insert(tasks, returning=False)
    stored = HumanLoop.objects.get(pk=loop.pk)
    assert stored.created_at is not None
    assert stored.created_at == loop.created_at
    assert (stored.name, stored.input_content, stored.status) == ("raw-insert", '{"a": "é"}', "InProgress")
    assert stored.content_classifiers == ["FreeOfPersonallyIdentifiableInformation"]
    assert stored.activation_results == {"nested": [1, None, "x"]}
    assert stored.expires_at == expires
    assert sorted(Task.objects.filter(loop=stored).values_list("index", "status")) == [
        (0, "open"),
        (1, "open"),
        (2, "open"),
    ]
    twin = HumanLoop(
        organization=org.organization,
        flow_definition=flow,
        name="raw-insert",
        input_content="{}",
        input_sha256="1" * 64,
        task_count=3,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        rawsql.insert([twin])
    assert HumanLoop.objects.filter(name="raw-insert").count() == 1
