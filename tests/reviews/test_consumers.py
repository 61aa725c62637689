"""The WebSocket consumers with Channels' WebsocketCommunicator: the working session (claim,
submit, next task, waiting and push, release, withdrawal) and the organization dashboards."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from flows.models import Answer, Task, TaskStatus
from flows.services.work import leases_expire, task_claim
from reviews.routing import websocket_urlpatterns
from tests.conftest import make_org
from tests.reviews.portal_factories import click_flow, loops_factory, member_of, person_factory
from workforce.models import Role

application = URLRouter(websocket_urlpatterns)
TIMEOUT = 5


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    async_to_sync(scenario)()


async def connect(path: str, user: Any) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, path)
    communicator.scope["user"] = user
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    return communicator


async def receive(communicator: WebsocketCommunicator, wanted: str) -> dict[str, Any]:
    """The next message of type ``wanted`` (counts updates in between are skipped)."""
    for _ in range(20):
        message = await communicator.receive_json_from(timeout=TIMEOUT)
        if message.get("type") == wanted:
            return message
        if wanted != "counts":
            assert message.get("type") == "counts", message
    raise AssertionError(f"no {wanted} message")


db = database_sync_to_async


@pytest.mark.django_db(transaction=True)
def test_anonymous_sessions_are_refused() -> None:
    async def scenario() -> None:
        for path in ("/ws/work/", "/ws/org/123456789012/"):
            communicator = WebsocketCommunicator(application, path)
            communicator.scope["user"] = AnonymousUser()
            connected, code = await communicator.connect(timeout=TIMEOUT)
            assert not connected
            assert code in (4401, 4403)

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_claim_submit_next_then_wait_and_receive_new_work_pushed() -> None:
    # given a worker in a team whose flow has two loops waiting
    org = make_org()
    worker = member_of(org.workteam, person_factory())
    flow = click_flow(org)
    loops = loops_factory(org, flow, 2)

    async def scenario() -> None:
        ws = await connect("/ws/work/", worker)
        counts = await receive(ws, "counts")
        assert [(f["id"], f["available"]) for f in counts["flows"]] == [(flow.pk, 2)]
        # when they start working, the oldest task arrives, leased, with its frame
        await ws.send_json_to({"action": "start", "flow_definition_id": flow.pk})
        first = (await receive(ws, "task"))["task"]
        assert first["loop"] == loops[0].name
        assert first["frame_url"].startswith("/task-frame/")
        assert first["lease_expires_at"]
        assert first["time_limit_seconds"] == 3600
        # when they submit, the next task arrives at once
        await ws.send_json_to({"action": "submit", "task_id": first["task_id"], "answer_content": {"label": "cat"}})
        submitted = await receive(ws, "submitted")
        assert submitted["loop_completed"] is True
        second = (await receive(ws, "task"))["task"]
        assert second["loop"] == loops[1].name
        await ws.send_json_to({"action": "submit", "task_id": second["task_id"], "answer_content": {"label": "no"}})
        await receive(ws, "submitted")
        # then with no work left the session waits
        await receive(ws, "waiting")
        # and a loop started elsewhere is pushed to it the moment it exists
        (new_loop,) = await db(loops_factory)(org, flow, 1)
        pushed = (await receive(ws, "task"))["task"]
        assert pushed["loop"] == new_loop.name
        await ws.disconnect()

    run(scenario)
    assert Answer.objects.filter(worker=worker).count() == 2
    held = Task.objects.get(worker=worker, status=TaskStatus.LEASED)
    assert held.loop.created_at > loops[1].created_at


@pytest.mark.django_db(transaction=True)
def test_refused_submit_is_an_error_message_and_changes_nothing() -> None:
    org = make_org()
    worker = member_of(org.workteam, person_factory())
    flow = click_flow(org)
    loops_factory(org, flow, 1)

    async def scenario() -> None:
        ws = await connect("/ws/work/", worker)
        await ws.send_json_to({"action": "start"})
        task = (await receive(ws, "task"))["task"]
        await ws.send_json_to({"action": "submit", "task_id": task["task_id"], "answer_content": ["not", "an object"]})
        error = await receive(ws, "error")
        assert "answerContent" in error["message"]
        await ws.send_json_to({"action": "submit", "task_id": 10**9, "answer_content": {}})
        assert "no task" in (await receive(ws, "error"))["message"].lower()
        await ws.send_json_to({"action": "dance"})
        assert "Unknown action" in (await receive(ws, "error"))["message"]
        await ws.disconnect()

    run(scenario)
    assert Answer.objects.count() == 0
    assert Task.objects.get().status == TaskStatus.LEASED


@pytest.mark.django_db(transaction=True)
def test_release_returns_the_task_and_stops_working() -> None:
    org = make_org()
    worker = member_of(org.workteam, person_factory())
    flow = click_flow(org)
    loops_factory(org, flow, 1)

    async def scenario() -> None:
        ws = await connect("/ws/work/", worker)
        await ws.send_json_to({"action": "start"})
        task = (await receive(ws, "task"))["task"]
        await ws.send_json_to({"action": "release", "task_id": task["task_id"]})
        released = await receive(ws, "released")
        assert released["task_id"] == task["task_id"]
        await ws.disconnect()

    run(scenario)
    task = Task.objects.get()
    assert task.status == TaskStatus.OPEN
    assert task.worker is None


@pytest.mark.django_db(transaction=True)
def test_an_expired_lease_is_withdrawn_from_the_page_at_once() -> None:
    # given a worker holding a task, and another loop waiting
    org = make_org()
    worker = member_of(org.workteam, person_factory())
    flow = click_flow(org, time_limit=30)
    loops_factory(org, flow, 2)

    async def scenario() -> None:
        ws = await connect("/ws/work/", worker)
        await ws.send_json_to({"action": "start"})
        held = (await receive(ws, "task"))["task"]
        # when the lease runs out (housekeeping, as the server runs it)
        await db(leases_expire)(now=timezone.now() + timedelta(seconds=31))
        # then the page is told, and (still working) gets the other loop's task
        withdrawn = await receive(ws, "withdrawn")
        assert withdrawn == {"type": "withdrawn", "task_id": held["task_id"], "reason": "lease_expired"}
        nxt = (await receive(ws, "task"))["task"]
        assert nxt["task_id"] != held["task_id"]
        await ws.disconnect()

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_counts_update_live_when_someone_else_claims() -> None:
    org = make_org()
    watcher = member_of(org.workteam, person_factory())
    other = member_of(org.workteam, person_factory())
    flow = click_flow(org)
    loops_factory(org, flow, 2)

    async def scenario() -> None:
        ws = await connect("/ws/work/", watcher)
        assert (await receive(ws, "counts"))["flows"][0]["available"] == 2
        await db(task_claim)(worker=other)
        assert (await receive(ws, "counts"))["flows"][0]["available"] == 1
        await ws.disconnect()

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_dashboard_hears_the_organizations_events_and_refuses_others() -> None:
    org, other = make_org(), make_org()
    lead = person_factory(org, role=Role.TEAM_LEAD)
    worker_of_org = person_factory(org, role=Role.WORKER)
    worker = member_of(org.workteam, person_factory())
    flow = click_flow(org)
    loops_factory(org, flow, 1)

    async def scenario() -> None:
        for outsider in (other.admin, worker_of_org):
            communicator = WebsocketCommunicator(application, f"/ws/org/{org.account_id}/")
            communicator.scope["user"] = outsider
            connected, code = await communicator.connect(timeout=TIMEOUT)
            assert not connected
            assert code == 4403
        ws = await connect(f"/ws/org/{org.account_id}/", lead)
        other_ws = await connect(f"/ws/org/{other.account_id}/", other.admin)
        await db(task_claim)(worker=worker)
        message = await ws.receive_json_from(timeout=TIMEOUT)
        assert message["event"] == "task.status"
        assert message["data"]["status"] == "leased"
        assert message["data"]["worker_id"] == worker.worker_id
        assert await other_ws.receive_nothing(timeout=0.3)
        await ws.disconnect()
        await other_ws.disconnect()

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_sockets_refuse_members_who_must_set_up_mfa_first() -> None:
    org = make_org()
    worker = member_of(org.workteam, person_factory())
    lead = person_factory(org, role=Role.TEAM_LEAD)
    org.organization.mfa_required = True
    org.organization.save(update_fields=["mfa_required"])

    async def scenario() -> None:
        for path, user in (("/ws/work/", worker), (f"/ws/org/{org.account_id}/", lead)):
            communicator = WebsocketCommunicator(application, path)
            communicator.scope["user"] = user
            connected, code = await communicator.connect(timeout=TIMEOUT)
            assert not connected
            assert code == 4403

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_a_worker_cannot_start_on_another_organizations_flow() -> None:
    org, other = make_org(), make_org()
    worker = member_of(org.workteam, person_factory())
    foreign = click_flow(other)
    loops_factory(other, foreign, 1)

    async def scenario() -> None:
        ws = await connect("/ws/work/", worker)
        assert (await receive(ws, "counts"))["flows"] == []
        await ws.send_json_to({"action": "start", "flow_definition_id": foreign.pk})
        error = await receive(ws, "error")
        assert "no such flow" in error["message"].lower()
        await ws.send_json_to({"action": "start"})
        await receive(ws, "waiting")
        await ws.disconnect()

    run(scenario)
    assert not Task.objects.filter(worker=worker).exists()
