"""Background tasks (Django's tasks API; the database backend, run by ``manage.py serve`` or
``manage.py db_worker``). Thin: each calls one service, which holds the logic and the guarantees."""

from __future__ import annotations

from django_tasks import task

from flows.services import gold, results, webhooks


@task()
def write_loop_output(loop_id: int) -> str:
    """Consolidate a Completed loop and write its output.json (``results.loop_output_write``)."""
    return results.loop_output_write(loop_id=loop_id)


@task()
def fan_out_loop_event(loop_id: int) -> int:
    """Create the webhook deliveries of a loop's status-change event and send them."""
    return webhooks.loop_event_fan_out_by_id(loop_id=loop_id)


@task()
def deliver_webhook(delivery_id: int) -> str:
    """One delivery attempt (``webhooks.webhook_deliver``); failures re-enqueue with back-off."""
    return webhooks.webhook_deliver(delivery_id=delivery_id)


@task()
def estimate_flow_reliability(flow_id: int) -> int:
    """Re-estimate a flow's worker reliability with crowd-kit (``results.flow_reliability_estimate``)."""
    return results.flow_reliability_estimate(flow_id=flow_id)


@task()
def compute_flow_quality(flow_id: int) -> int:
    """Recompute a flow's per-worker accuracy on gold items and agreement with consolidated
    answers (``gold.flow_quality_compute``)."""
    return gold.flow_quality_compute(flow_id=flow_id)
