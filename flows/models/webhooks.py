"""Webhooks an engineer registers to receive the loops' status-change events (EventBridge's
shape), and the log of every delivery."""

from __future__ import annotations

import secrets
from typing import ClassVar

from django.db import models
from django.db.models import Q

from flows.models.definitions import FlowDefinition
from workforce.models import Organization


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


class Webhook(models.Model):
    """POSTs each status-change event of the organization's loops (only ``flow_definition``'s,
    when set) to ``url``, signed with ``secret`` (HMAC-SHA256)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="webhooks")
    flow_definition = models.ForeignKey(
        FlowDefinition, null=True, blank=True, on_delete=models.CASCADE, related_name="webhooks"
    )
    url = models.URLField(max_length=2048)
    secret = models.CharField(max_length=128, default=new_webhook_secret)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["organization", "active"], name="webhook_org_active")]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"
    DELIVERED = "delivered"
    #: Gave up after the last attempt.
    FAILED = "failed"


class WebhookDelivery(models.Model):
    """One event for one webhook: created once (unique per webhook and event id, so a repeated
    fan-out adds nothing), attempted until a 2xx or the last attempt."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    #: Denormalised for the flow page's log (the webhook may be organization-wide).
    flow_definition = models.ForeignKey(
        FlowDefinition, null=True, blank=True, on_delete=models.SET_NULL, related_name="webhook_deliveries"
    )
    event_id = models.CharField(max_length=64)
    payload = models.JSONField()
    attempts = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["webhook", "event_id"], name="one_delivery_per_webhook_event"),
        ]
        indexes: ClassVar = [
            models.Index(fields=["flow_definition", "-created_at"], name="delivery_flow_created"),
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="delivery_pending_due"),
        ]

    def __str__(self) -> str:
        return f"webhook delivery {self.pk}"
