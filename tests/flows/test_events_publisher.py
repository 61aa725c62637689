"""flows.events' publisher: pushes after commit go out without the request waiting, in order,
with a bounded backlog."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from flows import events


def _receive_all(channel: str, n: int) -> list[dict[str, Any]]:
    layer = get_channel_layer()

    async def run() -> list[dict[str, Any]]:
        return [await asyncio.wait_for(layer.receive(channel), 5) for _ in range(n)]

    return async_to_sync(run)()


def test_pushes_arrive_in_the_order_they_were_handed_over() -> None:
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)("publisher-order", channel)
    t0 = time.perf_counter()
    for i in range(50):
        events.group_send_many_now([("publisher-order", events.event_message("n", {"i": i}))])
    handed = time.perf_counter() - t0
    got = _receive_all(channel, 50)
    assert [m["data"]["i"] for m in got] == list(range(50))
    assert handed < 1.0  # the caller never waited on the layer


def test_past_the_backlog_cap_pushes_are_dropped_and_logged(monkeypatch: pytest.MonkeyPatch, caplog: Any) -> None:
    monkeypatch.setattr(events, "_pending", events.MAX_PENDING_SENDS)
    with caplog.at_level(logging.WARNING, logger="flows.events"):
        events.group_send_now("publisher-drop", events.event_message("n", {}))
    assert "dropped a push" in caplog.text
    assert list(events._handed) == []
