"""Fuzzing: no request, however mangled, gets a 5xx; nothing is half-written; templates never
raise nor hang.

* schemathesis over the OpenAPI schema at ``/api/schema/`` (in process, through the WSGI app,
  authenticated with an organization's API key);
* hypothesis over SigV4 (mangled Authorization, X-Amz-Date, SignedHeaders, body) against the
  AWS views: always a 4xx AWS JSON error;
* hypothesis over StartHumanLoop input content: a loop, or a ValidationException and no loop;
* hypothesis over Liquid templates: ``template_check``/``template_render`` return, in bounded time.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.aws import views
from flows.models import HumanLoop
from reviews.rendering import template_check, template_render
from tests.conftest import Org, make_org
from tests.flows.aws.helpers import signed_request
from tests.flows.services.factories import flow_factory

_FUZZ = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
    derandomize=True,
)

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


# --- schemathesis over the REST API -----------------------------------------------------------


@pytest.fixture
def api_org(db: None) -> Iterator[Org]:
    # Like Django's test Client: the WSGI handler must not close the test transaction's
    # connection at the end of each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield make_org()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@settings(_FUZZ, max_examples=25)
def test_rest_api_never_answers_5xx(case: Any, api_org: Org) -> None:
    response = case.call(headers={"Authorization": api_org.api_key_header})
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:500]}"
    )


# --- hypothesis over SigV4 --------------------------------------------------------------------

_header_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=120)


def _mangle_authorization(auth: str, how: int, junk: str) -> str:
    head, _, rest = auth.partition(" ")
    parts = dict(p.strip().split("=", 1) for p in rest.split(",") if "=" in p)
    if how == 0:
        return junk
    if how == 1:
        parts["Credential"] = junk
    elif how == 2:
        parts["SignedHeaders"] = junk
    elif how == 3:
        parts["Signature"] = junk
    elif how == 4:
        parts.pop("Credential" if junk else "Signature", None)
    elif how == 5:
        head = junk
    return head + " " + ", ".join(f"{k}={v}" for k, v in parts.items())


@pytest.mark.django_db
@settings(_FUZZ, max_examples=60)
@given(
    target=st.sampled_from(["a2i-get", "a2i-start", "sagemaker"]),
    how=st.integers(min_value=0, max_value=8),
    junk=_header_text,
    body=st.binary(max_size=200),
)
def test_mangled_sigv4_is_a_4xx_aws_error(target: str, how: int, junk: str, body: bytes) -> None:
    org = _ORG.get()
    if target == "a2i-get":
        request = signed_request(org, "GET", "/human-loops/some-loop", service="sagemaker")
        call = lambda r: views.human_loops(r, rest="/some-loop")  # noqa: E731
    elif target == "a2i-start":
        request = signed_request(org, "POST", "/human-loops", body=b"{}", headers={"Content-Type": "application/json"})
        call = views.human_loops
    else:
        request = signed_request(
            org,
            "POST",
            "/",
            body=b"{}",
            headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "SageMaker.ListWorkteams"},
        )
        call = views.root
    original = dict(request.META), request.body
    if how <= 5:
        request.META["HTTP_AUTHORIZATION"] = _mangle_authorization(request.META["HTTP_AUTHORIZATION"], how, junk)
    elif how == 6:
        request.META["HTTP_X_AMZ_DATE"] = junk
    elif how == 7:
        request._body = body  # type: ignore[attr-defined]
    else:
        request.META["HTTP_X_AMZ_CONTENT_SHA256"] = junk
    signed = original[0]["HTTP_AUTHORIZATION"].lower()
    changed = (
        request.META.get("HTTP_AUTHORIZATION") != original[0]["HTTP_AUTHORIZATION"]
        or request.META.get("HTTP_X_AMZ_DATE") != original[0].get("HTTP_X_AMZ_DATE")
        or request.body != original[1]
        or (
            "x-amz-content-sha256" in signed
            and request.META.get("HTTP_X_AMZ_CONTENT_SHA256") != original[0].get("HTTP_X_AMZ_CONTENT_SHA256")
        )
    )
    response = call(request)
    if not changed:
        assert response.status_code < 500, response.content[:300]
        return
    assert 400 <= response.status_code < 500, (how, junk, response.content[:300])
    payload = json.loads(response.content)
    assert payload.get("__type") or payload.get("message") or payload.get("Message"), payload


class _OrgHolder:
    """One organization for a whole hypothesis run (examples share the test's transaction)."""

    def __init__(self) -> None:
        self.org: Org | None = None

    def get(self) -> Org:
        if self.org is None:
            self.org = make_org()
        return self.org


_ORG = _OrgHolder()


@pytest.fixture(autouse=True)
def _fresh_org_holder() -> None:
    _ORG.org = None


# --- hypothesis over StartHumanLoop input content ---------------------------------------------

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
_input_content = st.one_of(
    st.text(max_size=200),
    _json_values.map(json.dumps),
    st.dictionaries(st.text(max_size=10), _json_values, max_size=5).map(json.dumps),
)


@pytest.mark.django_db
@settings(_FUZZ, max_examples=60)
@given(content=_input_content, name=st.text(max_size=70))
def test_start_human_loop_input_is_a_loop_or_a_validation_error(content: str, name: str) -> None:
    org = _ORG.get()
    flow = _flow_for(org)
    body = json.dumps(
        {"HumanLoopName": name, "FlowDefinitionArn": flow.arn, "HumanLoopInput": {"InputContent": content}}
    ).encode()
    before = HumanLoop.objects.filter(flow_definition=flow).count()
    request = signed_request(org, "POST", "/human-loops", body=body, headers={"Content-Type": "application/json"})
    response = views.human_loops(request)
    payload = json.loads(response.content)
    after = HumanLoop.objects.filter(flow_definition=flow).count()
    if response.status_code == 200:
        assert "HumanLoopArn" in payload
        stored = HumanLoop.objects.select_related("organization").get(flow_definition=flow, name=name)
        assert stored.arn == payload["HumanLoopArn"]
        assert _is_object(content), "a non-object input content was accepted"
        assert after in (before, before + 1)
    else:
        assert 400 <= response.status_code < 500, payload
        assert response.headers.get("x-amzn-ErrorType", payload.get("__type", "")).split(":")[0] in {
            "ValidationException",
            "ConflictException",
            "ServiceQuotaExceededException",
        }, payload
        assert after == before


def _is_object(content: str) -> bool:
    try:
        return isinstance(json.loads(content), dict)
    except ValueError:
        return False


_FLOWS: dict[int, Any] = {}


def _flow_for(org: Org) -> Any:
    key = org.organization.pk
    if key not in _FLOWS:
        _FLOWS.clear()
        _FLOWS[key] = flow_factory(org.organization)
    return _FLOWS[key]


# --- hypothesis over Liquid templates ---------------------------------------------------------

_liquid_bits = st.sampled_from(
    [
        "{{",
        "}}",
        "{%",
        "%}",
        "{% for x in (1..1000000) %}",
        "{% endfor %}",
        "{% if ",
        "{% endif %}",
        "{% capture c %}",
        "{% endcapture %}",
        "{% cycle 'a', 'b' %}",
        "{{ task.input.text | escape }}",
        "{{ task.input | to_json }}",
        "{{ task.input.url | grant_read_access }}",
        "{{ 'x' | append: 'y' | size }}",
        "{% assign a = 'x' %}",
        "{% raw %}",
        "{% endraw %}",
        "{% comment %}",
        "{% endcomment %}",
        "{% include 'x' %}",
        "{% render 'x' %}",
        "<crowd-form>",
        "</crowd-form>",
        "<script>",
        "|",
        ":",
        "'",
        '"',
        "..",
        "\x00",
    ]
)
_templates = st.lists(st.one_of(_liquid_bits, st.text(max_size=15)), max_size=25).map("".join)


@settings(_FUZZ, max_examples=300)
@given(content=_templates, text=st.text(max_size=30))
def test_any_template_checks_and_renders_in_bounded_time(content: str, text: str) -> None:
    started = time.monotonic()
    errors = template_check(content)
    assert isinstance(errors, list)
    result = template_render(content=content, task_input={"text": text, "url": "s3://b/k.png", "n": [1, 2]})
    assert result is not None
    assert time.monotonic() - started < 5.0
