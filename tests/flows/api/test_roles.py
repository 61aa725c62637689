"""Who may call each REST control-plane operation: a table of role x endpoint x method, with
sessions (admin, engineer, team lead, worker, a user of no organization), no credentials at all,
and the organization's API key; another organization's callers get a 404 for every named
resource; and the work team create / update / delete happy paths through REST.

Rules (flows/api/access.py, audit/api.py, reviews/api.py): the control plane is for API keys,
admins and engineers; worker quality adds team leads; reviews add team leads (and reviewer
teams); the audit log is for API keys and admins. Anonymous calls are 401 with WWW-Authenticate,
wrong roles 403, both as problem bodies. An allowed call must have its effect, a refused one none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from flows.models import FlowDefinition, HumanLoop, HumanLoopStatus, HumanTaskUi, Webhook
from flows.models.outputs import BucketMapping
from flows.services.gold import gold_items_create
from flows.services.outputs import bucket_mapping_create
from flows.services.workteams import workteam_create
from reviews.models import LoopReview, ReviewStatus
from tests.conftest import Org, make_org
from tests.flows.api.factories import problem_of
from tests.flows.services.factories import TEMPLATE, flow_factory, loop_factory, task_ui_factory
from workforce.models import Membership, Organization, Role, User, Workteam

pytestmark = pytest.mark.django_db

OIDC_MEMBERS = [{"oidc_member_definition": {"groups": ["reviewers"]}}]
GOLD = {"input_content": {"img": "s3://b/g.png"}, "answer": {"label": "cat"}, "replicas": 2, "alias": "g-1"}

# Who may call, per rule.
ALLOWED = {
    "engineer": {"admin", "engineer", "api_key"},
    "quality": {"admin", "engineer", "team_lead", "api_key"},
    "reviewer": {"admin", "engineer", "team_lead", "api_key"},
    "admin": {"admin", "api_key"},
}
ROLES = ["admin", "engineer", "team_lead", "worker", "no_membership", "anonymous", "api_key"]


@dataclass(frozen=True)
class Op:
    method: str
    path: str  # {gold}, {webhook}, {review}, {review2} are filled in from the setup
    body: Any = None
    rule: str = "engineer"
    #: True once the call has had its effect (checked after an allowed call; a refused call must
    #: leave it False).
    done: Callable[[Organization, dict[str, Any]], bool] | None = None


def _ui_live(org: Organization, name: str) -> bool:
    return HumanTaskUi.objects.filter(organization=org, name=name, deleted_at__isnull=True).exists()


def _flow_live(org: Organization, name: str) -> bool:
    return FlowDefinition.objects.filter(organization=org, name=name, deleted_at__isnull=True).exists()


def _loop(org: Organization, name: str) -> HumanLoop | None:
    return HumanLoop.objects.filter(organization=org, name=name, deleted_at__isnull=True).first()


def _review_enabled(org: Organization, flow_name: str) -> bool:
    from reviews.services import flow_review_of

    config = flow_review_of(FlowDefinition.objects.get(organization=org, name=flow_name))
    return bool(config and config.enabled)


def _review_status(w: dict[str, Any], key: str) -> str:
    return LoopReview.objects.get(pk=w[key]).status


OPERATIONS: list[Op] = [
    Op("get", "/api/v1/task-uis"),
    Op("post", "/api/v1/task-uis", {"name": "new-ui", "template": TEMPLATE}, done=lambda o, w: _ui_live(o, "new-ui")),
    Op("get", "/api/v1/task-uis/r-ui"),
    Op("delete", "/api/v1/task-uis/spare-ui", done=lambda o, w: not _ui_live(o, "spare-ui")),
    Op("post", "/api/v1/render-ui-template", {"task_ui_name": "r-ui", "input": {"text": "x"}}),
    Op("get", "/api/v1/flow-definitions"),
    Op(
        "post",
        "/api/v1/flow-definitions",
        {
            "name": "new-flow",
            "human_task_ui": "r-ui",
            "workteam": "default",
            "task_title": "t",
            "task_description": "d",
            "task_count": 1,
            "output_s3_path": "s3://bucket/out",
        },
        done=lambda o, w: _flow_live(o, "new-flow"),
    ),
    Op("get", "/api/v1/flow-definitions/r-flow"),
    Op("delete", "/api/v1/flow-definitions/spare-flow", done=lambda o, w: not _flow_live(o, "spare-flow")),
    Op("get", "/api/v1/flow-definitions/r-flow/export"),
    Op(
        "post",
        "/api/v1/flow-definitions/r-flow/route",
        {"humanLoopName": "routed", "input": {"x": 1}, "prediction": {"label": "cat", "score": 0.5}},
    ),
    Op("get", "/api/v1/flow-definitions/r-flow/calibration"),
    Op("get", "/api/v1/flow-definitions/r-flow/review"),
    Op(
        "put",
        "/api/v1/flow-definitions/r-flow/review",
        {"enabled": True},
        done=lambda o, w: _review_enabled(o, "r-flow"),
    ),
    Op("get", "/api/v1/flow-definitions/r-flow/gold-items"),
    Op(
        "post",
        "/api/v1/flow-definitions/r-flow/gold-items",
        {**GOLD, "alias": "g-new"},
        done=lambda o, w: HumanLoop.objects.filter(organization=o, is_gold=True).count() == 2,
    ),
    Op(
        "delete",
        "/api/v1/flow-definitions/r-flow/gold-items/{gold}",
        done=lambda o, w: HumanLoop.objects.get(pk=w["gold"]).deleted_at is not None,
    ),
    Op("get", "/api/v1/flow-definitions/r-flow/worker-quality", rule="quality"),
    Op("get", "/api/v1/human-loops"),
    Op(
        "post",
        "/api/v1/human-loops",
        {"name": "new-loop", "flow_definition": "r-flow", "input_content": {"x": 1}},
        done=lambda o, w: _loop(o, "new-loop") is not None,
    ),
    Op(
        "post",
        "/api/v1/human-loops/batch",
        {"flow_definition": "r-flow", "items": [{"name": "b-1", "input_content": {"x": 1}}]},
        done=lambda o, w: _loop(o, "b-1") is not None,
    ),
    Op("get", "/api/v1/human-loops/r-loop"),
    Op(
        "post",
        "/api/v1/human-loops/r-loop/stop",
        done=lambda o, w: _loop(o, "r-loop").status != HumanLoopStatus.IN_PROGRESS,  # type: ignore[union-attr]
    ),
    Op("delete", "/api/v1/human-loops/done-loop", done=lambda o, w: _loop(o, "done-loop") is None),
    Op("get", "/api/v1/workteams"),
    Op(
        "post",
        "/api/v1/workteams",
        {"name": "new-team", "description": "d", "member_definitions": OIDC_MEMBERS},
        done=lambda o, w: Workteam.objects.filter(organization=o, name="new-team").exists(),
    ),
    Op("get", "/api/v1/workteams/default"),
    Op(
        "patch",
        "/api/v1/workteams/default",
        {"description": "changed"},
        done=lambda o, w: Workteam.objects.get(organization=o, name="default").description == "changed",
    ),
    Op(
        "delete",
        "/api/v1/workteams/spare-team",
        done=lambda o, w: not Workteam.objects.filter(organization=o, name="spare-team").exists(),
    ),
    Op("get", "/api/v1/webhooks"),
    Op(
        "post",
        "/api/v1/webhooks",
        {"url": "http://127.0.0.1:9/new"},
        done=lambda o, w: Webhook.objects.filter(organization=o, url="http://127.0.0.1:9/new").exists(),
    ),
    Op("get", "/api/v1/webhooks/{webhook}"),
    Op(
        "patch",
        "/api/v1/webhooks/{webhook}",
        {"active": False},
        done=lambda o, w: not Webhook.objects.get(pk=w["webhook"]).active,
    ),
    Op(
        "delete",
        "/api/v1/webhooks/{webhook}",
        done=lambda o, w: not Webhook.objects.filter(pk=w["webhook"]).exists(),
    ),
    Op("get", "/api/v1/webhooks/{webhook}/deliveries"),
    Op("get", "/api/v1/bucket-mappings"),
    Op(
        "post",
        "/api/v1/bucket-mappings",
        {"bucket": "new-bucket", "local_path": "{root}/new"},
        done=lambda o, w: BucketMapping.objects.filter(organization=o, bucket="new-bucket").exists(),
    ),
    Op("get", "/api/v1/bucket-mappings/r-bucket"),
    Op(
        "delete",
        "/api/v1/bucket-mappings/r-bucket",
        done=lambda o, w: not BucketMapping.objects.filter(organization=o, bucket="r-bucket").exists(),
    ),
    Op("get", "/api/v1/audit-log", rule="admin"),
    Op("get", "/api/v1/reviews", rule="reviewer"),
    Op("get", "/api/v1/reviews/{review}", rule="reviewer"),
    Op(
        "post",
        "/api/v1/reviews/{review}/accept",
        {},
        rule="reviewer",
        done=lambda o, w: _review_status(w, "review") == ReviewStatus.ACCEPTED,
    ),
    Op(
        "post",
        "/api/v1/reviews/{review2}/correct",
        {"answer": {"label": "dog"}},
        rule="reviewer",
        done=lambda o, w: _review_status(w, "review2") == ReviewStatus.CORRECTED,
    ),
]


def _pending_review(org: Org, flow: FlowDefinition) -> int:
    from tests.reviews.test_review_stage import answer_all

    loop = loop_factory(org.organization, flow)
    answer_all(org, flow, loop, ["cat"])
    return LoopReview.objects.get(loop=loop).pk


def world(org: Org, root: Path, *, reviews: bool = False) -> dict[str, Any]:
    """The resources the operations name, in ``org``."""
    from reviews.services import flow_review_set

    a = org.organization
    ui = task_ui_factory(a, name="r-ui")
    task_ui_factory(a, name="spare-ui")
    flow = flow_factory(a, name="r-flow", ui=ui)
    flow_factory(a, name="spare-flow", ui=ui)
    loop_factory(a, flow, name="r-loop")
    done = loop_factory(a, flow, name="done-loop")
    HumanLoop.objects.filter(pk=done.pk).update(status=HumanLoopStatus.STOPPED)
    workteam_create(organization=a, name="spare-team", description="d", member_definitions=_pascal(OIDC_MEMBERS))
    webhook = Webhook.objects.create(organization=a, url="http://127.0.0.1:9/hook", active=True)
    bucket_mapping_create(organization=a, bucket="r-bucket", local_path=str(root / "r"))
    (gold,) = gold_items_create(organization=a, flow_name="r-flow", items=[GOLD])
    assert gold.item is not None
    w: dict[str, Any] = {"gold": gold.item.pk, "webhook": webhook.pk, "root": str(root)}
    if reviews:
        reviewed = flow_factory(a, name="reviewed-flow", ui=ui, task_count=1)
        flow_review_set(organization=a, flow=reviewed, enabled=True)
        w["review"] = _pending_review(org, reviewed)
        w["review2"] = _pending_review(org, reviewed)
    return w


def _pascal(value: Any) -> Any:
    from flows.api.workteams import pascal_keys

    return pascal_keys(value)


def client_for(org: Org, role: str) -> Client:
    client = Client(enforce_csrf_checks=False)
    if role == "api_key":
        client.defaults["HTTP_AUTHORIZATION"] = org.api_key_header
    elif role != "anonymous":
        user = User.objects.create_user(
            email=f"{role}-{User.objects.count()}@{org.account_id}.test", password="pw-Member-123!"
        )
        if role != "no_membership":
            Membership.objects.create(organization=org.organization, user=user, role=Role(role))
        client.force_login(user)
    return client


def _fill(value: Any, w: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return value.format(**w)
    if isinstance(value, dict):
        return {k: _fill(v, w) for k, v in value.items()}
    return value


def _call(client: Client, op: Op, w: dict[str, Any]) -> Any:
    kwargs: dict[str, Any] = {"content_type": "application/json"}
    if op.body is not None:
        kwargs["data"] = _fill(op.body, w)
    return getattr(client, op.method)(_fill(op.path, w), **kwargs)


@pytest.fixture
def mapped_roots(settings: Any, tmp_path: Path) -> Path:
    settings.LOUPE_OUTPUT_ROOTS = [str(tmp_path)]
    settings.LOUPE_WEBHOOK_ALLOW_PRIVATE = True
    return tmp_path


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("op", OPERATIONS, ids=[f"{o.method} {o.path}" for o in OPERATIONS])
def test_role_table(org: Org, mapped_roots: Path, role: str, op: Op) -> None:
    w = world(org, mapped_roots, reviews=op.rule == "reviewer")
    client = client_for(org, role)
    # when
    response = _call(client, op, w)
    # then
    if role in ALLOWED[op.rule]:
        assert 200 <= response.status_code < 300, (response.status_code, response.content[:300])
        if op.done is not None:
            assert op.done(org.organization, w), "the call answered 2xx but did not do its work"
        return
    expected = 401 if role == "anonymous" else 403
    assert response.status_code == expected, (response.status_code, response.content[:300])
    problem_of(response)
    if expected == 401:
        assert response.get("WWW-Authenticate"), "a 401 must say how to authenticate"
    if op.done is not None:
        assert not op.done(org.organization, w), "a refused call changed something"


# Operations on one named resource: another organization's callers get a 404 and change nothing.
# (Every organization has a team named "default": the spare team stands for the org's own.)
NAMED = [
    o
    for o in OPERATIONS
    if ("{" in o.path or o.path.count("/") > 3) and not o.path.endswith(("/batch", "/workteams/default"))
] + [
    Op("get", "/api/v1/workteams/spare-team"),
    Op(
        "patch",
        "/api/v1/workteams/spare-team",
        {"description": "changed"},
        done=lambda o, w: Workteam.objects.get(organization=o, name="spare-team").description == "changed",
    ),
]

# Operations naming another organization's flow or task UI as an input: refused (400 or 404),
# nothing created anywhere.
BY_REFERENCE = [
    o for o in OPERATIONS if o.method == "post" and o.path in ("/api/v1/human-loops", "/api/v1/flow-definitions")
] + [
    Op(
        "post",
        "/api/v1/human-loops/batch",
        {"flow_definition": "r-flow", "items": [{"name": "b-1", "input_content": {"x": 1}}]},
        done=lambda o, w: HumanLoop.objects.filter(name="b-1").exists(),
    ),
]


@pytest.mark.parametrize("role", ["admin", "engineer", "team_lead", "api_key"])
@pytest.mark.parametrize("op", NAMED, ids=[f"{o.method} {o.path}" for o in NAMED])
def test_another_organizations_resource_is_a_404(org: Org, mapped_roots: Path, role: str, op: Op) -> None:
    w = world(org, mapped_roots, reviews=op.rule == "reviewer")
    stranger = make_org()
    client = client_for(stranger, role)
    # when
    response = _call(client, op, w)
    # then
    if role not in ALLOWED[op.rule]:
        assert response.status_code == 403, (response.status_code, response.content[:300])
    else:
        assert response.status_code == 404, (response.status_code, response.content[:300])
    problem_of(response)
    if op.done is not None:
        assert not op.done(org.organization, w), "another organization's call changed something"


@pytest.mark.parametrize("role", ["engineer", "api_key"])
def test_lists_show_only_the_callers_organization(org: Org, mapped_roots: Path, role: str) -> None:
    world(org, mapped_roots)
    stranger = make_org()
    client = client_for(stranger, role)
    for path, key in [
        ("/api/v1/task-uis", "name"),
        ("/api/v1/flow-definitions", "name"),
        ("/api/v1/human-loops", "name"),
        ("/api/v1/workteams", "name"),
        ("/api/v1/webhooks", "url"),
        ("/api/v1/bucket-mappings", "bucket"),
    ]:
        response = client.get(path)
        assert response.status_code == 200, (path, response.content[:300])
        body = response.json()
        items = body["results"] if isinstance(body, dict) else body
        mine = {"r-ui", "spare-ui", "r-flow", "spare-flow", "r-loop", "done-loop", "spare-team", "r-bucket"}
        assert not {item[key] for item in items} & (mine | {"http://127.0.0.1:9/hook"}), (path, items)


# --- Work teams through REST: create, update, delete, with what is stored ---------------------------


@pytest.mark.parametrize("role", ["engineer", "api_key"])
def test_workteam_create_update_delete(org: Org, role: str) -> None:
    client = client_for(org, role)
    # when: create
    created = client.post(
        "/api/v1/workteams",
        {
            "name": "qa-team",
            "description": "Quality assurance",
            "member_definitions": OIDC_MEMBERS,
            "notification_configuration": {"notification_topic_arn": "arn:aws:sns:us-east-1:123456789012:qa"},
            "tags": [{"key": "cost-centre", "value": "42"}],
        },
        content_type="application/json",
    )
    # then
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["name"] == "qa-team"
    assert body["member_definitions"] == OIDC_MEMBERS
    team = Workteam.objects.get(organization=org.organization, name="qa-team")
    assert team.description == "Quality assurance"
    assert team.member_definitions == [{"OidcMemberDefinition": {"Groups": ["reviewers"]}}]
    assert team.notification_configuration == {"NotificationTopicArn": "arn:aws:sns:us-east-1:123456789012:qa"}
    assert body["arn"] == team.arn
    # when: update
    patched = client.patch(
        "/api/v1/workteams/qa-team",
        {"description": "QA", "member_definitions": [{"oidc_member_definition": {"groups": ["qa", "leads"]}}]},
        content_type="application/json",
    )
    # then
    assert patched.status_code == 200, patched.content
    team.refresh_from_db()
    assert team.description == "QA"
    assert team.member_definitions == [{"OidcMemberDefinition": {"Groups": ["qa", "leads"]}}]
    assert patched.json()["description"] == "QA"
    # when: a second create of the name
    again = client.post(
        "/api/v1/workteams",
        {"name": "qa-team", "description": "x", "member_definitions": OIDC_MEMBERS},
        content_type="application/json",
    )
    assert again.status_code == 409, again.content
    problem_of(again)
    # when: delete
    deleted = client.delete("/api/v1/workteams/qa-team")
    # then
    assert deleted.status_code == 204, deleted.content
    assert not Workteam.objects.filter(organization=org.organization, name="qa-team").exists()
    assert client.get("/api/v1/workteams/qa-team").status_code == 404


def test_workteam_a_flow_routes_to_is_not_deleted(org: Org) -> None:
    a = org.organization
    workteam_create(organization=a, name="busy", description="d", member_definitions=_pascal(OIDC_MEMBERS))
    team = Workteam.objects.get(organization=a, name="busy")
    flow_factory(a, name="uses-busy", workteam_arn=team.arn)
    client = client_for(org, "api_key")
    # when
    response = client.delete("/api/v1/workteams/busy")
    # then
    assert response.status_code == 409, response.content
    assert "uses-busy" in problem_of(response)["detail"]
    assert Workteam.objects.filter(pk=team.pk).exists()


def test_workteam_update_and_delete_of_a_missing_team_are_404(org: Org) -> None:
    client = client_for(org, "engineer")
    patched = client.patch("/api/v1/workteams/nope", {"description": "x"}, content_type="application/json")
    deleted = client.delete("/api/v1/workteams/nope")
    assert (patched.status_code, deleted.status_code) == (404, 404)
    problem_of(patched)
    problem_of(deleted)


@pytest.mark.parametrize("op", BY_REFERENCE, ids=[f"{o.method} {o.path}" for o in BY_REFERENCE])
def test_another_organizations_flow_or_task_ui_cannot_be_used(org: Org, mapped_roots: Path, op: Op) -> None:
    w = world(org, mapped_roots)
    stranger = make_org()
    before = (HumanLoop.objects.count(), FlowDefinition.objects.count())
    # when
    response = _call(client_for(stranger, "api_key"), op, w)
    # then
    if op.path.endswith("/batch"):
        assert response.status_code == 200, response.content
        (result,) = response.json()["results"]
        assert result["status"] == "error"
        assert "r-flow" in result["error"]["detail"]
    else:
        assert response.status_code in (400, 404), (response.status_code, response.content[:300])
        problem_of(response)
    assert (HumanLoop.objects.count(), FlowDefinition.objects.count()) == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/webhooks/{big}"),
        ("patch", "/api/v1/webhooks/{big}"),
        ("delete", "/api/v1/webhooks/{big}"),
        ("get", "/api/v1/webhooks/{big}/deliveries"),
        ("get", "/api/v1/reviews/{big}"),
        ("delete", "/api/v1/flow-definitions/r-flow/gold-items/{big}"),
    ],
)
def test_an_id_beyond_any_row_is_a_404_not_a_500(org: Org, method: str, path: str) -> None:
    flow_factory(org.organization, name="r-flow")
    client = client_for(org, "api_key")
    response = getattr(client, method)(
        path.format(big=2**64), {"active": False} if method == "patch" else None, content_type="application/json"
    )
    assert response.status_code == 404, (response.status_code, response.content[:300])
    problem_of(response)


def test_an_engineer_of_two_organizations_names_one_with_the_header(org: Org) -> None:
    other = make_org()
    user = User.objects.create_user(email="two-orgs@example.test", password="pw-Member-123!")
    Membership.objects.create(organization=org.organization, user=user, role=Role.ENGINEER)
    Membership.objects.create(organization=other.organization, user=user, role=Role.WORKER)
    third = make_org()
    Membership.objects.create(organization=third.organization, user=user, role=Role.ADMIN)
    client = Client()
    client.force_login(user)
    body = {"name": "hdr-ui", "template": TEMPLATE}
    # when: no header, two organizations where the user is an engineer or admin
    ambiguous = client.post("/api/v1/task-uis", body, content_type="application/json")
    # then
    assert ambiguous.status_code == 400, ambiguous.content
    assert "Loupe-Organization" in problem_of(ambiguous)["errors"]
    # when: the organization where the user is only a worker
    worker_org = client.post(
        "/api/v1/task-uis", body, content_type="application/json", HTTP_LOUPE_ORGANIZATION=other.account_id
    )
    assert worker_org.status_code == 403, worker_org.content
    problem_of(worker_org)
    assert not HumanTaskUi.objects.filter(name="hdr-ui").exists()
    # when: one of the two named
    named = client.post(
        "/api/v1/task-uis", body, content_type="application/json", HTTP_LOUPE_ORGANIZATION=third.account_id
    )
    assert named.status_code == 201, named.content
    assert list(HumanTaskUi.objects.filter(name="hdr-ui").values_list("organization_id", flat=True)) == [
        third.organization.pk
    ]


def test_a_session_write_needs_the_csrf_token_and_an_api_key_does_not(org: Org) -> None:
    user = User.objects.create_user(email="csrf@example.test", password="pw-Member-123!")
    Membership.objects.create(organization=org.organization, user=user, role=Role.ENGINEER)
    session = Client(enforce_csrf_checks=True)
    session.force_login(user)
    body = {"name": "csrf-team", "description": "d", "member_definitions": OIDC_MEMBERS}
    # when
    refused = session.post("/api/v1/workteams", body, content_type="application/json")
    # then
    assert refused.status_code == 403, refused.content
    assert "CSRF" in problem_of(refused)["detail"]
    assert not Workteam.objects.filter(name="csrf-team").exists()
    # when
    keyed = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=org.api_key_header)
    created = keyed.post("/api/v1/workteams", body, content_type="application/json")
    assert created.status_code == 201, created.content
    assert Workteam.objects.filter(organization=org.organization, name="csrf-team").exists()


def test_a_worker_token_is_not_a_control_plane_credential(org: Org) -> None:
    from rest_framework.authtoken.models import Token

    user = User.objects.create_user(email="token-worker@example.test", password="pw-Member-123!")
    Membership.objects.create(organization=org.organization, user=user, role=Role.WORKER)
    client = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    for method, path, body in [
        ("get", "/api/v1/task-uis", None),
        ("post", "/api/v1/workteams", {"name": "tok-team", "description": "d", "member_definitions": OIDC_MEMBERS}),
        ("get", "/api/v1/audit-log", None),
    ]:
        kwargs: dict[str, Any] = {"content_type": "application/json"}
        if body is not None:
            kwargs["data"] = body
        response = getattr(client, method)(path, **kwargs)
        assert response.status_code == 403, (path, response.status_code, response.content[:300])
        problem_of(response)
    assert not Workteam.objects.filter(name="tok-team").exists()


def test_an_unrouted_method_is_a_405_problem(org: Org) -> None:
    client = client_for(org, "api_key")
    response = client.put("/api/v1/task-uis", {}, content_type="application/json")
    assert response.status_code == 405, response.content
    problem_of(response)
