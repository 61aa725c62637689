"""WebSocket consumers: the worker's working session and the organization dashboards.

ORM work happens only in ``database_sync_to_async`` methods that call services and selectors.
Events arrive on the groups of ``flows.events`` in the one shape ``{"type": "loupe.event",
"event", "data"}``.

``WorkConsumer`` (``/ws/work/``) speaks this protocol (JSON both ways):

client -> server
    {"action": "start", "flow_definition_id": <int|null>}  start working (claim the next task,
        or resume the one already held); the session then stays "working".
    {"action": "submit", "task_id": <int>, "answer_content": {...}}  submit, and get the next task.
    {"action": "release", "task_id": <int>}  give the task back and stop working.
    {"action": "stop"}  stop working (a held task stays held until submitted, released or expired).
    {"action": "counts"}  ask for the counts again.

server -> client
    {"type": "counts", "flows": [{"id", "name", "title", "available", "price"}]}  on connect and
        whenever a team's work changes.
    {"type": "task", "task": {"task_id", "flow_definition_id", "flow_title", "flow_description",
        "loop", "frame_url", "lease_expires_at", "time_limit_seconds"}}
    {"type": "waiting"}  no work left: the next task is pushed as soon as one frees up.
    {"type": "submitted", "task_id", "loop_completed"} / {"type": "released", "task_id"}
    {"type": "withdrawn", "task_id", "reason"}  the held task ended elsewhere (lease expired,
        loop ended); while working, the next task follows.
    {"type": "error", "message"}  a refused action (nothing was written).

A consumer handles one message at a time, so one session never claims twice at once.
"""

from __future__ import annotations

import asyncio
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from flows import events
from flows.errors import LoupeError
from flows.models import Task
from flows.selectors.work import flows_for_worker, tasks_held_by, work_counts_for
from flows.services.work import task_claim, task_release, task_submit
from reviews.taskframe import frame_url_for_task
from workforce.mfa import mfa_setup_required
from workforce.models import Crowd, TeamMembership, User, Workteam
from workforce.permissions import DASHBOARD_ROLES, has_role
from workforce.services_portal import earnings_record, format_usd, price_mills

#: Team events within this pause share one counts refresh.
COUNTS_PAUSE_SECONDS = 0.25
_WORK_EVENTS = frozenset({"work.available", "work.taken", "work.withdrawn"})


def task_payload(task: Task, worker: User) -> dict[str, Any]:
    flow = task.flow_definition
    return {
        "task_id": task.pk,
        "flow_definition_id": flow.pk,
        "flow_definition": flow.name,
        "flow_title": flow.task_title,
        "flow_description": flow.task_description,
        "loop": task.loop.worker_name,
        "frame_url": frame_url_for_task(task, worker),
        "lease_expires_at": task.lease_expires_at.isoformat() if task.lease_expires_at else None,
        "time_limit_seconds": flow.task_time_limit_seconds,
    }


def counts_payload(worker: User) -> list[dict[str, Any]]:
    rows = []
    for item in work_counts_for(worker):
        flow = item.flow_definition
        mills = price_mills(flow.public_price) if flow.workteam.crowd == Crowd.PUBLIC else 0
        rows.append(
            {
                "id": flow.pk,
                "name": flow.name,
                "title": flow.task_title,
                "organization": flow.organization.name,
                "available": item.available,
                "price": format_usd(mills) if mills else None,
            }
        )
    return rows


def worker_team_ids(worker: User) -> list[int]:
    """Teams whose work events concern ``worker``: their teams, the teams of the flows they may
    work on, and the public team when they opted in."""
    ids = set(TeamMembership.objects.filter(user_id=worker.pk).values_list("workteam_id", flat=True))
    ids |= set(flows_for_worker(worker).values_list("workteam_id", flat=True))
    if worker.public_pool_opt_in:
        ids |= set(Workteam.objects.filter(crowd=Crowd.PUBLIC).values_list("pk", flat=True))
    return sorted(ids)


