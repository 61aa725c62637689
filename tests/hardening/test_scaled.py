"""Cross-process events: two `manage.py serve --no-worker` processes on the test database with the
Redis channel layer; a worker's WebSocket on process A learns of a loop started through process B.

Runs whenever Redis answers (REDIS_URL, else redis://127.0.0.1:6379/14), on SQLite or PostgreSQL
alike. Without Redis it is skipped — except under CI=true, where Redis exists and its absence
fails the test.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import socket
import time
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

from tests.conftest import IN_CI, make_org
from tests.live import LiveServer
from tests.reviews.portal_factories import click_flow, member_of, person_factory

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/14"


def _redis_up(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class _Socket:
    """The smallest WebSocket client this test needs: handshake, then read server text frames."""

    def __init__(self, url: str, path: str, cookie: str) -> None:
        parts = urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=15)
        key = base64.b64encode(secrets.token_bytes(16)).decode()
        host = f"{parts.hostname}:{parts.port}"
        self.sock.sendall(
            (
                f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: {url}\r\n"
                f"Cookie: {cookie}\r\n\r\n"
            ).encode()
        )
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed during the handshake")
            self.buffer += chunk
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head

    def _read(self, n: int) -> bytes:
        while len(self.buffer) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("socket closed")
            self.buffer += chunk
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def receive(self) -> dict[str, Any]:
        b0, b1 = self._read(2)
        length = b1 & 0x7F
        if length == 126:
            length = int.from_bytes(self._read(2), "big")
        elif length == 127:
            length = int.from_bytes(self._read(8), "big")
        payload = self._read(length)
        if b0 & 0x0F == 0x8:
            raise ConnectionError(f"closed by the server: {payload!r}")
        return json.loads(payload)  # type: ignore[no-any-return]

    def close(self) -> None:
        self.sock.close()


@pytest.mark.django_db(transaction=True)
def test_a_loop_started_on_one_process_reaches_a_worker_socket_on_another() -> None:
    if not _redis_up(REDIS_URL):
        if IN_CI:
            pytest.fail(f"Redis is not reachable at {REDIS_URL} under CI.")
        pytest.skip(f"Redis is not reachable at {REDIS_URL} (runs under CI, where it is).")
    # Given an organization with a flow on its team, and a worker of that team signed in
    org = make_org()
    flow = click_flow(org)
    worker = member_of(org.workteam, person_factory(org))
    client = Client()
    client.force_login(worker)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    env = {"REDIS_URL": REDIS_URL, "LOUPE_CHANNEL_PREFIX": f"loupe-test-{secrets.token_hex(4)}"}
    a = LiveServer(extra_env=env, worker=False)
    b = LiveServer(extra_env=env, worker=False)
    try:
        ws = _Socket(a.url, "/ws/work/", cookie)
        try:
            first = ws.receive()
            assert first["type"] == "counts"
            assert [f["available"] for f in first["flows"] if f["id"] == flow.pk] in ([], [0])

            # When a client starts a loop through process B
            a2i = org.boto3_client("sagemaker-a2i-runtime", b.url)
            a2i.start_human_loop(
                HumanLoopName="cross-process",
                FlowDefinitionArn=flow.arn,
                HumanLoopInput={"InputContent": json.dumps({"text": "hello"})},
            )

            # Then the worker connected to process A is told that a task is available
            deadline = time.monotonic() + 15
            seen: list[dict[str, Any]] = []
            while time.monotonic() < deadline:
                message = ws.receive()
                seen.append(message)
                if message["type"] == "counts" and any(
                    f["id"] == flow.pk and f["available"] == 1 for f in message["flows"]
                ):
                    break
            else:
                pytest.fail(f"No counts with the new task reached process A's socket: {seen}")
        finally:
            ws.close()
    finally:
        a.stop()
        b.stop()
