"""SigV4 verification: in process against botocore's own signer, and over HTTP with boto3."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from django.utils import timezone

from flows.aws import sigv4
from tests.conftest import Org, make_org
from tests.flows.aws.helpers import clients, error_code, signed_request

pytestmark = pytest.mark.django_db


def test_get_with_an_encoded_label_verifies(org: Org) -> None:
    request = signed_request(org, "GET", "/human-loops/Bad%20Name%2F%C3%BC~x")
    assert sigv4.authenticate(request).pk == org.api_key.pk


def test_get_with_a_query_string_verifies(org: Org) -> None:
    query = "FlowDefinitionArn=arn%3Aaws%3Asagemaker%3Aus-east-1%3A123456789012%3Aflow-definition%2Ff&MaxResults=10"
    assert sigv4.authenticate(signed_request(org, "GET", "/human-loops", query=query)).pk == org.api_key.pk


def test_json_post_with_target_and_security_token_verifies(org: Org) -> None:
    request = signed_request(
        org,
        "POST",
        "/",
        body=b"{}",
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "SageMaker.ListWorkteams"},
        token="session-token-value",
    )
    assert "x-amz-security-token" in request.META["HTTP_AUTHORIZATION"]
    assert sigv4.authenticate(request).pk == org.api_key.pk


def test_the_raw_path_falls_back_to_requoting_path_info(org: Org) -> None:
    request = signed_request(org, "GET", "/human-loops/a%20b")
    del request.META["asgi.scope"]
    request.META["PATH_INFO"] = "/human-loops/a b"
    assert sigv4.raw_path(request) == "/human-loops/a%20b"
    assert sigv4.authenticate(request).pk == org.api_key.pk


@pytest.mark.parametrize(
    ("tamper", "code"),
    [
        (lambda r: r.META.pop("HTTP_AUTHORIZATION"), "MissingAuthenticationTokenException"),
        (lambda r: r.META.update(HTTP_AUTHORIZATION="AWS4-HMAC-SHA256 garbage"), "IncompleteSignatureException"),
        (lambda r: r.META.update(HTTP_HOST="evil.example:80"), "InvalidSignatureException"),
        (lambda r: setattr(r, "_body", b'{"x": 1}'), "InvalidSignatureException"),
        (lambda r: r.META.update(QUERY_STRING="MaxResults=11"), "InvalidSignatureException"),
    ],
)
def test_tampered_or_missing_signature_is_refused(org: Org, tamper: Any, code: str) -> None:
    request = signed_request(
        org, "POST", "/human-loops", query="MaxResults=10", body=b"{}", headers={"Content-Type": "application/json"}
    )
    request.body  # noqa: B018 - read it, as the view does
    tamper(request)
    with pytest.raises(sigv4.AuthError) as info:
        sigv4.authenticate(request)
    assert info.value.code == code


def test_wrong_secret_unknown_key_and_revoked_key_are_refused(org: Org) -> None:
    with pytest.raises(sigv4.AuthError) as wrong:
        sigv4.authenticate(signed_request(org, "GET", "/human-loops/x", secret="not-the-secret"))
    assert wrong.value.code == "InvalidSignatureException"
    org.api_key.revoked_at = timezone.now()
    org.api_key.save()
    with pytest.raises(sigv4.AuthError) as revoked:
        sigv4.authenticate(signed_request(org, "GET", "/human-loops/x"))
    assert revoked.value.code == "UnrecognizedClientException"


def test_service_other_than_sagemaker_is_refused(org: Org) -> None:
    with pytest.raises(sigv4.AuthError, match="service"):
        sigv4.authenticate(signed_request(org, "GET", "/human-loops/x", service="s3"))


def test_clock_skew_beyond_15_minutes_is_refused(org: Org) -> None:
    request = signed_request(org, "GET", "/human-loops/x")
    now = datetime.now(UTC)
    assert sigv4.authenticate(request, now=now + timedelta(minutes=14)).pk == org.api_key.pk
    with pytest.raises(sigv4.AuthError, match="Signature expired"):
        sigv4.authenticate(request, now=now + timedelta(minutes=16))
    with pytest.raises(sigv4.AuthError, match="Signature expired"):
        sigv4.authenticate(request, now=now - timedelta(minutes=16))


@pytest.mark.django_db(transaction=True)
def test_over_http_bad_credentials_get_4xx_json_errors(live_server_url: str) -> None:
    org = make_org()
    org.api_key.secret_access_key = "x" * 40  # the client signs with a wrong secret
    sm, a2i = clients(org, live_server_url)
    with pytest.raises(ClientError) as json11:
        sm.list_workteams()
    assert error_code(json11.value) == "InvalidSignatureException"
    assert json11.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert json11.value.response["ResponseMetadata"]["RequestId"]
    with pytest.raises(ClientError) as rest:
        a2i.describe_human_loop(HumanLoopName="x")
    assert error_code(rest.value) == "InvalidSignatureException"
    assert rest.value.response["Error"]["Message"].startswith("The request signature we calculated")


@pytest.mark.django_db(transaction=True)
def test_over_http_an_unsigned_request_is_refused(live_server_url: str) -> None:
    import urllib.error
    import urllib.request

    req = urllib.request.Request(
        f"{live_server_url}/",
        data=b"{}",
        method="POST",
        headers={"X-Amz-Target": "SageMaker.ListWorkteams", "Content-Type": "application/x-amz-json-1.1"},
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req)
    assert info.value.code == 403
    body = json.loads(info.value.read())
    assert body["__type"] == "MissingAuthenticationTokenException"
    assert info.value.headers["x-amzn-RequestId"]
