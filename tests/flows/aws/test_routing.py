"""What the AWS routes leave to others: the portal home at "/", Django's own slash redirects, and
the expiring template URL of DescribeHumanTaskUi."""

from __future__ import annotations

import time
from unittest import mock

import pytest
from django.test import Client

from flows.aws import sagemaker, views
from tests.conftest import Org
from tests.flows.services.factories import task_ui_factory

pytestmark = pytest.mark.django_db


def test_get_root_is_the_portal_home(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_post_to_root_without_a_target_is_not_sagemaker(client: Client) -> None:
    response = client.post("/", data=b"{}", content_type="application/json")
    assert response.status_code == 302
    assert "x-amzn-RequestId" not in response


def test_a_bare_segment_still_gets_djangos_slash_redirect(client: Client) -> None:
    response = client.get("/accounts/login")
    assert response.status_code == 301
    assert response["Location"] == "/accounts/login/"
    assert client.get("/no-such-page").status_code == 404


def test_unknown_a2i_route_is_an_aws_error_not_a_page(client: Client) -> None:
    response = client.put("/human-loops/x", data=b"")
    assert response.status_code in (403, 404)
    assert response.json()["__type"] in ("MissingAuthenticationTokenException", "UnknownOperationException")


def test_template_url_expires_after_an_hour(org: Org) -> None:
    from django.test import RequestFactory

    ui = task_ui_factory(org.organization, "expiring")
    url = sagemaker.template_url(RequestFactory().get("/"), ui)
    token = url.rstrip("/").rsplit("/", 1)[-1]
    assert views.task_ui_template(RequestFactory().get(url), token).content.decode() == ui.template
    later = time.time() + sagemaker.TEMPLATE_URL_MAX_AGE + 5
    with mock.patch("django.core.signing.time.time", return_value=later):
        expired = views.task_ui_template(RequestFactory().get(url), token)
    assert expired.status_code == 403
    assert b"expired" in expired.content
