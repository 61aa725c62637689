"""Webhooks: registration, the fan-out of a loop's status-change event, and signed delivery.

Delivery (``webhook_deliver``, run by the background task ``flows.tasks.deliver_webhook``):

* ``POST <url>`` with the event (EventBridge's shape, spec/a2i.md §21) as the JSON body and the
  headers ``Content-Type: application/json``, ``X-Loupe-Event-Id``, ``X-Loupe-Timestamp`` (Unix
  seconds) and ``X-Loupe-Signature: sha256=<hex>``, the HMAC-SHA256, keyed with the webhook's
  secret, of ``<timestamp>.<raw body>``. A receiver recomputes it over the bytes it received and
  refuses old timestamps (replays);
* a 2xx answer delivers it; anything else (or no answer within the timeout) is retried with
  exponential back-off (10 s, 20 s, 40 s, ... at most an hour) up to
  ``LOUPE_WEBHOOK_MAX_ATTEMPTS`` attempts, then the delivery is ``failed``;
* redirects are not followed; URLs must be http(s), and hosts that resolve to private,
  loopback, link-local or otherwise non-public addresses are refused unless
  ``LOUPE_WEBHOOK_ALLOW_PRIVATE`` is true (checked at registration and again at each delivery);
* at least once: an event id names one delivery per webhook (a repeated fan-out adds nothing),
  and ``webhook_deliveries_recover`` (housekeeping) re-enqueues deliveries whose attempt died.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from flows import events, netguard
from flows.errors import InvalidInput, NotFound
from flows.models import (
    DeliveryStatus,
    FlowDefinition,
    HumanLoop,
    Webhook,
    WebhookDelivery,
)
from workforce.models import Organization

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Loupe-Signature"
TIMESTAMP_HEADER = "X-Loupe-Timestamp"
EVENT_ID_HEADER = "X-Loupe-Event-Id"


def max_attempts() -> int:
    return int(getattr(settings, "LOUPE_WEBHOOK_MAX_ATTEMPTS", 8))


def _timeout() -> float:
    return float(getattr(settings, "LOUPE_WEBHOOK_TIMEOUT_SECONDS", 10.0))


def retry_delay(attempts: int) -> float:
    base = float(getattr(settings, "LOUPE_WEBHOOK_RETRY_BASE_SECONDS", 10.0))
    return min(base * 2 ** max(0, attempts - 1), 3600.0)


def _recovery_grace() -> timedelta:
    return timedelta(seconds=float(getattr(settings, "LOUPE_WEBHOOK_RECOVERY_SECONDS", 60.0)))


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of ``<timestamp>.<body>`` keyed with the webhook's secret."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


# --- URLs ------------------------------------------------------------------------------------------


def _allow_private() -> bool:
    return bool(getattr(settings, "LOUPE_WEBHOOK_ALLOW_PRIVATE", False))


def _refused_address(host: str, port: int) -> str | None:
    """Why ``host`` may not be called (a non-public address it resolves to), or None."""
    return netguard.host_refusal(host, port)


def webhook_url_check(url: str) -> str:
    """Validate a webhook URL; returns it, or raises ``InvalidInput`` saying what is wrong."""
    if not isinstance(url, str) or not url.strip():
        raise InvalidInput("The webhook URL is required.", field="url")
    url = url.strip()
    if len(url) > 2048:
        raise InvalidInput("The webhook URL is longer than 2048 characters.", field="url")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise InvalidInput("The webhook URL must be http:// or https://.", field="url")
    if not parts.hostname:
        raise InvalidInput("The webhook URL has no host.", field="url")
    if parts.username or parts.password:
        raise InvalidInput("The webhook URL may not carry a user name or password.", field="url")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise InvalidInput("The webhook URL has an invalid port.", field="url") from None
    if not _allow_private():
        why = _refused_address(parts.hostname, port)
        if why:
            raise InvalidInput(f"The webhook URL is refused: {why}.", field="url")
    return url


# --- Registration -------------------------------------------------------------------------------------


def _flow(organization: Organization, name: str | None) -> FlowDefinition | None:
    if not name:
        return None
    flow = FlowDefinition.objects.filter(organization=organization, name=name, deleted_at__isnull=True).first()
    if flow is None:
        raise NotFound(f"There is no flow definition named {name}.", field="flowDefinitionName")
    return flow


def webhook_create(
    *, organization: Organization, url: str, flow_definition_name: str | None = None, active: bool = True
) -> Webhook:
    """Register a webhook for the organization's loops (one flow's only, when named)."""
    flow = _flow(organization, flow_definition_name)
    checked = webhook_url_check(url)
    return Webhook.objects.create(organization=organization, flow_definition=flow, url=checked, active=active)


def webhook_get(*, organization: Organization, webhook_id: int) -> Webhook:
    webhook = Webhook.objects.select_related("flow_definition").filter(organization=organization, pk=webhook_id).first()
    if webhook is None:
        raise NotFound(f"There is no webhook {webhook_id}.")
    return webhook


def webhook_update(
    *,
    organization: Organization,
    webhook_id: int,
    url: str | None = None,
    active: bool | None = None,
    rotate_secret: bool = False,
) -> Webhook:
    webhook = webhook_get(organization=organization, webhook_id=webhook_id)
    fields = []
    if url is not None:
        webhook.url = webhook_url_check(url)
        fields.append("url")
    if active is not None:
        webhook.active = active
        fields.append("active")
    if rotate_secret:
        from flows.models.webhooks import new_webhook_secret

        webhook.secret = new_webhook_secret()
        fields.append("secret")
    if fields:
        webhook.save(update_fields=fields)
    return webhook


def webhook_delete(*, organization: Organization, webhook_id: int) -> None:
    webhook_get(organization=organization, webhook_id=webhook_id).delete()


# --- Fan-out ---------------------------------------------------------------------------------------------


def loop_event_fan_out(*, loop: HumanLoop) -> int:
    """Create one delivery of the loop's status-change event per matching active webhook
    (idempotent: the event id is deterministic), enqueue them, and push the event to the
    organization's and the loop's WebSocket groups. Returns how many deliveries are new."""
    from flows.tasks import deliver_webhook

    event = events.human_loop_status_event(loop)
    now = timezone.now()
    hooks = list(
        Webhook.objects.filter(organization_id=loop.organization_id, active=True).filter(
            Q(flow_definition__isnull=True) | Q(flow_definition_id=loop.flow_definition_id)
        )
    )
    created = 0
    if hooks:
        before = set(
            WebhookDelivery.objects.filter(event_id=event["id"], webhook__in=hooks).values_list("webhook_id", flat=True)
        )
        new = [
            WebhookDelivery(
                webhook=h,
                flow_definition_id=loop.flow_definition_id,
                event_id=event["id"],
                payload=event,
                next_attempt_at=now,
            )
            for h in hooks
            if h.pk not in before
        ]
        WebhookDelivery.objects.bulk_create(new, ignore_conflicts=True)
        created = len(new)
        for pk in WebhookDelivery.objects.filter(
            event_id=event["id"], webhook__in=hooks, status=DeliveryStatus.PENDING, attempts=0
        ).values_list("pk", flat=True):
            deliver_webhook.enqueue(pk)
    message = events.event_message("loop.event", event)
    events.group_send_now(events.org_group(loop.organization_id), message)
    events.group_send_now(events.loop_group(loop.pk), message)
    return created


def loop_event_fan_out_by_id(*, loop_id: int) -> int:
    loop = HumanLoop.objects.select_related("organization", "flow_definition").filter(pk=loop_id).first()
    if loop is None or not loop.is_terminal:
        return 0
    return loop_event_fan_out(loop=loop)


# --- Delivery ----------------------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    """POST and return (status code, error text); status None when no HTTP answer came."""
    if not _allow_private():
        parts = urlsplit(url)
        why = _refused_address(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))
        if why:
            return None, f"Refused: {why}."
    if urlsplit(url).scheme not in ("http", "https"):
        return None, "Refused: the URL is not http(s)."
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 (scheme checked)
    try:
        with _opener.open(request, timeout=_timeout()) as response:
            return int(response.status), ""
    except urllib.error.HTTPError as exc:
        return int(exc.code), f"HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, f"{type(exc).__name__}: {reason}"


def webhook_deliver(*, delivery_id: int, now: datetime | None = None) -> str:
    """Make one attempt at a pending, due delivery. Returns ``delivered``, ``retry``,
    ``failed``, or ``skipped`` (not pending, not due, or claimed by another attempt)."""
    from flows.tasks import deliver_webhook

    now = now or timezone.now()
    delivery = WebhookDelivery.objects.select_related("webhook").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return "skipped"
    due = delivery.next_attempt_at
    if due is not None and due > now + timedelta(seconds=1):
        return "skipped"
    webhook = delivery.webhook
    if not webhook.active:
        WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.FAILED, last_error="The webhook was deactivated before delivery."
        )
        return "failed"
    # Claim the attempt: only one runner moves next_attempt_at from the value it read.
    lease = now + timedelta(seconds=_timeout()) + _recovery_grace()
    claimed = WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING, next_attempt_at=due).update(
        next_attempt_at=lease, attempts=F("attempts") + 1
    )
    if not claimed:
        return "skipped"
    attempts = delivery.attempts + 1
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Loupe-Webhooks/1",
        EVENT_ID_HEADER: delivery.event_id,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(webhook.secret, timestamp, body),
    }
    code, error = _post(webhook.url, body, headers)
    done = timezone.now()
    if code is not None and 200 <= code < 300:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.DELIVERED,
            delivered_at=done,
            last_status_code=code,
            last_error="",
            next_attempt_at=None,
        )
        return "delivered"
    if attempts >= max_attempts():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.FAILED, last_status_code=code, last_error=error[:4000], next_attempt_at=None
        )
        logger.warning("Webhook delivery %s failed for good after %s attempts: %s", delivery.pk, attempts, error)
        return "failed"
    run_after = done + timedelta(seconds=retry_delay(attempts))
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        last_status_code=code, last_error=error[:4000], next_attempt_at=run_after
    )
    deliver_webhook.using(run_after=run_after).enqueue(delivery.pk)
    return "retry"


def webhook_deliveries_recover(*, now: datetime | None = None, limit: int = 200) -> int:
    """Housekeeping: pending deliveries due for longer than the recovery grace (their attempt
    died, or their enqueue was lost) are made due now and enqueued again. Returns how many."""
    from flows.tasks import deliver_webhook

    now = now or timezone.now()
    stale = list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now - _recovery_grace())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in stale:
        WebhookDelivery.objects.filter(pk=pk, status=DeliveryStatus.PENDING).update(next_attempt_at=now)
        deliver_webhook.enqueue(pk)
    return len(stale)
