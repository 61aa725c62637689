"""The OpenAPI description is valid OpenAPI 3, lists every REST path, and its docs page loads
only local assets."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.test import Client
from openapi_spec_validator import validate

from flows.api.urls import urlpatterns

pytestmark = pytest.mark.django_db


def _rest_paths() -> set[str]:
    paths = set()
    for pattern in urlpatterns:
        route = str(pattern.pattern)
        if route.startswith("^") or route.startswith("worker/"):
            continue
        paths.add("/api/v1/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route))
    return paths


def test_the_schema_command_validates_without_warnings(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # when / then: raises (SystemExit / CommandError) on an error or a warning
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert (tmp_path / "schema.yaml").read_text().startswith("openapi: 3")


def test_the_served_schema_is_openapi_3_and_lists_every_rest_path() -> None:
    # when
    response = Client().get("/api/schema/", {"format": "json"})
    # then
    assert response.status_code == 200
    schema = response.json()
    validate(schema)
    missing = _rest_paths() - set(schema["paths"])
    assert not missing, missing
    assert len(_rest_paths()) >= 20


def test_the_docs_page_loads_only_local_assets() -> None:
    # when
    response = Client().get("/api/docs/")
    # then
    assert response.status_code == 200
    html = response.content.decode()
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert any(u.startswith("/static/") for u in urls), urls
    assert not re.search(r"https?://(?!testserver)", html), re.findall(r"https?://[^\s\"']+", html)
