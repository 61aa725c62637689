"""Side effects after commit: channel-layer pushes (WebSockets), and the hooks that run when a
human loop changes status (output writing, EventBridge-shaped events, webhooks).

Everything here is deferred with ``transaction.on_commit`` and binds its arguments per call, so
a rolled-back transaction sends nothing and a loop of calls sends every item.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections import deque
from datetime import UTC, datetime
from functools import partial
from typing import Any

from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()


def _publisher_loop() -> asyncio.AbstractEventLoop:
    """One event loop per process, on its own thread, for sends from sync code.

    ``async_to_sync`` would build a fresh event loop and executor thread on every call (about
    2 ms each on this machine), which is most of the cost of a StartHumanLoop; handing the send
    to a long-lived loop costs a thread hop.
    """
    global _loop
    if _loop is None:
        with _loop_lock:
            if _loop is None:
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="loupe-publisher", daemon=True).start()
                _loop = loop
    return _loop


def group_send_now(group: str, message: dict[str, Any]) -> None:
    """Send to a channel-layer group right away (use ``publish_on_commit`` inside transactions),
    without waiting for the layer (``_hand_off``)."""
    layer = get_channel_layer()
    if layer is None:
        return
    _hand_off(layer.group_send(group, message), [group])


def publish_on_commit(group: str, message: dict[str, Any]) -> None:
    """Send ``message`` to the channel-layer ``group`` once the current transaction commits."""
    transaction.on_commit(partial(group_send_now, group, dict(message)))


def group_send_many_now(messages: list[tuple[str, dict[str, Any]]]) -> None:
    """Send several (group, message) pairs in order, with one hand-off to the publisher loop."""
    layer = get_channel_layer()
    if layer is None or not messages:
        return

    async def send_all() -> None:
        for group, message in messages:
            await layer.group_send(group, message)

    _hand_off(send_all(), sorted({g for g, _ in messages}))


#: Sends handed to the publisher loop and not finished yet; past the cap, new ones are dropped
#: (a channel layer that stopped answering must not grow the process without bound).
MAX_PENDING_SENDS = 10_000
#: A send the layer has not taken by then is given up (logged): the next ones are not held back.
SEND_TIMEOUT_SECONDS = 5.0
_pending = 0
_pending_lock = threading.Lock()
_handed: deque[tuple[Any, list[str]]] = deque()
_drain_scheduled = False


def _hand_off(coro: Any, groups: list[str]) -> None:
    """Run ``coro`` (channel-layer sends) on the publisher loop without waiting for it: the
    request that committed does not wait on the layer (or on Redis being down). Sends run one
    after the other in the order they were handed over (a dashboard must not see a task
    ``submitted`` before ``leased``); failures are logged. A push is best effort: the state it
    announces is committed, and pages re-read it when they reconnect. Under load, one wake-up of
    the loop serves every send handed over since the last one."""
    global _pending, _drain_scheduled
    with _pending_lock:
        if _pending >= MAX_PENDING_SENDS:
            coro.close()
            logger.warning("Channel layer backlog of %d sends: dropped a push to %s", _pending, groups)
            return
        _pending += 1
        _handed.append((coro, groups))
        if _drain_scheduled:
            return
        _drain_scheduled = True
    _publisher_loop().call_soon_threadsafe(_start_drain)


def _start_drain() -> None:
    asyncio.get_running_loop().create_task(_drain())


async def _drain() -> None:
    """On the publisher loop, the only sender: every send handed over, in order, until none is left."""
    global _pending, _drain_scheduled
    while True:
        with _pending_lock:
            if not _handed:
                _drain_scheduled = False
                return
            coro, groups = _handed.popleft()
        try:
            await asyncio.wait_for(coro, SEND_TIMEOUT_SECONDS)
        except Exception as exc:
            logger.error("Could not publish to channel groups %s: %r", groups, exc)
        finally:
            with _pending_lock:
                _pending -= 1


def publish_many_on_commit(messages: list[tuple[str, dict[str, Any]]]) -> None:
    """``publish_on_commit`` for several messages of one transaction: one send after commit."""
    if messages:
        transaction.on_commit(partial(group_send_many_now, [(g, dict(m)) for g, m in messages]))


def loop_group(loop_id: int) -> str:
    return f"loop-{loop_id}"


def team_group(workteam_id: int) -> str:
    """Workers of a team: work became available / was withdrawn."""
    return f"team-{workteam_id}"


def worker_group(user_id: int) -> str:
    """One worker's sessions: their lease was withdrawn or expired."""
    return f"worker-{user_id}"


