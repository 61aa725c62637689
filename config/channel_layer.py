"""The embedded mode's channel layer: channels' in-memory layer, safe to send to from another
thread's event loop.

Loupe sends channel messages from one publisher loop of its own (``flows.events``), while the
WebSocket consumers wait on the server's loop. channels' in-memory layer keeps an asyncio queue
per channel, and asyncio queues are not thread-safe: a put from another thread completes the
waiting consumer's future without waking its loop, so the message sat there until that loop woke
for something else (up to Daphne's one-second timer, or a test's whole timeout). Here a message
for a channel whose receiver is waiting on another loop is put from that loop
(``run_coroutine_threadsafe``), which wakes it at once.
"""

from __future__ import annotations

import asyncio
from typing import Any

from channels.layers import InMemoryChannelLayer as _InMemoryChannelLayer


class InMemoryChannelLayer(_InMemoryChannelLayer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._waiting: dict[str, asyncio.AbstractEventLoop] = {}

    async def receive(self, channel: str) -> Any:
        self._waiting[channel] = asyncio.get_running_loop()
        try:
            return await super().receive(channel)
        finally:
            self._waiting.pop(channel, None)

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        loop = self._waiting.get(channel)
        if loop is None or loop is asyncio.get_running_loop() or loop.is_closed() or not loop.is_running():
            await super().send(channel, message)
            return
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(super().send(channel, message), loop))
