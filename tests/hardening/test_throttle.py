"""Rate limits: REST API per key, AWS API per key (ThrottlingException), worker token per address."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.test import Client, override_settings

from flows.aws import views
from flows.throttle import parse_rate
from tests.conftest import Org
from tests.flows.aws.helpers import signed_request

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    cache.clear()


@override_settings(LOUPE_RATE_API="3/min")
def test_the_rest_api_limits_each_key_separately(org: Org, other_org: Org) -> None:
    client = Client()
    statuses = [client.get("/api/v1/task-uis", HTTP_AUTHORIZATION=org.api_key_header).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    answer = client.get("/api/v1/task-uis", HTTP_AUTHORIZATION=org.api_key_header)
    assert answer.json()["status"] == 429
    assert int(answer["Retry-After"]) >= 1
    assert client.get("/api/v1/task-uis", HTTP_AUTHORIZATION=other_org.api_key_header).status_code == 200


@override_settings(LOUPE_RATE_AWS="2/min")
def test_the_aws_api_answers_throttling_exception(org: Org) -> None:
    def call() -> tuple[int, dict]:
        request = signed_request(
            org,
            "POST",
            "/",
            body=b"{}",
            headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "SageMaker.ListWorkteams"},
        )
        response = views.root(request)
        return response.status_code, json.loads(response.content)

    assert call()[0] == 200
    assert call()[0] == 200
    status, body = call()
    assert status == 429
    assert body["__type"].endswith("ThrottlingException")


@override_settings(LOUPE_RATE_WORKER_TOKEN="2/min")
def test_the_worker_token_endpoint_limits_each_address() -> None:
    client = Client()
    body = {"email": "nobody@example.test", "password": "wrong"}
    statuses = [client.post("/api/v1/worker/token", body, REMOTE_ADDR="10.0.0.7").status_code for _ in range(3)]
    assert statuses[:2] == [401, 401] or statuses[:2] == [400, 400]
    assert statuses[2] == 429
    assert client.post("/api/v1/worker/token", body, REMOTE_ADDR="10.0.0.8").status_code != 429


def test_rates_parse_and_zero_turns_a_limit_off() -> None:
    assert parse_rate("100/min") == (100, 60)
    assert parse_rate("5/s") == (5, 1)
    assert parse_rate("0/min") is None
    assert parse_rate("") is None
    with pytest.raises(ValueError, match="Invalid rate"):
        parse_rate("lots")
