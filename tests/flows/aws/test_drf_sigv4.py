"""REST calls may be SigV4-signed with an organization's key (DESIGN.md "Contracts")."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.conftest import Org, make_org
from tests.flows.services.factories import task_ui_factory

pytestmark = pytest.mark.django_db(transaction=True)


def _signed_get(org: Org, url: str, secret: str | None = None) -> urllib.request.Request:
    aws = AWSRequest(method="GET", url=url)
    creds = Credentials(org.api_key.access_key_id, secret or org.api_key.secret_access_key)
    SigV4Auth(creds, "sagemaker", org.region).add_auth(aws)
    return urllib.request.Request(url, headers=dict(aws.headers.items()), method="GET")


def test_a_sigv4_signed_rest_call_authenticates_as_the_organization(live_server_url: str) -> None:
    org, other = make_org(), make_org()
    task_ui_factory(org.organization, "mine")
    task_ui_factory(other.organization, "theirs")
    with urllib.request.urlopen(_signed_get(org, f"{live_server_url}/api/v1/task-uis")) as resp:
        body = json.loads(resp.read())
    text = json.dumps(body)
    assert "mine" in text
    assert "theirs" not in text


def test_a_bad_sigv4_signature_on_a_rest_call_is_refused(live_server_url: str) -> None:
    org = make_org()
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(_signed_get(org, f"{live_server_url}/api/v1/task-uis", secret="x" * 40))
    assert info.value.code in (401, 403)
    assert "InvalidSignatureException" in info.value.read().decode()
