"""HTTP from the ASGI server (Daphne) to the Django WSGI application in a thread pool.

DESIGN.md ("Serving HTTP") measured Django's own ASGI handler at a third of a thread pool's
throughput, so HTTP goes to the WSGI app in threads. The general adapter for that (a2wsgi) hands
every piece of a request across threads and waits for the event loop each time: reading the body,
starting the response, each body chunk, the end (four or more round trips through the event loop
per request, each one waiting for a loop that is also running the HTTP server). Under load those
waits were a quarter of a worker thread's time (py-spy on ``bench/claim_submit.py``).

This bridge does an ordinary request in one hand-off: the event loop reads the request body (up
to ``BUFFERED_BODY`` bytes), the thread runs the application and renders the whole response, and
the event loop sends it. Larger request bodies (file uploads) and streaming responses (exports,
static files) fall back to handing chunks across one at a time, with the thread waiting for each
send (back-pressure), as a2wsgi does.
"""

from __future__ import annotations

import asyncio
import contextvars
import io
import itertools
import sys
from collections.abc import Callable, Coroutine, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Coroutine[Any, Any, Message]]
Send = Callable[[Message], Coroutine[Any, Any, None]]

#: Request bodies up to this size are read before the application runs; larger ones are streamed.
BUFFERED_BODY = 4 * 1024 * 1024


class _Disconnected(Exception):
    """The client went away before the request body was read."""


class _StreamedBody(io.RawIOBase):
    """``wsgi.input`` for a request body larger than ``BUFFERED_BODY``: what was read already,
    then the rest, received from the event loop chunk by chunk."""

    def __init__(self, head: bytes, loop: asyncio.AbstractEventLoop, receive: Receive) -> None:
        self._buffer = bytearray(head)
        self._loop = loop
        self._receive = receive
        self._more = True

    def readable(self) -> bool:
        return True

    def _fill(self) -> None:
        message = asyncio.run_coroutine_threadsafe(self._receive(), self._loop).result()
        if message["type"] == "http.disconnect":
            self._more = False
            raise _Disconnected
        self._buffer.extend(message.get("body", b""))
        self._more = bool(message.get("more_body", False))

    def read(self, size: int | None = -1) -> bytes:
        while self._more and (size is None or size < 0 or len(self._buffer) < size):
            self._fill()
        if size is None or size < 0:
            size = len(self._buffer)
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def readinto(self, b: Any) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        while self._more and b"\n" not in self._buffer and (size is None or size < 0 or len(self._buffer) < size):
            self._fill()
        end = self._buffer.find(b"\n")
        end = len(self._buffer) if end < 0 else end + 1
        if size is not None and size >= 0:
            end = min(end, size)
        data = bytes(self._buffer[:end])
        del self._buffer[:end]
        return data


def build_environ(scope: Scope, body: Any) -> dict[str, Any]:
    """The WSGI environ of an ASGI HTTP scope (PEP 3333: text as latin-1 "bytes as str")."""
    script_name = scope.get("root_path", "").encode("utf8").decode("latin1")
    path_info = scope["path"].encode("utf8").decode("latin1")
    if script_name and path_info.startswith(script_name):
        path_info = path_info[len(script_name) :]
    server = scope.get("server") or ("localhost", 80)
    environ: dict[str, Any] = {
        # The raw path as sent (``raw_path``) is what SigV4 signs (flows/aws/sigv4.py).
        "asgi.scope": scope,
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": script_name,
        "PATH_INFO": path_info,
        "QUERY_STRING": scope["query_string"].decode("latin1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1] or 0),
        "SERVER_PROTOCOL": f"HTTP/{scope['http_version']}",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": body,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    client = scope.get("client")
    if client:
        environ["REMOTE_ADDR"] = client[0]
        environ["REMOTE_PORT"] = str(client[1])
    for raw_name, raw_value in scope.get("headers", []):
        name = raw_name.decode("latin1").lower()
        if name == "content-length":
            key = "CONTENT_LENGTH"
        elif name == "content-type":
            key = "CONTENT_TYPE"
        else:
            key = "HTTP_" + name.upper().replace("-", "_")
        value = raw_value.decode("latin1")
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


def _start(status: str, headers: list[tuple[str, str]]) -> Message:
    return {
        "type": "http.response.start",
        "status": int(status.split(" ", 1)[0]),
        "headers": [(k.strip().lower().encode("latin1"), v.strip().encode("latin1")) for k, v in headers],
    }


class WsgiBridge:
    """An ASGI application serving HTTP with a WSGI application on ``workers`` threads."""

    def __init__(self, app: Callable[..., Iterable[bytes]], *, workers: int) -> None:
        self.app = app
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="http")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # pragma: no cover - the protocol router sends only HTTP here
            raise ValueError(f"WsgiBridge serves HTTP, not {scope['type']}")
        loop = asyncio.get_running_loop()
        chunks: list[bytes] = []
        size = 0
        more = True
        while more and size <= BUFFERED_BODY:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            chunks.append(chunk)
            size += len(chunk)
            more = bool(message.get("more_body", False))
        head = b"".join(chunks)
        body: Any = _StreamedBody(head, loop, receive) if more else io.BytesIO(head)
        environ = build_environ(scope, body)
        context = contextvars.copy_context()
        result = await loop.run_in_executor(self.executor, context.run, self._run, environ, loop, send)
        if result is not None:
            start, content = result
            await send(start)
            await send({"type": "http.response.body", "body": content})

    def _run(
        self, environ: dict[str, Any], loop: asyncio.AbstractEventLoop, send: Send
    ) -> tuple[Message, bytes] | None:
        """In a pool thread: run the application. An ordinary response comes back whole, to be
        sent by the event loop; a streaming one is sent from here, chunk by chunk. Returns None
        when the response was sent (or the client went away)."""
        response: dict[str, Any] = {}
        written: list[bytes] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[..., None]:
            if exc_info is not None and response.get("sent"):
                raise exc_info[1].with_traceback(exc_info[2])
            response["start"] = _start(status, headers)
            return written.append  # the legacy write() callable: buffered before the body

        def send_now(message: Message) -> None:
            asyncio.run_coroutine_threadsafe(send(message), loop).result()

        try:
            iterable = self.app(environ, start_response)
        except _Disconnected:
            return None
        try:
            if getattr(iterable, "streaming", True) is False:
                # An ordinary (not streaming) Django response: render it here, send it whole.
                content = b"".join([*written, *iterable])
                return response["start"], content
            response["sent"] = True
            send_now(response["start"])
            for chunk in itertools.chain(written, iterable):
                if chunk:
                    send_now({"type": "http.response.body", "body": chunk, "more_body": True})
            send_now({"type": "http.response.body", "body": b""})
            return None
        except _Disconnected:
            return None
        finally:
            close = getattr(iterable, "close", None)
            if close is not None:
                close()  # Django's request_finished: database connections are tidied in this thread
