"""Fault injection for the fault tests: a TCP proxy (asyncio, in the test process) between a live
server and a service (PostgreSQL, Redis, S3) that can be cut (every connection closed, new ones
refused) and restored, and for HTTP upstreams can answer errors or answer slowly; and a scripted
worker that claims and submits over real HTTP and retries as a real client does."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import random
import threading
import time
from collections.abc import Callable
from typing import Any

from tests.live import free_port

_METHODS = (b"GET ", b"PUT ", b"HEAD ", b"POST ", b"DELETE ")


class TcpProxy:
    """127.0.0.1:<port> -> upstream. Modes: ``pass``; ``fail`` (HTTP upstreams: every request is
    answered with ``fail_status`` and an S3-shaped error, nothing reaches the upstream); ``slow``
    (HTTP upstreams: each request is held ``delay`` seconds before it is forwarded). ``cut()``
    closes every connection and stops listening (connects are refused) until ``restore()``."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = free_port()
        self.mode = "pass"
        self.delay = 0.0
        self.fail_status = 503
        self.requests_failed = 0
        self.requests_delayed = 0
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.AbstractServer | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fault-proxy", daemon=True)
        self._thread.start()
        self.restore()

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)

    # --- control --------------------------------------------------------------------------------

    def restore(self) -> None:
        """Listen again (and pass requests through)."""
        self.mode = "pass"
        self._call(self._listen())

    def cut(self) -> None:
        """Close every open connection (both sides) and refuse new ones."""
        self._call(self._cut())

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._call(self._cut())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, reuse_address=True)

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        await asyncio.sleep(0)

    # --- relaying -------------------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        upstream_writer: asyncio.StreamWriter | None = None
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.upstream)
            self._writers.add(upstream_writer)
            await asyncio.gather(
                self._pipe(reader, upstream_writer, client=writer), self._pipe(upstream_reader, writer, client=None)
            )
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            for w in (writer, upstream_writer):
                if w is not None:
                    self._writers.discard(w)
                    w.transport.abort()

    async def _pipe(
        self, src: asyncio.StreamReader, dst: asyncio.StreamWriter, *, client: asyncio.StreamWriter | None
    ) -> None:
        while True:
            chunk = await src.read(65536)
            if not chunk:
                dst.transport.abort()
                return
            if client is not None and chunk.startswith(_METHODS):
                # A new HTTP request from the client.
                if self.mode == "fail":
                    self.requests_failed += 1
                    code = "ServiceUnavailable" if self.fail_status == 503 else "InternalError"
                    body = (
                        f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
                        f"<Message>Injected fault</Message></Error>"
                    ).encode()
                    client.write(
                        f"HTTP/1.1 {self.fail_status} Fault\r\nContent-Type: application/xml\r\n"
                        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                        + body
                    )
                    with contextlib.suppress(OSError):
                        await client.drain()
                    client.transport.close()
                    dst.transport.abort()
                    return
                if self.mode == "slow" and self.delay:
                    self.requests_delayed += 1
                    await asyncio.sleep(self.delay)
            dst.write(chunk)
            await dst.drain()


class ScriptedWorker(threading.Thread):
    """A worker using the worker REST API like a real client: claim, think a little, submit; on a
    connection error (the server died mid-request) it reconnects and sends the same request
    again, for up to ``retry_for`` seconds. Records what the server acknowledged."""

    def __init__(
        self, url: Callable[[], str], token: str, *, stop: threading.Event, think: float = 0.03, retry_for: float = 60
    ) -> None:
        super().__init__(daemon=True)
        self.url, self.token, self.stop, self.think, self.retry_for = url, token, stop, think, retry_for
        self.acked: list[int] = []  # submits answered 200
        self.landed_before: list[int] = []  # a retried submit answered 409: the first attempt had landed
        self.lost_lease: list[int] = []  # a retried submit answered 400: the lease ended meanwhile
        self.claims = 0
        self.retries = 0
        self.errors: list[str] = []
        self._conn: http.client.HTTPConnection | None = None
        self._rng = random.Random(token)

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            host, port = self.url().removeprefix("http://").split(":")
            self._conn = http.client.HTTPConnection(host, int(port), timeout=30)
        return self._conn

    def post(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any] | None, bool]:
        """(status, JSON body, whether it took a retry)."""
        deadline = time.monotonic() + self.retry_for
        retried = False
        while True:
            try:
                conn = self._connection()
                conn.request(
                    "POST",
                    path,
                    body=json.dumps(body),
                    headers={"Authorization": f"Token {self.token}", "Content-Type": "application/json"},
                )
                resp = conn.getresponse()
                data = resp.read()
                return resp.status, (json.loads(data) if data else None), retried
            except (OSError, http.client.HTTPException) as exc:
                if self._conn is not None:
                    self._conn.close()
                self._conn = None
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{path}: no answer for {self.retry_for} s: {exc!r}") from exc
                retried = True
                self.retries += 1
                time.sleep(0.2)

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                status, task, _ = self.post("/api/v1/worker/tasks/claim", {})
                self.claims += 1
                if status == 204:
                    time.sleep(0.2)
                    continue
                if status != 200 or task is None:
                    self.errors.append(f"claim {status}: {task}")
                    time.sleep(0.2)
                    continue
                time.sleep(self.think * self._rng.uniform(0.5, 1.5))
                task_id = int(task["task_id"])
                status, body, retried = self.post(
                    f"/api/v1/worker/tasks/{task_id}/submit", {"answerContent": {"label": f"t{task_id}"}}
                )
                if status == 200:
                    self.acked.append(task_id)
                elif retried and status == 409 and body and body.get("code") == "conflict":
                    self.landed_before.append(task_id)
                elif retried and status == 400 and body and body.get("code") == "wrong_state":
                    self.lost_lease.append(task_id)
                else:
                    self.errors.append(f"submit {task_id} {status} (retried: {retried}): {body}")
        except Exception as exc:
            self.errors.append(repr(exc))
        finally:
            if self._conn is not None:
                self._conn.close()
