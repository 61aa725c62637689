"""config.wsgi_bridge: ASGI HTTP to a WSGI app in threads, one hand-off per ordinary request."""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import Iterator
from typing import Any

from config import wsgi_bridge
from config.wsgi_bridge import WsgiBridge


class Rendered(list[bytes]):
    """A response body like Django's HttpResponse: not streaming, closable."""

    streaming = False

    def __init__(self, chunks: list[bytes], closed: list[str]) -> None:
        super().__init__(chunks)
        self._closed = closed

    def close(self) -> None:
        self._closed.append(threading.current_thread().name)


def _scope(path: str = "/x", query: bytes = b"", headers: list[tuple[bytes, bytes]] | None = None) -> dict[str, Any]:
    return {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "path": path,
        "root_path": "",
        "query_string": query,
        "headers": headers or [],
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.9", 5555),
        "scheme": "http",
    }


def _serve(app: Any, scope: dict[str, Any], messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    incoming = list(messages)

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(WsgiBridge(app, workers=2)(scope, receive, send))
    return sent


def test_an_ordinary_response_is_sent_whole_with_the_environ_built_from_the_scope() -> None:
    seen: dict[str, Any] = {}
    closed: list[str] = []

    def app(environ: dict[str, Any], start_response: Any) -> Rendered:
        seen.update(environ)
        seen["body"] = environ["wsgi.input"].read()
        seen["thread"] = threading.current_thread().name
        start_response("201 Created", [("Content-Type", "application/json"), ("X-Thing", "ä")])
        return Rendered([b'{"a":', b"1}"], closed)

    scope = _scope(
        "/api/café",
        b"x=1&y=2",
        [(b"content-type", b"application/json"), (b"content-length", b"7"), (b"x-a", b"1"), (b"x-a", b"2")],
    )
    sent = _serve(
        app,
        scope,
        [{"type": "http.request", "body": b"hel", "more_body": True}, {"type": "http.request", "body": b"lo!!"}],
    )
    assert sent == [
        {
            "type": "http.response.start",
            "status": 201,
            "headers": [(b"content-type", b"application/json"), (b"x-thing", "ä".encode("latin1"))],
        },
        {"type": "http.response.body", "body": b'{"a":1}'},
    ]
    assert seen["body"] == b"hello!!"
    assert seen["PATH_INFO"] == "/api/café".encode().decode("latin1")
    assert seen["QUERY_STRING"] == "x=1&y=2"
    assert seen["CONTENT_TYPE"] == "application/json"
    assert seen["CONTENT_LENGTH"] == "7"
    assert seen["HTTP_X_A"] == "1,2"
    assert seen["asgi.scope"] is scope  # SigV4 reads the raw path from it
    assert (seen["REMOTE_ADDR"], seen["SERVER_NAME"], seen["SERVER_PORT"]) == ("127.0.0.9", "127.0.0.1", "8000")
    assert seen["thread"].startswith("http")
    assert closed == [seen["thread"]], "close() runs once, in the request's thread"


def test_a_streaming_response_goes_out_chunk_by_chunk_and_is_closed() -> None:
    closed: list[bool] = []

    class Stream:
        streaming = True

        def __iter__(self) -> Iterator[bytes]:
            yield b"one,"
            yield b""
            yield b"two"

        def close(self) -> None:
            closed.append(True)

    def app(environ: dict[str, Any], start_response: Any) -> Stream:
        start_response("200 OK", [("Content-Type", "text/csv")])
        return Stream()

    sent = _serve(app, _scope(), [{"type": "http.request", "body": b""}])
    assert [m["type"] for m in sent] == [
        "http.response.start",
        "http.response.body",
        "http.response.body",
        "http.response.body",
    ]
    assert [m.get("body") for m in sent[1:]] == [b"one,", b"two", b""]
    assert [m.get("more_body", False) for m in sent[1:]] == [True, True, False]
    assert closed == [True]


def test_a_body_larger_than_the_buffer_is_streamed_to_the_application(monkeypatch: Any) -> None:
    monkeypatch.setattr(wsgi_bridge, "BUFFERED_BODY", 10)
    chunks = [b"line one\n", b"line two is longer\n", b"x" * 50, b"tail\nend"]
    expected = b"".join(chunks)
    got: dict[str, Any] = {}

    def app(environ: dict[str, Any], start_response: Any) -> Rendered:
        stream = environ["wsgi.input"]
        got["first"] = stream.readline()
        got["rest"] = stream.read()
        start_response("200 OK", [])
        return Rendered([hashlib.sha256(got["first"] + got["rest"]).hexdigest().encode()], [])

    messages = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]
    sent = _serve(app, _scope(), messages)
    assert got["first"] == b"line one\n"
    assert got["first"] + got["rest"] == expected
    assert sent[-1]["body"] == hashlib.sha256(expected).hexdigest().encode()


def test_a_client_gone_before_the_body_arrives_runs_nothing() -> None:
    calls: list[int] = []

    def app(environ: dict[str, Any], start_response: Any) -> Rendered:
        calls.append(1)
        start_response("200 OK", [])
        return Rendered([b""], [])

    assert _serve(app, _scope(), [{"type": "http.disconnect"}]) == []
    assert calls == []


def test_a_client_gone_while_a_large_body_streams_in_sends_nothing(monkeypatch: Any) -> None:
    monkeypatch.setattr(wsgi_bridge, "BUFFERED_BODY", 4)

    def app(environ: dict[str, Any], start_response: Any) -> Rendered:
        environ["wsgi.input"].read()
        start_response("200 OK", [])
        return Rendered([b"never"], [])

    sent = _serve(app, _scope(), [{"type": "http.request", "body": b"123456", "more_body": True}])
    assert sent == []
