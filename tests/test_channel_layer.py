"""config/channel_layer.py: a send from another thread's event loop wakes a receiver waiting on
its own loop at once (asyncio queues are not thread-safe)."""

from __future__ import annotations

import asyncio
import threading
import time

from config.channel_layer import InMemoryChannelLayer


def test_a_send_from_another_loop_wakes_the_waiting_receiver_at_once() -> None:
    layer = InMemoryChannelLayer()
    other = asyncio.new_event_loop()
    thread = threading.Thread(target=other.run_forever, daemon=True)
    thread.start()

    async def scenario() -> tuple[dict, float]:
        channel = await layer.new_channel()
        await layer.group_add("g", channel)
        waiting = asyncio.ensure_future(layer.receive(channel))
        await asyncio.sleep(0.05)  # the receiver now waits on this loop
        sent_at = time.monotonic()
        asyncio.run_coroutine_threadsafe(layer.group_send("g", {"type": "x.y", "n": 1}), other)
        # nothing else happens on this loop: only the send can wake it
        message = await asyncio.wait_for(waiting, 3)
        return message, time.monotonic() - sent_at

    try:
        message, waited = asyncio.run(scenario())
    finally:
        other.call_soon_threadsafe(other.stop)
        thread.join(5)
    assert message == {"type": "x.y", "n": 1}
    assert waited < 0.5


def test_a_send_on_the_receivers_own_loop_and_with_nobody_waiting_still_arrives() -> None:
    layer = InMemoryChannelLayer()

    async def scenario() -> list[dict]:
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "a"})  # nobody waiting yet
        first = await layer.receive(channel)
        waiting = asyncio.ensure_future(layer.receive(channel))
        await asyncio.sleep(0)
        await layer.send(channel, {"type": "b"})  # same loop as the receiver
        return [first, await asyncio.wait_for(waiting, 3)]

    assert asyncio.run(scenario()) == [{"type": "a"}, {"type": "b"}]