class WorkConsumer(AsyncJsonWebsocketConsumer):
    groups: list[str] = []

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        if await database_sync_to_async(mfa_setup_required)(user):
            # The organization requires TOTP and this account has none yet: pages send them to
            # set it up (workforce.middleware); the socket refuses them until then.
            await self.close(code=4403)
            return
        self.user: User = user
        self.working = False
        self.flow_filter: int | None = None
        self.task_id: int | None = None
        self._counts_task: asyncio.Future[None] | None = None
        self.joined: list[str] = [events.worker_group(user.pk)]
        self.joined += [events.team_group(pk) for pk in await database_sync_to_async(worker_team_ids)(user)]
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self._send_counts()

    async def disconnect(self, code: int) -> None:
        task = getattr(self, "_counts_task", None)
        if task is not None:
            task.cancel()
        for group in getattr(self, "joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    # --- client actions -----------------------------------------------------------------------

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            await self.send_json({"type": "error", "message": "Messages are JSON objects with an action."})
            return
        action = content.get("action")
        try:
            if action == "start":
                flow_id = content.get("flow_definition_id")
                self.flow_filter = int(flow_id) if flow_id not in (None, "") else None
                self.working = True
                await self._next()
            elif action == "submit":
                await self._submit(content)
            elif action == "release":
                await self._release(content)
            elif action == "stop":
                self.working = False
                await self.send_json({"type": "stopped"})
            elif action == "counts":
                await self._send_counts()
            else:
                await self.send_json({"type": "error", "message": f"Unknown action {action!r}."})
        except LoupeError as exc:
            await self.send_json({"type": "error", "message": exc.message})
        except (TypeError, ValueError):
            await self.send_json({"type": "error", "message": "The message is missing a field or has a bad value."})

    async def _next(self) -> None:
        payload = await self._claim()
        if payload is None:
            self.task_id = None
            await self.send_json({"type": "waiting"})
        else:
            self.task_id = payload["task_id"]
            await self.send_json({"type": "task", "task": payload})

    async def _submit(self, content: dict[str, Any]) -> None:
        task_id = int(content["task_id"])
        answer = content.get("answer_content")
        result = await self._submit_db(task_id, answer)
        self.task_id = None
        await self.send_json({"type": "submitted", "task_id": task_id, "loop_completed": result})
        if self.working:
            await self._next()
        await self._send_counts()

    async def _release(self, content: dict[str, Any]) -> None:
        task_id = int(content["task_id"])
        await database_sync_to_async(task_release)(worker=self.user, task_id=task_id)
        self.task_id = None
        self.working = False
        await self.send_json({"type": "released", "task_id": task_id})
        await self._send_counts()

    @database_sync_to_async
    def _claim(self) -> dict[str, Any] | None:
        held = tasks_held_by(self.user).select_related("flow_definition")
        if self.flow_filter is not None:
            held = held.filter(flow_definition_id=self.flow_filter)
        task = held.first()
        if task is None:
            flow = flows_for_worker(self.user).filter(pk=self.flow_filter).first() if self.flow_filter else None
            if self.flow_filter is not None and flow is None:
                self.working = False
                raise _NoSuchFlow()
            task = task_claim(worker=self.user, flow_definition=flow)
        return task_payload(task, self.user) if task is not None else None

    @database_sync_to_async
    def _submit_db(self, task_id: int, answer: Any) -> bool:
        result = task_submit(worker=self.user, task_id=task_id, answer_content=answer)
        earnings_record(answer=result.answer)
        if result.loop.is_gold:
            # A gold item (flows.services.gold) reports what a customer loop would.
            from flows.services.gold import worker_visible_status

            return worker_visible_status(result.loop) == "Completed"
        return result.loop_completed

    async def _send_counts(self) -> None:
        flows = await database_sync_to_async(counts_payload)(self.user)
        await self.send_json({"type": "counts", "flows": flows})

    # --- group events -------------------------------------------------------------------------

    async def loupe_event(self, message: dict[str, Any]) -> None:
        event, data = message.get("event"), message.get("data") or {}
        if event == "lease.withdrawn":
            if data.get("task_id") == self.task_id:
                self.task_id = None
                await self.send_json(
                    {"type": "withdrawn", "task_id": data.get("task_id"), "reason": data.get("reason")}
                )
                if self.working:
                    await self._next()
            return
        if event in _WORK_EVENTS:
            if event == "work.available" and self.working and self.task_id is None:
                try:
                    await self._next()
                except LoupeError as exc:
                    await self.send_json({"type": "error", "message": exc.message})
            self._counts_soon()

    def _counts_soon(self) -> None:
        """Re-send the counts after a short pause, once for a burst of team events: a busy crowd
        makes many events a second, and each would otherwise cost every open page two queries."""
        if self._counts_task is None or self._counts_task.done():
            self._counts_task = asyncio.ensure_future(self._counts_after_pause())

    async def _counts_after_pause(self) -> None:
        await asyncio.sleep(COUNTS_PAUSE_SECONDS)
        await self._send_counts()


class _NoSuchFlow(LoupeError):
    def __init__(self) -> None:
        super().__init__("There is no such flow that you may work on.")


class DashboardConsumer(AsyncJsonWebsocketConsumer):
    """``/ws/org/<account_id>/``: an organization's events for its admins, engineers and team
    leads, forwarded as ``{"event", "data"}``. Anyone else is refused (close 4403)."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        account_id = self.scope["url_route"]["kwargs"]["account_id"]
        org_id = await self._org_id(user, account_id)
        if org_id is None:
            await self.close(code=4403)
            return
        self.group = events.org_group(org_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    @database_sync_to_async
    def _org_id(self, user: Any, account_id: str) -> int | None:
        from workforce.models import Organization

        if user is None or not user.is_authenticated or mfa_setup_required(user):
            return None
        org = Organization.objects.filter(account_id=account_id).only("pk").first()
        if org is None or not has_role(user, org, DASHBOARD_ROLES):
            return None
        return org.pk

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Dashboards only listen."""

    async def loupe_event(self, message: dict[str, Any]) -> None:
        await self.send_json({"event": message.get("event"), "data": message.get("data")})
