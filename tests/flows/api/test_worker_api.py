"""The worker REST API contract: token, claim, submit, release; with DRF's APIClient and over real
HTTP against the live server (`manage.py serve`)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from allauth.account.models import EmailAddress
from rest_framework.test import APIClient

from flows.models import Answer, HumanLoopStatus, Task, TaskStatus
from flows.services.work import MAX_ANSWER_CONTENT
from tests.flows.work.factories import flow_factory, loop_factory, org_factory, worker_factory
from workforce.models import User

PASSWORD = "pw-W0rker-123!"
BASE = "/api/v1/worker"


def _token_client(user: User) -> APIClient:
    from rest_framework.authtoken.models import Token

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def _problem(resp: Any, status: int) -> dict[str, Any]:
    assert resp.status_code == status, resp.content
    assert resp["Content-Type"].startswith("application/problem+json")
    body = resp.json()
    assert body["status"] == status
    assert body["detail"]
    return body


@pytest.mark.django_db
class TestToken:
    def test_good_credentials_give_a_token_that_authenticates(self) -> None:
        org = org_factory()
        loop_factory(org, flow_factory(org))
        worker = worker_factory(org)
        resp = APIClient().post(f"{BASE}/token", {"email": worker.email.upper(), "password": PASSWORD}, format="json")
        assert resp.status_code == 200
        token = resp.json()["token"]
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        assert client.post(f"{BASE}/tasks/claim", {}, format="json").status_code == 200

    @pytest.mark.parametrize(("email", "password"), [("worker@nowhere.test", PASSWORD), (None, "wrong-password")])
    def test_bad_credentials_are_refused(self, email: str | None, password: str) -> None:
        org = org_factory()
        worker = worker_factory(org)
        resp = APIClient().post(f"{BASE}/token", {"email": email or worker.email, "password": password}, format="json")
        assert "Wrong e-mail address or password" in _problem(resp, 401)["detail"]

    def test_missing_fields_are_a_400(self) -> None:
        body = _problem(APIClient().post(f"{BASE}/token", {"email": "a@b.test"}, format="json"), 400)
        assert "password" in body["errors"]

    def test_an_inactive_account_is_refused(self) -> None:
        worker = worker_factory(org_factory())
        worker.is_active = False
        worker.save()
        resp = APIClient().post(f"{BASE}/token", {"email": worker.email, "password": PASSWORD}, format="json")
        assert "inactive" in _problem(resp, 403)["detail"]

    def test_an_unverified_address_is_refused(self) -> None:
        worker = worker_factory(org_factory())
        EmailAddress.objects.filter(user=worker).update(verified=False)
        resp = APIClient().post(f"{BASE}/token", {"email": worker.email, "password": PASSWORD}, format="json")
        assert "Verify your e-mail" in _problem(resp, 403)["detail"]


@pytest.mark.django_db
class TestClaimSubmitRelease:
    def test_claim_returns_the_task_and_204_when_no_work(self) -> None:
        # given
        org = org_factory()
        flow = flow_factory(org, time_limit=300)
        loop = loop_factory(org, flow, text="a cat")
        client = _token_client(worker_factory(org))
        # when
        resp = client.post(f"{BASE}/tasks/claim", {}, format="json")
        # then
        assert resp.status_code == 200
        body = resp.json()
        task = Task.objects.get(loop=loop)
        assert body == {
            "task_id": task.pk,
            "human_loop_name": loop.name,
            "flow_definition_arn": flow.arn,
            "input_content": {"text": "a cat"},
            "lease_expires_at": body["lease_expires_at"],
        }
        assert body["lease_expires_at"].startswith(task.lease_expires_at.strftime("%Y-%m-%dT%H:%M:%S"))
        empty = client.post(f"{BASE}/tasks/claim", {}, format="json")
        assert empty.status_code == 204
        assert empty.content == b""

    def test_claim_of_a_flow_you_may_not_work_on_is_a_404(self) -> None:
        org, other = org_factory(), org_factory()
        foreign = flow_factory(other)
        loop_factory(other, foreign)
        client = _token_client(worker_factory(org))
        resp = client.post(f"{BASE}/tasks/claim", {"flow_definition_name": foreign.name}, format="json")
        _problem(resp, 404)
        assert not Task.objects.filter(status=TaskStatus.LEASED).exists()

    def test_submit_records_the_answer_and_claim_next_returns_the_next_task(self) -> None:
        org = org_factory()
        flow = flow_factory(org)
        first = loop_factory(org, flow)
        second = loop_factory(org, flow, text="second")
        client = _token_client(worker_factory(org))
        task_id = client.post(f"{BASE}/tasks/claim", {}, format="json").json()["task_id"]
        # when
        resp = client.post(
            f"{BASE}/tasks/{task_id}/submit", {"answerContent": {"label": "cat"}, "claim_next": True}, format="json"
        )
        # then
        assert resp.status_code == 200
        body = resp.json()
        assert body["human_loop_name"] == first.name
        assert body["human_loop_status"] == HumanLoopStatus.COMPLETED
        assert body["next"]["human_loop_name"] == second.name
        assert body["next"]["input_content"] == {"text": "second"}
        assert Answer.objects.get(task_id=task_id).answer_content == {"label": "cat"}
        last = client.post(
            f"{BASE}/tasks/{body['next']['task_id']}/submit", {"answerContent": {}, "claim_next": True}, format="json"
        )
        assert last.json()["next"] is None
        plain = client.post(f"{BASE}/tasks/{task_id}/submit", {"answerContent": {}}, format="json")
        _problem(plain, 409)

    def test_submit_without_claim_next_has_no_next_member(self) -> None:
        org = org_factory()
        loop_factory(org, flow_factory(org, task_count=2))
        client = _token_client(worker_factory(org))
        task_id = client.post(f"{BASE}/tasks/claim", {}, format="json").json()["task_id"]
        body = client.post(f"{BASE}/tasks/{task_id}/submit", {"answerContent": {"a": 1}}, format="json").json()
        assert "next" not in body
        assert body["human_loop_status"] == HumanLoopStatus.IN_PROGRESS

    @pytest.mark.parametrize("answer", [["not", "an", "object"], "text", None])
    def test_an_answer_that_is_not_an_object_is_a_clear_400(self, answer: Any) -> None:
        org = org_factory()
        loop_factory(org, flow_factory(org))
        client = _token_client(worker_factory(org))
        task_id = client.post(f"{BASE}/tasks/claim", {}, format="json").json()["task_id"]
        resp = client.post(f"{BASE}/tasks/{task_id}/submit", {"answerContent": answer}, format="json")
        body = _problem(resp, 400)
        assert "answerContent" in body["errors"]
        assert not Answer.objects.exists()

    def test_missing_answer_content_and_broken_json_are_400s(self) -> None:
        org = org_factory()
        loop_factory(org, flow_factory(org))
        client = _token_client(worker_factory(org))
        task_id = client.post(f"{BASE}/tasks/claim", {}, format="json").json()["task_id"]
        assert (
            "answerContent" in _problem(client.post(f"{BASE}/tasks/{task_id}/submit", {}, format="json"), 400)["errors"]
        )
        broken = client.post(f"{BASE}/tasks/{task_id}/submit", "{nope", content_type="application/json")
        _problem(broken, 400)
        assert Task.objects.get(pk=task_id).status == TaskStatus.LEASED

    def test_an_answer_over_3_mib_is_a_400(self) -> None:
        org = org_factory()
        loop_factory(org, flow_factory(org))
        client = _token_client(worker_factory(org))
        task_id = client.post(f"{BASE}/tasks/claim", {}, format="json").json()["task_id"]
        resp = client.post(
            f"{BASE}/tasks/{task_id}/submit", {"answerContent": {"x": "a" * MAX_ANSWER_CONTENT}}, format="json"
        )
        assert "limit" in _problem(resp, 400)["detail"]
        assert not Answer.objects.exists()

    def test_submitting_someone_elses_or_a_missing_task_is_a_404(self) -> None:
        org = org_factory()
        loop_factory(org, flow_factory(org))
        holder, other = _token_client(worker_factory(org)), _token_client(worker_factory(org))
        task_id = holder.post(f"{BASE}/tasks/claim", {}, format="json").json()["task_id"]
        _problem(other.post(f"{BASE}/tasks/{task_id}/submit", {"answerContent": {}}, format="json"), 404)
        _problem(other.post(f"{BASE}/tasks/{task_id}/release", format="json"), 404)
        _problem(other.post(f"{BASE}/tasks/{10**30}/submit", {"answerContent": {}}, format="json"), 404)
        assert Task.objects.get(pk=task_id).status == TaskStatus.LEASED

    def test_release_returns_the_task_to_others_and_a_later_submit_is_refused(self) -> None:
        org = org_factory()
        loop_factory(org, flow_factory(org))
        worker = worker_factory(org)
        client, other = _token_client(worker), _token_client(worker_factory(org))
        task_id = client.post(f"{BASE}/tasks/claim", {}, format="json").json()["task_id"]
        resp = client.post(f"{BASE}/tasks/{task_id}/release", format="json")
        assert resp.status_code == 200
        assert resp.json() == {"task_id": task_id, "released": True}
        assert (
            "released"
            in _problem(client.post(f"{BASE}/tasks/{task_id}/submit", {"answerContent": {}}, format="json"), 400)[
                "detail"
            ]
        )
        assert client.post(f"{BASE}/tasks/claim", {}, format="json").status_code == 204
        assert other.post(f"{BASE}/tasks/claim", {}, format="json").json()["task_id"] == task_id


@pytest.mark.django_db
class TestWhoMayCall:
    def test_an_api_key_is_refused_clearly(self) -> None:
        org = org_factory()
        loop_factory(org, flow_factory(org))
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=org.api_key_header)
        body = _problem(client.post(f"{BASE}/tasks/claim", {}, format="json"), 403)
        assert "API keys act for an organization" in body["detail"]

    def test_no_credentials_is_a_401_naming_the_token_scheme(self) -> None:
        resp = APIClient().post(f"{BASE}/tasks/claim", {}, format="json")
        _problem(resp, 401)
        assert resp["WWW-Authenticate"] == "Token"

    def test_a_bad_token_is_a_401(self) -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION="Token nope")
        _problem(client.post(f"{BASE}/tasks/claim", {}, format="json"), 401)

    def test_a_session_works_with_its_csrf_token_and_is_refused_without(self) -> None:
        org = org_factory()
        loop_factory(org, flow_factory(org))
        client = APIClient(enforce_csrf_checks=True)
        client.force_login(worker_factory(org))
        _problem(client.post(f"{BASE}/tasks/claim", {}, format="json"), 403)
        csrf = "a" * 32
        client.cookies["csrftoken"] = csrf
        resp = client.post(f"{BASE}/tasks/claim", {}, format="json", HTTP_X_CSRFTOKEN=csrf)
        assert resp.status_code == 200

    def test_the_operations_are_in_the_openapi_schema(self) -> None:
        resp = APIClient().get("/api/schema/?format=json")
        paths = json.loads(resp.content)["paths"]
        for path in ("token", "tasks/claim", "tasks/{task_id}/submit", "tasks/{task_id}/release"):
            assert f"{BASE}/{path}" in paths
        submit = paths[f"{BASE}/tasks/{{task_id}}/submit"]["post"]
        assert "answerContent" in json.dumps(submit) or submit["requestBody"]
        assert "204" in paths[f"{BASE}/tasks/claim"]["post"]["responses"]


@pytest.mark.django_db(transaction=True)
def test_the_contract_over_real_http(live_server_url: str) -> None:
    # given
    org = org_factory()
    flow = flow_factory(org, task_count=2)
    loop = loop_factory(org, flow, text="over http")
    worker, other = worker_factory(org), worker_factory(org)
    with requests.Session() as http:
        # when: a token, then claim / release / claim / submit with claim_next
        token = http.post(f"{live_server_url}{BASE}/token", json={"email": worker.email, "password": PASSWORD})
        assert token.status_code == 200, token.text
        http.headers["Authorization"] = f"Token {token.json()['token']}"
        claimed = http.post(f"{live_server_url}{BASE}/tasks/claim", json={"flow_definition_name": flow.name})
        assert claimed.status_code == 200, claimed.text
        task = claimed.json()
        assert task["human_loop_name"] == loop.name
        assert task["input_content"] == {"text": "over http"}
        submitted = http.post(
            f"{live_server_url}{BASE}/tasks/{task['task_id']}/submit",
            json={"answerContent": {"label": "ok"}, "claim_next": True},
        )
        assert submitted.status_code == 200, submitted.text
        assert submitted.json()["next"] is None
        again = http.post(f"{live_server_url}{BASE}/tasks/{task['task_id']}/submit", json={"answerContent": {}})
        assert again.status_code == 409
        assert again.headers["Content-Type"].startswith("application/problem+json")
        assert http.post(f"{live_server_url}{BASE}/tasks/claim", json={}).status_code == 204
        bad = http.post(f"{live_server_url}{BASE}/tasks/{task['task_id']}/release")
        assert bad.status_code == 409
    with requests.Session() as http2:
        http2.headers["Authorization"] = f"Token {_token_client(other)._credentials['HTTP_AUTHORIZATION'][6:]}"
        second = http2.post(f"{live_server_url}{BASE}/tasks/claim", json={})
        assert second.status_code == 200
        done = http2.post(
            f"{live_server_url}{BASE}/tasks/{second.json()['task_id']}/submit", json={"answerContent": {}}
        )
        assert done.json()["human_loop_status"] == HumanLoopStatus.COMPLETED
    loop.refresh_from_db()
    assert loop.status == HumanLoopStatus.COMPLETED
    assert Answer.objects.filter(loop=loop).count() == 2
