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
