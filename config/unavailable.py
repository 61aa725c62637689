"""When a backing service is out: the database (restart, failover, network cut) or Redis.

A request that fails because the database cannot be reached is not a defect of the server nor
the caller's fault: it answers **503 Service Unavailable** with ``Retry-After``, in the caller's
protocol, without a stack trace, and the next request reconnects (``CONN_HEALTH_CHECKS`` and
Django's closing of connections whose queries failed):

* REST API: a problem body, code ``service_unavailable`` (``flows.api.errors``);
* AWS API: ``ServiceUnavailable`` with HTTP 503, which botocore retries in every retry mode
  (``flows.aws.views``);
* everything else (portal pages, the worker API outside DRF's handler): ``server_error`` below,
  Django's ``handler500``, answers a short page (or a problem body under ``/api/``).

Nothing is half-written: every write runs in a transaction that the lost connection rolls back,
and the caller was not told it succeeded.

The cache (rate-limit counters, sign-in attempt counters) is Redis in the scale-out layout:
``ResilientRedisCache`` treats an unreachable Redis as an empty cache (limits fail open for the
moment) instead of failing the request. Channel-layer pushes are best effort after commit
(``flows.events``).
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

from django.core.cache.backends.redis import RedisCache
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

logger = logging.getLogger("loupe.unavailable")

#: Seconds a client is asked to wait before retrying.
RETRY_AFTER_SECONDS = 2
DETAIL = "The service is briefly unavailable (its database cannot be reached): retry in a few seconds."


def _redis_errors() -> tuple[type[BaseException], ...]:
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:  # pragma: no cover - redis is a dependency
        return ()
    return (RedisConnectionError, RedisTimeoutError)


_REDIS_ERRORS = _redis_errors()


def is_unavailable(exc: BaseException | None) -> bool:
    """Whether ``exc`` means a backing service is out for the moment (not a defect): a database
    connection error (``OperationalError`` covers lost connections, refused connects, and also
    PostgreSQL's deadlock and serialization failures, which are retryable as well), a closed
    connection (``InterfaceError``), or Redis unreachable."""
    return isinstance(exc, (OperationalError, InterfaceError, *_REDIS_ERRORS))


_last_logged = 0.0


def log_unavailable(where: str, exc: BaseException) -> None:
    """One warning line (no stack) per second at most: an outage is not a flood of tracebacks."""
    global _last_logged
    now = time.monotonic()
    if now - _last_logged >= 1.0:
        _last_logged = now
        logger.warning("%s answered 503: %s: %s", where, type(exc).__name__, str(exc).strip()[:300])


def problem_body(detail: str = DETAIL) -> dict[str, Any]:
    return {
        "type": "https://loupe.local/problems/service_unavailable",
        "title": "Service Unavailable",
        "status": 503,
        "code": "service_unavailable",
        "detail": detail,
    }


def server_error(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """``handler500``: a 503 with ``Retry-After`` when the uncaught exception is an outage,
    Django's plain 500 page otherwise."""
    exc = sys.exc_info()[1]
    if not is_unavailable(exc):
        return defaults.server_error(request, *args, **kwargs)
    assert exc is not None
    log_unavailable(f"{request.method} {request.path}", exc)
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse(problem_body(), status=503, content_type="application/problem+json")
    else:
        response = HttpResponse(
            "<!doctype html><title>Loupe is briefly unavailable</title>"
            "<h1>Loupe is briefly unavailable</h1>"
            "<p>Its database cannot be reached right now. Nothing you sent was lost: "
            "reload this page in a few seconds.</p>",
            status=503,
            content_type="text/html; charset=utf-8",
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


class ResilientRedisCache(RedisCache):
    """Django's Redis cache, where an unreachable Redis reads as an empty cache and writes are
    dropped (logged): rate limits fail open for the moment rather than failing every request."""

    def _degraded(self, op: str, exc: BaseException) -> None:
        log_unavailable(f"cache {op}", exc)

    def add(self, *args: Any, **kwargs: Any) -> bool:
        try:
            return bool(super().add(*args, **kwargs))
        except _REDIS_ERRORS as exc:
            self._degraded("add", exc)
            return True

    def get(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().get(*args, **kwargs)
        except _REDIS_ERRORS as exc:
            self._degraded("get", exc)
            return kwargs.get("default", args[1] if len(args) > 1 else None)

    def set(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().set(*args, **kwargs)
        except _REDIS_ERRORS as exc:
            self._degraded("set", exc)

    def touch(self, *args: Any, **kwargs: Any) -> bool:
        try:
            return bool(super().touch(*args, **kwargs))
        except _REDIS_ERRORS as exc:
            self._degraded("touch", exc)
            return False

    def delete(self, *args: Any, **kwargs: Any) -> bool:
        try:
            return bool(super().delete(*args, **kwargs))
        except _REDIS_ERRORS as exc:
            self._degraded("delete", exc)
            return False

    def get_many(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        try:
            return dict(super().get_many(*args, **kwargs))
        except _REDIS_ERRORS as exc:
            self._degraded("get_many", exc)
            return {}

    def has_key(self, *args: Any, **kwargs: Any) -> bool:
        try:
            return bool(super().has_key(*args, **kwargs))
        except _REDIS_ERRORS as exc:
            self._degraded("has_key", exc)
            return False

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        try:
            return int(super().incr(key, delta, version))
        except _REDIS_ERRORS as exc:
            self._degraded("incr", exc)
            raise ValueError(f"Key {key!r} not found (the cache is unreachable).") from exc

    def set_many(self, *args: Any, **kwargs: Any) -> list[Any]:
        try:
            return list(super().set_many(*args, **kwargs))
        except _REDIS_ERRORS as exc:
            self._degraded("set_many", exc)
            return []

    def delete_many(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().delete_many(*args, **kwargs)
        except _REDIS_ERRORS as exc:
            self._degraded("delete_many", exc)
