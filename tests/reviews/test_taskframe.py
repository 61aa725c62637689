"""The task frame, the preview page and the pre-built UIs (Django test client; the browser tests
in tests/browser/test_sandbox.py prove the sandbox itself)."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from flows.models import TaskStatus
from reviews import prebuilt
from reviews.models import PreviewRender
from reviews.rendering import template_check, template_render
from reviews.taskframe import frame_url_for_task
from tests.conftest import make_org
from tests.reviews.factories import make_leased_task, make_member, make_worker
from workforce.models import Role

TEMPLATE = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form><p class="q">{{ task.input.question }}</p><img src="{{ task.input.img | grant_read_access }}">
<crowd-input name="answer"></crowd-input></crowd-form>"""


def csp_of(response: object) -> dict[str, str]:
    header = response["Content-Security-Policy"]  # type: ignore[index]
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] if " " in part else "" for part in header.split("; ")}


# --- The frame ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_worker_frame_serves_the_rendered_template_with_a_strict_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    # given a task leased to a worker, whose input names an S3 image
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9999")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "k")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s")
    from reviews import media

    media._s3_client.cache_clear()
    org = make_org()
    worker = make_worker(org)
    task = make_leased_task(
        org, worker, template=TEMPLATE, task_input={"question": "Is it a 'cat' & <dog>?", "img": "s3://bkt/k.png"}
    )

    # when the frame URL is loaded (no session at all)
    url = frame_url_for_task(task, worker)
    response = Client().get(url)

    # then it is a whole document with our bridge, the template rendered and escaped, our elements
    assert url.startswith("/task-frame/")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.startswith("<!DOCTYPE html><html><head>")
    token = url.split("/")[2]
    assert f'<meta name="loupe-frame-token" content="{token}">' in body
    assert body.index("/static/crowd/frame-bridge.js") < body.index("/static/crowd/crowd-html-elements.js")
    assert '<p class="q">Is it a &#39;cat&#39; &amp; &lt;dog&gt;?</p>' in body
    assert 'src="http://127.0.0.1:9999/bkt/k.png?X-Amz-Algorithm=' in body

    # and the policy allows only our server and the presigned S3 origin, and no network access
    csp = csp_of(response)
    assert csp["default-src"] == "'none'"
    assert csp["connect-src"] == "'none'"
    assert csp["form-action"] == "'none'"
    assert csp["base-uri"] == "'none'"
    assert csp["frame-ancestors"] == "'self'"
    assert csp["frame-src"] == "http://testserver/task-media/ http://127.0.0.1:9999"
    assert csp["object-src"] == "'none'"
    assert csp["img-src"] == "'self' http://testserver http://127.0.0.1:9999 data: blob:"
    assert csp["script-src"] == "'self' http://testserver http://127.0.0.1:9999 'unsafe-inline'"
    assert "unsafe-eval" not in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "Set-Cookie" not in response.headers


@pytest.mark.django_db
def test_frame_without_granted_media_allows_no_other_origin() -> None:
    org = make_org()
    worker = make_worker(org)
    task = make_leased_task(org, worker, template="<p>{{ task.input.x }}</p>", task_input={"x": 1})
    response = Client().get(frame_url_for_task(task, worker))
    assert response.status_code == 200
    assert csp_of(response)["img-src"] == "'self' http://testserver data: blob:"


@pytest.mark.django_db
def test_frame_ignores_the_session_of_a_signed_in_visitor() -> None:
    # given a frame token, opened by a browser signed in as the organization's admin
    org = make_org()
    worker = make_worker(org)
    task = make_leased_task(org, worker, template="<p>ok</p>", task_input={})
    client = Client()
    client.force_login(org.admin)

    # when the frame is loaded with and without that session
    url = frame_url_for_task(task, worker)
    signed_in = client.get(url)
    anonymous = Client().get(url)

    # then the session changes nothing: same document, no cookie set
    assert signed_in.status_code == anonymous.status_code == 200
    assert signed_in.content == anonymous.content
    assert "Set-Cookie" not in signed_in.headers


@pytest.mark.django_db
@pytest.mark.parametrize("change", ["expired", "submitted", "released", "other-worker"])
def test_frame_refuses_a_task_the_worker_no_longer_holds(change: str) -> None:
    org = make_org()
    worker, other = make_worker(org), make_worker(org)
    task = make_leased_task(org, worker, template="<p>secret {{ task.input.x }}</p>", task_input={"x": "data"})
    url = frame_url_for_task(task, worker)
    if change == "expired":
        task.lease_expires_at = timezone.now() - timedelta(seconds=1)
    elif change == "submitted":
        task.status = TaskStatus.SUBMITTED
    elif change == "released":
        task.status, task.worker, task.lease_expires_at = TaskStatus.OPEN, None, None
    else:
        task.worker = other
    task.save()
    response = Client().get(url)
    assert response.status_code == 403
    assert b"no longer assigned to you" in response.content
    assert b"secret" not in response.content
    assert csp_of(response)["default-src"] == "'none'"


