"""The review stage over REST: who may list, read and decide reviews (roles, reviewer teams, API
keys, worker tokens), another organization's reviews answer 404, errors are problem bodies, and
the flow's review setting is for engineers."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from flows.models import HumanLoop, HumanLoopStatus
from reviews.models import LoopReview, ReviewStatus
from reviews.services import flow_review_set
from tests.conftest import Org
from tests.flows.work.factories import flow_factory, loop_factory, team_factory, worker_factory
from tests.reviews.test_review_stage import answer_all, reviewed_flow
from workforce.models import Membership, Role, User

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def client_for(org: Org, who: str) -> tuple[Client, User | None]:
    client = Client()
    if who == "api_key":
        client.defaults["HTTP_AUTHORIZATION"] = org.api_key_header
        return client, None
    if who == "anonymous":
        return client, None
    user = User.objects.create_user(email=f"{who}-{User.objects.count()}@x.test", password="pw-Member-123!")
    if who != "no_membership":
        Membership.objects.create(organization=org.organization, user=user, role=Role(who))
    client.force_login(user)
    return client, user


def pending_review(org: Org, *, label: str = "cat", flow: Any = None) -> LoopReview:
    flow = flow or reviewed_flow(org, task_count=1)
    loop = loop_factory(org, flow)
    answer_all(org, flow, loop, [label])
    return LoopReview.objects.get(loop=loop)


EXPECTED = {
    "admin": 200,
    "engineer": 200,
    "team_lead": 200,
    "worker": 403,
    "no_membership": 403,
    "anonymous": 401,
    "api_key": 200,
}


@pytest.mark.parametrize("who", list(EXPECTED))
def test_role_table_for_list_describe_and_accept(org: Org, who: str) -> None:
    review = pending_review(org)
    client, _ = client_for(org, who)
    listed = client.get("/api/v1/reviews", {"status": "pending"})
    described = client.get(f"/api/v1/reviews/{review.pk}")
    accepted = client.post(f"/api/v1/reviews/{review.pk}/accept", {}, content_type="application/json")
    for response in (listed, described, accepted):
        assert response.status_code == EXPECTED[who], (who, response.content)
    if EXPECTED[who] == 200:
        assert [r["id"] for r in listed.json()["results"]] == [review.pk]
        assert described.json()["answers"][0]["answer_content"] == {"label": "cat"}
        assert accepted.json()["status"] == "accepted"
        assert HumanLoop.objects.get(pk=review.loop_id).status == HumanLoopStatus.COMPLETED
    else:
        assert accepted["Content-Type"] == PROBLEM
        assert LoopReview.objects.get(pk=review.pk).status == ReviewStatus.PENDING


def test_reviewer_team_member_with_a_worker_token(org: Org) -> None:
    qa = team_factory(org.organization, name="qa")
    flow = flow_factory(org, task_count=1)
    flow_review_set(organization=org.organization, flow=flow, enabled=True, reviewer_workteam="qa")
    review = pending_review(org, flow=flow)
    hidden = pending_review(org)  # a flow without a reviewer team
    reviewer = worker_factory(org, team=qa)
    client = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=reviewer).key}")
    # when
    listed = client.get("/api/v1/reviews")
    assert [r["id"] for r in listed.json()["results"]] == [review.pk]
    assert client.get(f"/api/v1/reviews/{hidden.pk}").status_code == 404
    corrected = client.post(
        f"/api/v1/reviews/{review.pk}/correct",
        {"answer": {"label": "dog"}, "note": "it is a dog"},
        content_type="application/json",
    )
    # then
    assert corrected.status_code == 200, corrected.content
    body = corrected.json()
    assert body["status"] == "corrected"
    assert body["final_answer"] == {"answerContent": {"label": "dog"}, "confidence": 1.0, "method": "review"}
    assert body["reviewer"] == {"worker_id": reviewer.worker_id, "email": reviewer.email}
    assert body["note"] == "it is a dog"
    assert HumanLoop.objects.get(pk=review.loop_id).consolidated_answer == body["final_answer"]


def test_another_organizations_reviews_are_404_and_unchanged(org: Org, other_org: Org) -> None:
    theirs = pending_review(other_org)
    ours = pending_review(org)
    client = Client(HTTP_AUTHORIZATION=org.api_key_header)
    assert [r["id"] for r in client.get("/api/v1/reviews").json()["results"]] == [ours.pk]
    for response in (
        client.get(f"/api/v1/reviews/{theirs.pk}"),
        client.post(f"/api/v1/reviews/{theirs.pk}/accept", {}, content_type="application/json"),
        client.post(f"/api/v1/reviews/{theirs.pk}/correct", {"answer": {"x": 1}}, content_type="application/json"),
        client.get(f"/api/v1/reviews/{2**63 + 5}"),
    ):
        assert response.status_code == 404, response.content
        assert response["Content-Type"] == PROBLEM
        assert response.json()["code"] == "not_found"
    assert LoopReview.objects.get(pk=theirs.pk).status == ReviewStatus.PENDING
    # and their admin's session sees nothing of ours
    session = Client()
    session.force_login(other_org.admin)
    assert [r["id"] for r in session.get("/api/v1/reviews").json()["results"]] == [theirs.pk]


def test_second_decision_is_409_and_bad_corrections_are_400(org: Org) -> None:
    review = pending_review(org)
    client = Client(HTTP_AUTHORIZATION=org.api_key_header)
    for body, field in [
        ({"answer": ["x"]}, "answer"),
        ({"answer": "text"}, "answer"),
        ({}, "answer"),
        ({"answer": {"a": 1}, "extra": 1}, "extra"),
        ({"answer": {"a": 1}, "note": "n" * 2001}, "note"),
    ]:
        response = client.post(f"/api/v1/reviews/{review.pk}/correct", body, content_type="application/json")
        assert response.status_code == 400, (body, response.content)
        assert response["Content-Type"] == PROBLEM
        assert field in response.json()["errors"], response.json()
    bad_json = client.post(f"/api/v1/reviews/{review.pk}/correct", "{not json", content_type="application/json")
    assert bad_json.status_code == 400
    assert LoopReview.objects.get(pk=review.pk).status == ReviewStatus.PENDING
    assert client.post(f"/api/v1/reviews/{review.pk}/accept", {}, content_type="application/json").status_code == 200
    again = client.post(f"/api/v1/reviews/{review.pk}/correct", {"answer": {"a": 1}}, content_type="application/json")
    assert again.status_code == 409
    assert again["Content-Type"] == PROBLEM
    assert "already accepted" in again.json()["detail"]


def test_list_filters_and_cursor_pagination(org: Org) -> None:
    flow_a = reviewed_flow(org, task_count=1, name="flow-a")
    flow_b = reviewed_flow(org, task_count=1, name="flow-b")
    a = [pending_review(org, flow=flow_a) for _ in range(3)]
    b = pending_review(org, flow=flow_b)
    client = Client(HTTP_AUTHORIZATION=org.api_key_header)
    client.post(f"/api/v1/reviews/{a[0].pk}/accept", {}, content_type="application/json")
    page = client.get("/api/v1/reviews", {"status": "pending", "flow_definition_name": "flow-a", "page_size": "1"})
    assert page.status_code == 200
    seen = [r["id"] for r in page.json()["results"]]
    nxt = page.json()["next"]
    while nxt:
        page = client.get(nxt)
        seen += [r["id"] for r in page.json()["results"]]
        nxt = page.json()["next"]
    assert seen == [a[2].pk, a[1].pk]
    assert [r["id"] for r in client.get("/api/v1/reviews", {"status": "accepted"}).json()["results"]] == [a[0].pk]
    everything = client.get("/api/v1/reviews", {"order": "ascending"}).json()["results"]
    assert [r["id"] for r in everything] == [a[0].pk, a[1].pk, a[2].pk, b.pk]
    bad = client.get("/api/v1/reviews", {"status": "maybe"})
    assert bad.status_code == 400
    assert "status" in bad.json()["errors"]


@pytest.mark.parametrize(
    ("who", "status"),
    [("admin", 200), ("engineer", 200), ("api_key", 200), ("team_lead", 403), ("worker", 403), ("anonymous", 401)],
)
def test_flow_review_setting_is_for_engineers(org: Org, who: str, status: int) -> None:
    flow_factory(org, name="f1")
    team_factory(org.organization, name="qa")
    client, _ = client_for(org, who)
    put = client.put(
        "/api/v1/flow-definitions/f1/review",
        {"enabled": True, "reviewer_workteam": "qa"},
        content_type="application/json",
    )
    got = client.get("/api/v1/flow-definitions/f1/review")
    assert put.status_code == status, put.content
    assert got.status_code == status
    if status == 200:
        assert put.json() == {"enabled": True, "reviewer_workteam": "qa"}
        assert got.json() == {"enabled": True, "reviewer_workteam": "qa"}


def test_flow_review_setting_errors(org: Org, other_org: Org) -> None:
    flow_factory(org, name="f1")
    flow_factory(other_org, name="theirs")
    client = Client(HTTP_AUTHORIZATION=org.api_key_header)
    missing_team = client.put(
        "/api/v1/flow-definitions/f1/review",
        {"enabled": True, "reviewer_workteam": "nope"},
        content_type="application/json",
    )
    assert missing_team.status_code == 400
    assert "reviewer_workteam" in missing_team.json()["errors"]
    assert client.get("/api/v1/flow-definitions/f1/review").json() == {"enabled": False, "reviewer_workteam": None}
    assert (
        client.put(
            "/api/v1/flow-definitions/theirs/review", {"enabled": True}, content_type="application/json"
        ).status_code
        == 404
    )
    assert client.get("/api/v1/flow-definitions/theirs/review").status_code == 404
    not_bool = client.put("/api/v1/flow-definitions/f1/review", {"enabled": "perhaps"}, content_type="application/json")
    assert not_bool.status_code == 400
    off = client.put("/api/v1/flow-definitions/f1/review", {"enabled": False}, content_type="application/json")
    assert off.json() == {"enabled": False, "reviewer_workteam": None}


def test_session_posts_need_csrf(org: Org) -> None:
    review = pending_review(org)
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.admin)
    response = client.post(f"/api/v1/reviews/{review.pk}/accept", {}, content_type="application/json")
    assert response.status_code == 403
    assert LoopReview.objects.get(pk=review.pk).status == ReviewStatus.PENDING


def _flow_body(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "human_task_ui": "ui-r",
        "workteam": "default",
        "task_title": "Label",
        "task_description": "Label it",
        "task_count": 1,
        "output_s3_path": "s3://bucket/out",
        **extra,
    }


def test_review_set_at_creation_through_rest_and_shown_by_describe(org: Org) -> None:
    from flows.models import FlowDefinition
    from tests.flows.work.factories import TEMPLATE

    team_factory(org.organization, name="qa")
    client = Client(HTTP_AUTHORIZATION=org.api_key_header)
    assert client.post(
        "/api/v1/task-uis", {"name": "ui-r", "template": TEMPLATE}, content_type="application/json"
    ).status_code in (200, 201)
    created = client.post(
        "/api/v1/flow-definitions",
        _flow_body("with-review", review={"enabled": True, "reviewer_workteam": "qa"}),
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["review"] == {"enabled": True, "reviewer_workteam": "qa"}
    assert client.get("/api/v1/flow-definitions/with-review").json()["review"] == {
        "enabled": True,
        "reviewer_workteam": "qa",
    }
    plain = client.post("/api/v1/flow-definitions", _flow_body("plain"), content_type="application/json")
    assert plain.json()["review"] == {"enabled": False, "reviewer_workteam": None}
    # a reviewer team that is not the organization's: refused, and no flow is created
    refused = client.post(
        "/api/v1/flow-definitions",
        _flow_body("refused", review={"enabled": True, "reviewer_workteam": "nope"}),
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert refused["Content-Type"] == PROBLEM
    assert "review.reviewer_workteam" in refused.json()["errors"], refused.json()
    missing_enabled = client.post(
        "/api/v1/flow-definitions", _flow_body("refused", review={}), content_type="application/json"
    )
    assert missing_enabled.status_code == 400
    assert not FlowDefinition.objects.filter(organization=org.organization, name="refused").exists()
