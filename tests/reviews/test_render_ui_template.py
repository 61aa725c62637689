"""Every sample template through the AWS-compatible API, as an A2I user checks it: CreateHumanTaskUi
accepts it and RenderUiTemplate renders it with no errors; bad templates get clear errors."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from botocore.exceptions import ClientError

from bench.render import DEFAULT_SAMPLES, SAMPLE_INPUT, sample_templates
from tests.conftest import make_org

pytestmark = pytest.mark.django_db(transaction=True)

SAMPLES = sample_templates(DEFAULT_SAMPLES)


@pytest.fixture
def sagemaker(live_server_url: str) -> Any:
    org = make_org()
    client = org.boto3_client("sagemaker", live_server_url)
    client.role_arn = f"arn:aws:iam::{org.account_id}:role/a2i-render"
    return client


def unsigned(html: str) -> str:
    """The page without presigned-URL parameters (each render signs afresh, as A2I does)."""
    return re.sub(r"X-Amz-[A-Za-z-]+=[^&\"'\s<>]*", "", html)


def test_every_sample_template_is_accepted_and_renders_through_the_api(sagemaker: Any) -> None:
    task_input = json.dumps(SAMPLE_INPUT)
    failures: dict[str, Any] = {}
    signed_pages = 0
    for n, path in enumerate(SAMPLES):
        content = path.read_text(encoding="utf-8")
        name = f"sample-{n}"
        try:
            arn = sagemaker.create_human_task_ui(HumanTaskUiName=name, UiTemplate={"Content": content})[
                "HumanTaskUiArn"
            ]
        except ClientError as exc:
            failures[path.name] = f"CreateHumanTaskUi: {exc}"
            continue
        inline = sagemaker.render_ui_template(
            UiTemplate={"Content": content}, Task={"Input": task_input}, RoleArn=sagemaker.role_arn
        )
        by_arn = sagemaker.render_ui_template(
            HumanTaskUiArn=arn, Task={"Input": task_input}, RoleArn=sagemaker.role_arn
        )
        signed_pages += "X-Amz-Signature=" in inline["RenderedContent"]
        if inline["Errors"] or by_arn["Errors"]:
            failures[path.name] = inline["Errors"] or by_arn["Errors"]
        elif (
            unsigned(inline["RenderedContent"]) != unsigned(by_arn["RenderedContent"])
            or "{{" in inline["RenderedContent"]
        ):
            failures[path.name] = "rendered content differs or still holds Liquid"
        elif "https://assets.crowd.aws/crowd-html-elements.js" in inline["RenderedContent"]:
            failures[path.name] = "the crowd elements still load from assets.crowd.aws"
    assert failures == {}
    assert len(SAMPLES) == 73
    assert signed_pages > 0  # grant_read_access presigned the s3:// references


@pytest.mark.parametrize(
    ("content", "code"),
    [
        ("<p>{{ task.input.x | no_such_filter }}</p>", "UnknownFilter"),
        ("<p>{% if task.input.x %}never closed</p>", "TemplateSyntaxError"),
        ("{% frobnicate %}", "UnknownTag"),
    ],
)
def test_bad_templates_are_refused_by_create_and_reported_by_render(sagemaker: Any, content: str, code: str) -> None:
    with pytest.raises(ClientError) as info:
        sagemaker.create_human_task_ui(HumanTaskUiName="bad-one", UiTemplate={"Content": content})
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert code in info.value.response["Error"]["Message"]

    out = sagemaker.render_ui_template(
        UiTemplate={"Content": content}, Task={"Input": "{}"}, RoleArn=sagemaker.role_arn
    )
    assert out["RenderedContent"] == ""
    assert [e["Code"] for e in out["Errors"]] == [code]


def test_runaway_template_renders_to_a_clear_error_quickly(sagemaker: Any) -> None:
    out = sagemaker.render_ui_template(
        UiTemplate={"Content": "{% for i in (1..1000000000) %}{{ i }}{% endfor %}"},
        Task={"Input": "{}"},
        RoleArn=sagemaker.role_arn,
    )
    assert out["RenderedContent"] == ""
    assert [e["Code"] for e in out["Errors"]] == ["LoopLimitExceeded"]
