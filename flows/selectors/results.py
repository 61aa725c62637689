"""Reads for the results: webhooks and their delivery log, bucket mappings, worker reliability."""

from __future__ import annotations

from django.db.models import QuerySet

from flows.models import BucketMapping, FlowDefinition, Webhook, WebhookDelivery, WorkerReliability
from workforce.models import Organization


def webhooks_for_organization(organization: Organization) -> QuerySet[Webhook]:
    return Webhook.objects.filter(organization=organization).select_related("flow_definition")


def webhook_deliveries(webhook: Webhook) -> QuerySet[WebhookDelivery]:
    """A webhook's delivery log, newest first."""
    return WebhookDelivery.objects.filter(webhook=webhook).order_by("-created_at", "-pk")


def webhook_deliveries_for_flow(flow: FlowDefinition, *, limit: int = 100) -> list[WebhookDelivery]:
    """The delivery log shown on a flow's page: the latest ``limit`` deliveries of the flow's
    loops' events (organization-wide webhooks included), newest first, with their webhook."""
    return list(
        WebhookDelivery.objects.filter(flow_definition=flow)
        .select_related("webhook")
        .order_by("-created_at", "-pk")[:limit]
    )


def bucket_mappings_for_organization(organization: Organization) -> QuerySet[BucketMapping]:
    return BucketMapping.objects.filter(organization=organization).order_by("bucket")


def worker_reliability_for_flow(flow: FlowDefinition) -> list[WorkerReliability]:
    """The flow's current worker reliability estimates, most reliable first."""
    return list(
        WorkerReliability.objects.filter(flow_definition=flow).select_related("worker").order_by("-weight", "worker_id")
    )
