"""RenderUiTemplate over REST: POST /api/v1/render-ui-template."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from flows.models import HumanTaskUi
from flows.services.task_uis import task_ui_create
from tests.conftest import make_org

URL = "/api/v1/render-ui-template"


def _client(header: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    return client


@pytest.mark.django_db
def test_renders_a_template_with_a2i_escaping() -> None:
    org = make_org()
    body = {"template": "<p>{{ task.input.text }}</p><crowd-form></crowd-form>", "input": {"text": "it's <b>"}}
    response = _client(org.api_key_header).post(URL, body, format="json")
    assert response.status_code == 200, response.content
    assert "<p>it&#39;s &lt;b&gt;</p>" in response.json()["rendered_content"]
    assert response.json()["errors"] == []


@pytest.mark.django_db
def test_renders_a_stored_task_ui_by_name() -> None:
    org = make_org()
    task_ui_create(organization=org.organization, name="stored", content="<b>{{ task.input.n | plus: 1 }}</b>")
    response = _client(org.api_key_header).post(URL, {"task_ui_name": "stored", "input": {"n": 41}}, format="json")
    assert response.status_code == 200
    assert "<b>42</b>" in response.json()["rendered_content"]


@pytest.mark.django_db
def test_template_errors_come_back_in_errors_with_200() -> None:
    org = make_org()
    response = _client(org.api_key_header).post(URL, {"template": "{% if %}", "input": {}}, format="json")
    assert response.status_code == 200
    assert [e["code"] for e in response.json()["errors"]] == ["TemplateSyntaxError"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        {"input": {}},
        {"template": "x", "task_ui_name": "y", "input": {}},
        {"template": "x"},
        {"template": "x", "input": {}, "unknown": 1},
    ],
)
def test_bad_requests_get_a_problem_body(body: dict) -> None:
    org = make_org()
    response = _client(org.api_key_header).post(URL, body, format="json")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")


@pytest.mark.django_db
def test_another_organizations_task_ui_is_not_found() -> None:
    owner, other = make_org(), make_org()
    task_ui_create(organization=owner.organization, name="secret", content="<p>owner's</p>")
    response = _client(other.api_key_header).post(URL, {"task_ui_name": "secret", "input": {}}, format="json")
    assert response.status_code == 404
    assert "owner's" not in response.content.decode()
    assert HumanTaskUi.objects.filter(name="secret").count() == 1
