"""Status-change events (EventBridge's shape), webhooks (signed, retried, logged) and the REST
API that manages them and the bucket mappings."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from flows import events
from flows.errors import InvalidInput
from flows.models import BucketMapping, DeliveryStatus, HumanLoop, Webhook, WebhookDelivery
from flows.selectors.results import webhook_deliveries_for_flow
from flows.services.loops import loop_stop
from flows.services.results import loop_output_write
from flows.services.webhooks import (
    loop_event_fan_out,
    webhook_create,
    webhook_deliver,
    webhook_deliveries_recover,
    webhook_url_check,
)
from tests.conftest import Org, make_org
from tests.flows.api.factories import key_client
from tests.flows.results_helpers import completed_loop, map_bucket, queued, run_ready_tasks
from tests.flows.work.factories import flow_factory, loop_factory

DETAIL_FIELDS = {
    "creationTime",
    "failureCode",
    "failureReason",
    "flowDefinitionArn",
    "humanLoopArn",
    "humanLoopName",
    "humanLoopOutput",
    "humanLoopStatus",
}


class Receiver:
    """An HTTP endpoint on 127.0.0.1 that records requests and answers with scripted codes."""

    def __init__(self, codes: list[int] | None = None) -> None:
        self.codes = list(codes or [])
        self.requests: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body, "path": self.path})
                code = receiver.codes.pop(0) if receiver.codes else 200
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    with override_settings(LOUPE_WEBHOOK_ALLOW_PRIVATE=True):
        yield r
    r.close()


def verify(secret: str, request: dict[str, Any]) -> bool:
    """What a receiver does: recompute the signature over the raw body it received."""
    headers = {k.lower(): v for k, v in request["headers"].items()}
    expected = hmac.new(
        secret.encode(), headers["x-loupe-timestamp"].encode() + b"." + request["body"], hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(headers["x-loupe-signature"], f"sha256={expected}")


# --- The event ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_completed_event_has_eventbridges_shape(org: Org) -> None:
    loop = completed_loop(org)
    event = events.human_loop_status_event(loop)
    assert event["version"] == "0"
    assert event["detail-type"] == "SageMaker A2I HumanLoop Status Change"
    assert event["source"] == "aws.sagemaker"
    assert event["account"] == org.account_id
    assert event["region"] == org.region
    assert event["resources"] == [loop.arn]
    assert len(event["time"]) == 20
    assert event["time"].endswith("Z")
    detail = event["detail"]
    assert set(detail) == DETAIL_FIELDS
    assert detail["humanLoopStatus"] == "Completed"
    assert detail["humanLoopOutput"] == {"outputS3Uri": loop.output_uri}
    assert detail["failureCode"] is None
    assert detail["creationTime"].endswith("Z")
    assert len(detail["creationTime"]) == 24
    # Deterministic: the same loop and status give the same event (receivers deduplicate on id)
    assert events.human_loop_status_event(HumanLoop.objects.get(pk=loop.pk)) == event


@pytest.mark.django_db
def test_stopped_event_has_no_output(org: Org) -> None:
    flow = flow_factory(org)
    loop = loop_factory(org, flow)
    stopped = loop_stop(organization=org.organization, name=loop.name)
    assert stopped.status == "Stopped"
    detail = events.human_loop_status_event(HumanLoop.objects.select_related("organization").get(pk=loop.pk))["detail"]
    assert detail["humanLoopStatus"] == "Stopped"
    assert "humanLoopOutput" not in detail
    assert set(detail) == DETAIL_FIELDS - {"humanLoopOutput"}


@pytest.mark.django_db(transaction=True)
def test_status_change_enqueues_on_commit_only(django_capture_on_commit_callbacks: Any) -> None:
    org = make_org()
    flow = flow_factory(org)
    stopped = loop_factory(org, flow)
    loop_stop(organization=org.organization, name=stopped.name)
    completed = completed_loop(org)
    assert [t.args_kwargs["args"] for t in queued("fan_out_loop_event")] == [[stopped.pk]]
    assert [t.args_kwargs["args"] for t in queued("write_loop_output")] == [[completed.pk]]


# --- URLs -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/x", "http"),
        ("file:///etc/passwd", "http"),
        ("http://127.0.0.1:8000/hook", "non-public address 127.0.0.1"),
        ("http://10.1.2.3/hook", "non-public address 10.1.2.3"),
        ("http://169.254.169.254/latest/meta-data", "non-public address"),
        ("http://[::1]/x", "non-public address ::1"),
        ("http://user:pw@example.com/", "user name"),
        ("", "required"),
    ],
)
@override_settings(LOUPE_WEBHOOK_ALLOW_PRIVATE=False)
def test_webhook_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        webhook_url_check(url)


@override_settings(LOUPE_WEBHOOK_ALLOW_PRIVATE=True)
def test_private_targets_allowed_when_configured() -> None:
    assert webhook_url_check("http://127.0.0.1:9/hook") == "http://127.0.0.1:9/hook"


# --- Delivery -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_completed_loop_is_delivered_signed_after_its_output_landed(
    org: Org, tmp_path: Path, receiver: Receiver
) -> None:
    # Given a webhook registered over REST for a flow, and that flow's loop completed
    map_bucket(org, "bucket", tmp_path)
    flow = flow_factory(org, task_count=2)
    created = key_client(org).post(
        "/api/v1/webhooks", {"url": receiver.url, "flow_definition": flow.name}, format="json"
    )
    assert created.status_code == 201, created.content
    secret = created.json()["secret"]
    loop = completed_loop(org, flow=flow, answers=[{"label": "a"}, {"label": "a"}])
    # When the output task runs, then the deliveries it enqueued
    assert loop_output_write(loop_id=loop.pk) == "written"
    assert run_ready_tasks("deliver_webhook") == ["delivered"]
    # Then the receiver got the event once, signed with the secret, and the log says delivered
    (request,) = receiver.requests
    assert verify(secret, request)
    assert not verify("another-secret", request)
    event = json.loads(request["body"])
    assert event["detail"]["humanLoopName"] == loop.name
    assert event["detail"]["humanLoopOutput"]["outputS3Uri"] == loop.output_uri
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert headers["x-loupe-event-id"] == event["id"]
    log = key_client(org).get(f"/api/v1/webhooks/{created.json()['id']}/deliveries").json()["results"]
    assert [(d["status"], d["attempts"], d["last_status_code"]) for d in log] == [("delivered", 1, 200)]
    assert [d.event_id for d in webhook_deliveries_for_flow(flow)] == [event["id"]]


@pytest.mark.django_db
def test_fan_out_twice_delivers_once(org: Org, receiver: Receiver) -> None:
    webhook_create(organization=org.organization, url=receiver.url)
    loop = completed_loop(org)
    assert loop_event_fan_out(loop=loop) == 1
    assert loop_event_fan_out(loop=loop) == 0
    # The second fan-out re-enqueues the unattempted delivery (its first enqueue may have been
    # lost); the duplicate task finds it delivered and does nothing.
    assert run_ready_tasks("deliver_webhook") == ["delivered", "skipped"]
    assert len(receiver.requests) == 1
    assert WebhookDelivery.objects.count() == 1


@pytest.mark.django_db
def test_webhooks_of_other_flows_and_inactive_ones_get_nothing(org: Org, receiver: Receiver) -> None:
    other_flow = flow_factory(org)
    webhook_create(organization=org.organization, url=receiver.url, flow_definition_name=other_flow.name)
    webhook_create(organization=org.organization, url=receiver.url, active=False)
    webhook_create(organization=make_org().organization, url=receiver.url)
    loop = completed_loop(org)
    assert loop_event_fan_out(loop=loop) == 0
    assert receiver.requests == []


@pytest.mark.django_db
@override_settings(LOUPE_WEBHOOK_MAX_ATTEMPTS=3, LOUPE_WEBHOOK_RETRY_BASE_SECONDS=10)
def test_failures_are_retried_with_backoff_then_given_up(org: Org, receiver: Receiver) -> None:
    receiver.codes = [500, 503, 500]
    webhook_create(organization=org.organization, url=receiver.url)
    loop = completed_loop(org)
    loop_event_fan_out(loop=loop)
    delivery = WebhookDelivery.objects.get()
    now = timezone.now()
    # first attempt fails: retried 10 s later, with a task enqueued for then
    assert webhook_deliver(delivery_id=delivery.pk, now=now) == "retry"
    delivery.refresh_from_db()
    assert delivery.attempts == 1
    assert delivery.last_status_code == 500
    assert delivery.next_attempt_at > now + timedelta(seconds=9)
    # not due yet: an early run does nothing
    assert webhook_deliver(delivery_id=delivery.pk, now=now) == "skipped"
    # second attempt 20 s after that, third is the last
    assert webhook_deliver(delivery_id=delivery.pk, now=delivery.next_attempt_at) == "retry"
    delivery.refresh_from_db()
    first_gap = delivery.next_attempt_at - timezone.now()
    assert first_gap > timedelta(seconds=18)
    assert webhook_deliver(delivery_id=delivery.pk, now=delivery.next_attempt_at) == "failed"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.FAILED, 3, 500)
    assert len(receiver.requests) == 3
    assert len({json.loads(r["body"])["id"] for r in receiver.requests}) == 1


@pytest.mark.django_db
def test_a_retry_then_success_is_delivered(org: Org, receiver: Receiver) -> None:
    receiver.codes = [502]
    webhook_create(organization=org.organization, url=receiver.url)
    loop_event_fan_out(loop=completed_loop(org))
    delivery = WebhookDelivery.objects.get()
    assert webhook_deliver(delivery_id=delivery.pk) == "retry"
    delivery.refresh_from_db()
    assert webhook_deliver(delivery_id=delivery.pk, now=delivery.next_attempt_at) == "delivered"
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.delivered_at is not None


@pytest.mark.django_db
def test_housekeeping_reenqueues_deliveries_whose_attempt_died(org: Org, receiver: Receiver) -> None:
    webhook_create(organization=org.organization, url=receiver.url)
    loop_event_fan_out(loop=completed_loop(org))
    for row in queued("deliver_webhook"):
        row.delete()  # the enqueued task was lost with its worker
    assert webhook_deliveries_recover() == 0  # not stale yet
    WebhookDelivery.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=5))
    assert webhook_deliveries_recover() == 1
    assert webhook_deliveries_recover() == 0
    assert run_ready_tasks("deliver_webhook") == ["delivered"]
    assert len(receiver.requests) == 1


# --- REST -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_webhook_rest_crud_is_scoped_to_the_organization(org: Org, other_org: Org, receiver: Receiver) -> None:
    client = key_client(org)
    created = client.post("/api/v1/webhooks", {"url": receiver.url}, format="json").json()
    assert created["flow_definition"] is None
    assert [w["id"] for w in client.get("/api/v1/webhooks").json()["results"]] == [created["id"]]
    assert "secret" not in client.get(f"/api/v1/webhooks/{created['id']}").json()
    assert key_client(other_org).get(f"/api/v1/webhooks/{created['id']}").status_code == 404
    patched = client.patch(f"/api/v1/webhooks/{created['id']}", {"active": False, "rotate_secret": True}, format="json")
    assert patched.status_code == 200
    assert patched.json()["active"] is False
    assert patched.json()["secret"] != created["secret"]
    assert client.delete(f"/api/v1/webhooks/{created['id']}").status_code == 204
    assert not Webhook.objects.exists()


@pytest.mark.django_db
@override_settings(LOUPE_WEBHOOK_ALLOW_PRIVATE=False)
def test_webhook_rest_refuses_bad_urls_and_unknown_flows(org: Org) -> None:
    client = key_client(org)
    bad = client.post("/api/v1/webhooks", {"url": "http://127.0.0.1/x"}, format="json")
    assert bad.status_code == 400
    assert "non-public" in bad.json()["detail"]
    unknown = client.post(
        "/api/v1/webhooks", {"url": "https://example.com/x", "flow_definition": "nope"}, format="json"
    )
    assert unknown.status_code == 404
    assert (
        client.post("/api/v1/webhooks", {"url": "https://example.com/x", "colour": 1}, format="json").status_code == 400
    )


@pytest.mark.django_db
def test_bucket_mappings_over_rest_and_the_command(org: Org, tmp_path: Path) -> None:
    client = key_client(org)
    with override_settings(LOUPE_OUTPUT_ROOTS=[str(tmp_path)]):
        ok = client.post(
            "/api/v1/bucket-mappings", {"bucket": "out", "local_path": str(tmp_path / "org")}, format="json"
        )
        assert ok.status_code == 201, ok.content
        assert (tmp_path / "org").is_dir()
        again = client.post("/api/v1/bucket-mappings", {"bucket": "out", "local_path": str(tmp_path)}, format="json")
        assert again.status_code == 409
        outside = client.post("/api/v1/bucket-mappings", {"bucket": "bkt2", "local_path": "/etc"}, format="json")
        assert outside.status_code == 400
        assert "output roots" in outside.json()["detail"]
        relative = client.post("/api/v1/bucket-mappings", {"bucket": "bkt2", "local_path": "x/y"}, format="json")
        assert relative.status_code == 400
        assert client.get("/api/v1/bucket-mappings/out").json()["local_path"] == str(tmp_path / "org")
        assert client.delete("/api/v1/bucket-mappings/out").status_code == 204
        assert client.get("/api/v1/bucket-mappings/out").status_code == 404
        call_command("bucketmap", "--org", org.organization.name, "--bucket", "cmd", "--path", str(tmp_path / "c"))
        assert BucketMapping.objects.get(organization=org.organization).bucket == "cmd"
