"""Rate limits, counted in Django's cache (LocMem embedded, Redis when REDIS_URL is set, so that
every process of a scaled deployment shares the counters).

* REST API: per API key (or per signed-in user or worker token; per client address otherwise),
  ``LOUPE_RATE_API`` (default 60000/min: benches drive hundreds of requests a second from one
  key).
* AWS-compatible API: per API key, ``LOUPE_RATE_AWS`` (same default), answered with A2I's
  ``ThrottlingException`` (HTTP 429) by ``aws_check``.
* Worker token endpoint (password guessing): per client address, ``LOUPE_RATE_WORKER_TOKEN``
  (default 30/min).

A rate is ``<count>/<s|sec|min|hour|day>``; ``0/min`` or an empty value turns a limit off. The
counter is a fixed window: at most ``count`` requests in each window.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

_PERIODS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600, "day": 86400}


def parse_rate(rate: str | None) -> tuple[int, int] | None:
    """``"100/min"`` -> (100, 60); None when the limit is off."""
    if not rate:
        return None
    count, _, period = str(rate).partition("/")
    try:
        n = int(count)
        seconds = _PERIODS[period.strip().lower()]
    except (ValueError, KeyError):
        raise ValueError(f"Invalid rate {rate!r}: expected '<count>/<s|min|hour|day>'.") from None
    return (n, seconds) if n > 0 else None


def rate_hit(*, scope: str, ident: str, rate: str | None) -> float | None:
    """Count one request; the seconds to wait when over the limit, else None."""
    parsed = parse_rate(rate)
    if parsed is None:
        return None
    limit, period = parsed
    now = time.time()
    window = int(now // period)
    key = f"rl:{scope}:{ident}:{window}"
    if cache.add(key, 1, timeout=period + 1):
        return None
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=period + 1)
        return None
    if count > limit:
        return (window + 1) * period - now
    return None


def client_address(request: Any) -> str:
    """The client's address: the last proxy hop's X-Forwarded-For entry when behind our nginx
    (``LOUPE_TRUST_X_FORWARDED_FOR``), else REMOTE_ADDR."""
    meta = request.META
    if getattr(settings, "LOUPE_TRUST_X_FORWARDED_FOR", False):
        forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return str(forwarded.split(",")[-1].strip())
    return str(meta.get("REMOTE_ADDR", "") or "unknown")


class ApiRateThrottle(BaseThrottle):
    """The REST API's limit: per API key, user or worker token, else per address."""

    def __init__(self) -> None:
        self.wait_seconds: float | None = None

    def allow_request(self, request: Request, view: Any) -> bool:
        auth = request.auth
        akid = getattr(auth, "access_key_id", None)
        if akid:
            ident = f"key:{akid}"
        elif request.user is not None and request.user.is_authenticated and getattr(request.user, "pk", None):
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{client_address(request)}"
        self.wait_seconds = rate_hit(scope="api", ident=ident, rate=getattr(settings, "LOUPE_RATE_API", ""))
        return self.wait_seconds is None

    def wait(self) -> float | None:
        return self.wait_seconds


class WorkerTokenRateThrottle(BaseThrottle):
    """The worker token endpoint's limit, per client address."""

    def __init__(self) -> None:
        self.wait_seconds: float | None = None

    def allow_request(self, request: Request, view: Any) -> bool:
        self.wait_seconds = rate_hit(
            scope="worker-token",
            ident=client_address(request),
            rate=getattr(settings, "LOUPE_RATE_WORKER_TOKEN", ""),
        )
        return self.wait_seconds is None

    def wait(self) -> float | None:
        return self.wait_seconds


def aws_check(access_key_id: str) -> None:
    """Count one AWS API request of this key; raises ``ThrottlingException`` (429) over the limit."""
    from flows.aws.protocol import AwsError

    if rate_hit(scope="aws", ident=access_key_id, rate=getattr(settings, "LOUPE_RATE_AWS", "")) is not None:
        raise AwsError("ThrottlingException", "Rate exceeded.", 429)
