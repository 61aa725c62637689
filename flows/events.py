"""Side effects after commit: channel-layer pushes (WebSockets), and the hooks that run when a
human loop changes status (output writing, EventBridge-shaped events, webhooks).

Everything here is deferred with ``transaction.on_commit`` and binds its arguments per call, so
a rolled-back transaction sends nothing and a loop of calls sends every item.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def group_send_now(group: str, message: dict[str, Any]) -> None:
    """Send to a channel-layer group right away (use ``publish_on_commit`` inside transactions)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:
        # A push is best effort: the state it announces is committed, and pages re-read it.
        logger.exception("Could not publish to channel group %s", group)


def publish_on_commit(group: str, message: dict[str, Any]) -> None:
    """Send ``message`` to the channel-layer ``group`` once the current transaction commits."""
    transaction.on_commit(partial(group_send_now, group, dict(message)))


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
    """Call inside the transaction that moved ``loop`` to Completed, Failed or Stopped: on commit,
    the organization's dashboards hear ``loop.status``. (The results service extends this with
    output writing, EventBridge-shaped events and webhooks.)"""
    publish_on_commit(
        org_group(loop.organization_id),
        event_message(
            "loop.status",
            {
                "loop": loop.name,
                "loop_id": loop.pk,
                "flow_definition_id": loop.flow_definition_id,
                "status": loop.status,
                "failure_code": loop.failure_code,
                "failure_reason": loop.failure_reason,
            },
        ),
    )
