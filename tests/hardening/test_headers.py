"""Security headers: portal pages, API answers and the task frame's own stricter policy."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from config.middleware import PORTAL_CSP
from tests.conftest import Org

pytestmark = pytest.mark.django_db


def test_a_portal_page_allows_only_its_own_origin() -> None:
    response = Client().get("/accounts/login/")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-eval" not in csp
    assert "https:" not in csp
    assert "camera=()" in response["Permissions-Policy"]
    assert "Strict-Transport-Security" not in response


def test_an_api_answer_allows_nothing(org: Org) -> None:
    response = Client().get("/api/v1/task-uis", HTTP_AUTHORIZATION=org.api_key_header)
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert "microphone=()" in response["Permissions-Policy"]


def test_the_task_frame_keeps_its_own_policy() -> None:
    response = Client().get("/task-frame/not-a-token/")
    assert response.status_code in (403, 404)
    assert response["Content-Security-Policy"] != PORTAL_CSP
    assert "default-src 'none'" in response["Content-Security-Policy"]


@override_settings(SECURE_HSTS_SECONDS=31_536_000)
def test_hsts_is_sent_on_https_when_configured() -> None:
    response = Client().get("/accounts/login/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