@pytest.mark.django_db
def test_frame_refuses_forged_and_expired_tokens(settings: object) -> None:
    org = make_org()
    worker = make_worker(org)
    task = make_leased_task(org, worker, template="<p>x</p>", task_input={})
    url = frame_url_for_task(task, worker)
    assert Client().get(url.replace(url.split("/")[2], url.split("/")[2][:-3] + "abc")).status_code == 403
    assert Client().get("/task-frame/not-a-token/").status_code == 403
    settings.LOUPE_FRAME_TOKEN_TTL_SECONDS = -1  # type: ignore[attr-defined]
    assert Client().get(url).status_code == 410


@pytest.mark.django_db
def test_frame_shows_template_errors_instead_of_failing() -> None:
    org = make_org()
    worker = make_worker(org)
    task = make_leased_task(org, worker, template="{% for i in (1..100000000) %}{% endfor %}", task_input={})
    response = Client().get(frame_url_for_task(task, worker))
    assert response.status_code == 200
    assert b'id="loupe-render-errors"' in response.content
    assert b"LoopLimitExceeded" in response.content


@pytest.mark.django_db
def test_a_whole_document_template_gets_our_head_inside_its_own() -> None:
    org = make_org()
    worker = make_worker(org)
    template = (
        "<html><head><link rel='stylesheet' href='https://assets.crowd.aws/css/crowd-html-elements-v2.css'>"
        '<script src="https://assets.crowd.aws/crowd-html-elements-v2.js"></script></head>'
        "<body><crowd-form></crowd-form></body></html>"
    )
    task = make_leased_task(org, worker, template=template, task_input={})
    body = Client().get(frame_url_for_task(task, worker)).content.decode()
    assert body.startswith('<!DOCTYPE html><html><head><meta charset="utf-8">')
    assert body.count("<head") == 1
    assert "href='/static/crowd/css/crowd-html-elements-v2.css'" in body
    assert body.index("frame-bridge.js") < body.index("crowd-html-elements-v2.js")


# --- The preview page -----------------------------------------------------------------------


@pytest.mark.django_db
def test_preview_page_is_for_engineers_and_admins() -> None:
    org = make_org()
    engineer = make_member(org, Role.ENGINEER)
    lead = make_member(org, Role.TEAM_LEAD)
    worker = make_worker(org)
    for user, status in ((org.admin, 200), (engineer, 200), (lead, 403), (worker, 403)):
        client = Client()
        client.force_login(user)
        response = client.get("/task-uis/preview/")
        assert response.status_code == status, user
        if status == 200:
            page = response.content.decode()
            for marker in ('id="template"', 'id="input"', 'id="render"', 'id="task-frame"', 'id="answer-content"'):
                assert marker in page
            assert 'sandbox="allow-scripts allow-forms"' in page
    anonymous = Client().get("/task-uis/preview/")
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_preview_page_prefills_a_prebuilt_ui() -> None:
    org = make_org()
    client = Client()
    client.force_login(org.admin)
    page = client.get("/task-uis/preview/?prebuilt=bounding-box-review").content.decode()
    template_text = re.search(r'<textarea id="template"[^>]*>(.*?)</textarea>', page, re.S)
    input_text = re.search(r'<textarea id="input"[^>]*>(.*?)</textarea>', page, re.S)
    assert template_text
    assert input_text
    assert html.unescape(template_text.group(1)) == prebuilt.prebuilt_get("bounding-box-review").template  # type: ignore[union-attr]
    assert json.loads(html.unescape(input_text.group(1)))["labels"] == ["Car", "Person", "Bicycle"]
    unknown = client.get("/task-uis/preview/?prebuilt=nope").content.decode()
    assert "There is no pre-built task UI named" in unknown


def post_render(client: Client, body: object) -> tuple[int, dict]:
    response = client.post("/task-uis/preview/render/", data=json.dumps(body), content_type="application/json")
    return response.status_code, response.json()


@pytest.mark.django_db
def test_preview_render_gives_a_frame_that_renders_the_engineers_template() -> None:
    # given an engineer
    org = make_org()
    engineer = make_member(org, Role.ENGINEER)
    client = Client()
    client.force_login(engineer)

    # when a template and input are rendered
    status, body = post_render(client, {"template": "<b>{{ task.input.name }}</b>", "input": '{"name": "Ann"}'})

    # then the frame URL serves them, to anyone holding it, without a session
    assert status == 200
    assert body["frame_url"] == f"/task-frame/{body['frame_token']}/"
    frame = Client().get(body["frame_url"])
    assert frame.status_code == 200
    assert b"<b>Ann</b>" in frame.content
    assert PreviewRender.objects.filter(user=engineer).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "code", "fragment"),
    [
        ({"template": "<p>{{ x </p>", "input": "{}"}, "InvalidTemplate", "TemplateSyntaxError"),
        ({"template": "{{ x | nope }}", "input": "{}"}, "InvalidTemplate", "unknown filter 'nope'"),
        ({"template": "{% for i in (1..999999999) %}{% endfor %}", "input": "{}"}, "InvalidTemplate", "LoopLimit"),
        ({"template": "<p></p>", "input": "{not json"}, "InvalidInput", "not valid JSON"),
        ({"template": "<p></p>", "input": "[1, 2]"}, "InvalidInput", "must be a JSON object"),
        ({"template": "", "input": "{}"}, "InvalidTemplate", "empty"),
    ],
)
def test_preview_render_explains_bad_input(payload: dict, code: str, fragment: str) -> None:
    org = make_org()
    client = Client()
    client.force_login(org.admin)
    status, body = post_render(client, payload)
    assert status == 400
    assert body["errors"][0]["code"] == code
    assert fragment in body["errors"][0]["message"]
    assert not PreviewRender.objects.exists()