def org_group(organization_id: int) -> str:
    """An organization's dashboards (team leads, engineers): progress and loop changes."""
    return f"org-{organization_id}"


def event_message(event: str, data: dict[str, Any]) -> dict[str, Any]:
    """The one message shape on every group: consumers forward ``event`` and ``data`` as JSON."""
    return {"type": "loupe.event", "event": event, "data": data}


def loop_status_changed(loop: Any) -> None:
    """Call inside the transaction that moved ``loop`` to Completed, Failed or Stopped. On commit
    (bound to this loop, so a loop of calls handles every loop):

    * the organization's dashboards and the loop's pages hear ``loop.status``;
    * Completed: the background task ``flows.tasks.write_loop_output`` is enqueued: it stores the
      consolidated answer, writes output.json, and then sends the status-change event to the
      webhooks (``loop.event`` on the same groups), so a receiver can already read the output;
    * Failed / Stopped: ``flows.tasks.fan_out_loop_event`` is enqueued: the status-change event
      (``human_loop_status_event``) to the webhooks and the groups.

    Runs no query inside the transaction. An enqueue that fails after commit is logged; for
    output writes housekeeping (``flows.services.results.outputs_recover``) enqueues it again.

    A gold item's loop (``flows.services.gold``) is not the customer's: nothing is sent or written.
    """
    if getattr(loop, "is_gold", False):
        return
    data = {
        "loop": loop.name,
        "loop_id": loop.pk,
        "flow_definition_id": loop.flow_definition_id,
        "status": loop.status,
        "failure_code": loop.failure_code,
        "failure_reason": loop.failure_reason,
        "output_uri": loop.output_uri or None,
    }
    publish_on_commit(org_group(loop.organization_id), event_message("loop.status", data))
    publish_on_commit(loop_group(loop.pk), event_message("loop.status", data))
    transaction.on_commit(partial(_after_status_change, loop_id=loop.pk, status=str(loop.status)))


def _after_status_change(loop_id: int, status: str) -> None:
    from flows import tasks

    try:
        if status == "Completed":
            tasks.write_loop_output.enqueue(loop_id)
        else:
            tasks.fan_out_loop_event.enqueue(loop_id)
    except Exception:
        logger.exception("Could not enqueue the results of loop %s (%s)", loop_id, status)


EVENT_DETAIL_TYPE = "SageMaker A2I HumanLoop Status Change"
EVENT_SOURCE = "aws.sagemaker"
_EVENT_NAMESPACE = uuid.UUID("6b0d3a52-5f1e-4c7e-9d2a-6c1f0e3b7a41")


def _iso_millis(value: datetime) -> str:
    t = value.astimezone(UTC)
    return f"{t:%Y-%m-%dT%H:%M:%S}.{t.microsecond // 1000:03d}Z"


def human_loop_status_event(loop: Any) -> dict[str, Any]:
    """The EventBridge event of a loop that reached a terminal status (spec/a2i.md §21).

    Deterministic for a given loop and status: ``id`` is a UUID derived from the loop's row and
    status, and ``time`` is when the status changed, so sending it twice sends the same event
    (receivers deduplicate on ``id``, as EventBridge's at-least-once delivery asks them to).
    ``humanLoopOutput`` is present for Completed loops only. Reads ``loop.organization`` and
    ``loop.flow_definition``."""
    org = loop.organization
    flow = loop.flow_definition
    changed = loop.completed_at or loop.created_at
    detail = {
        "creationTime": _iso_millis(loop.created_at),
        "failureCode": loop.failure_code or None,
        "failureReason": loop.failure_reason or None,
        "flowDefinitionArn": flow.arn,
        "humanLoopArn": loop.arn,
        "humanLoopName": loop.name,
        "humanLoopStatus": str(loop.status),
    }
    if loop.status == "Completed" and loop.output_uri:
        detail["humanLoopOutput"] = {"outputS3Uri": loop.output_uri}
    detail = dict(sorted(detail.items()))
    return {
        "version": "0",
        "id": str(uuid.uuid5(_EVENT_NAMESPACE, f"{org.account_id}/{loop.pk}/{loop.name}/{loop.status}")),
        "detail-type": EVENT_DETAIL_TYPE,
        "source": EVENT_SOURCE,
        "account": org.account_id,
        "time": f"{changed.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}",
        "region": org.region,
        "resources": [loop.arn],
        "detail": detail,
    }