@pytest.mark.django_db
def test_preview_render_is_refused_to_workers_and_needs_csrf() -> None:
    org = make_org()
    worker = make_worker(org)
    client = Client()
    client.force_login(worker)
    status, body = post_render(client, {"template": "<p></p>", "input": "{}"})
    assert status == 403
    assert body["errors"][0]["code"] == "Forbidden"

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(org.admin)
    response = strict.post(
        "/task-uis/preview/render/", data=json.dumps({"template": "<p></p>"}), content_type="application/json"
    )
    assert response.status_code == 403


# --- Pre-built UIs --------------------------------------------------------------------------


def test_prebuilt_registry_offers_the_five_review_types() -> None:
    assert prebuilt.prebuilt_ids() == [
        "image-moderation",
        "form-data-review",
        "bounding-box-review",
        "image-classification",
        "text-classification",
    ]
    assert prebuilt.prebuilt_get("nope") is None


@pytest.mark.parametrize("item", prebuilt.prebuilt_list(), ids=lambda i: i.id)
def test_each_prebuilt_ui_renders_its_example_input(item: prebuilt.PrebuiltUi) -> None:
    assert template_check(item.template) == []
    result = template_render(content=item.template, task_input=item.example_input)
    assert result.errors == []
    assert '<script src="/static/crowd/crowd-html-elements.js"></script>' in result.html
    assert "<crowd-form>" in result.html


def test_bounding_box_review_starts_from_the_models_boxes() -> None:
    item = prebuilt.prebuilt_get("bounding-box-review")
    assert item is not None
    result = template_render(content=item.template, task_input=item.example_input)
    match = re.search(r"initial-value='([^']*)'", result.html)
    assert match
    boxes = json.loads(match.group(1))
    assert [(b["label"], b["left"], b["top"], b["width"], b["height"]) for b in boxes] == [
        ("Car", 66, 226, 198, 112),
        ("Person", 396, 96, 58, 216),
    ]


def test_moderation_review_lists_the_models_labels_as_categories() -> None:
    item = prebuilt.prebuilt_get("image-moderation")
    assert item is not None
    result = template_render(content=item.template, task_input=item.example_input)
    match = re.search(r"categories='([^']*)'", result.html)
    assert match
    assert [c["name"] for c in json.loads(match.group(1))] == ["Female Swimwear Or Underwear", "Suggestive"]
    assert "<crowd-rekognition-detect-moderation-labels" in result.html


def test_form_review_uses_the_builtin_s3_object_when_no_task_object_is_given() -> None:
    item = prebuilt.prebuilt_get("form-data-review")
    assert item is not None
    task_input = {k: v for k, v in item.example_input.items() if k != "taskObject"}

    class Signer:
        seen: list[str] = []

        def grant(self, reference: str) -> str:
            self.seen.append(reference)
            return "/signed"

    signer = Signer()
    result = template_render(content=item.template, task_input=task_input, media=signer)
    assert result.errors == []
    assert signer.seen == ["s3://example-bucket/forms/application.png"]
    assert 'src="/signed"' in result.html


@pytest.mark.django_db
def test_preview_works_for_the_organization_chosen_and_only_where_the_user_is_an_engineer() -> None:
    from workforce.models import Membership

    # given an engineer of one organization who is only a worker in another
    first, second = make_org(), make_org()
    engineer = make_member(first, Role.ENGINEER)
    Membership.objects.create(organization=second.organization, user=engineer, role=Role.WORKER)
    third = make_org()
    Membership.objects.create(organization=third.organization, user=engineer, role=Role.ADMIN)
    client = Client()
    client.force_login(engineer)

    # then the page offers the organizations where they are engineer or admin
    page = client.get(f"/task-uis/preview/?org={third.account_id}").content.decode()
    assert f'data-account-id="{third.account_id}"' in page
    assert f"?org={first.account_id}" in page
    assert f"?org={second.account_id}" not in page
    assert client.get(f"/task-uis/preview/?org={second.account_id}").status_code == 403

    # and renders belong to the organization named, never to one where they are a worker
    status, _ = post_render(client, {"template": "<p></p>", "input": "{}", "organization": third.account_id})
    assert status == 200
    assert PreviewRender.objects.get().organization == third.organization
    status, body = post_render(client, {"template": "<p></p>", "input": "{}", "organization": second.account_id})
    assert status == 403
    assert body["errors"][0]["code"] == "Forbidden"
