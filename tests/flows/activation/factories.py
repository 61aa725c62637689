"""Service responses built the way Textract and Rekognition shape them (boto3's PascalCase)."""

from __future__ import annotations

import itertools
from typing import Any

_ids = itertools.count(1)


def _id(prefix: str) -> str:
    return f"{prefix}-{next(_ids)}"


def textract_response(*pairs: tuple[str, float, float, str, float]) -> dict[str, Any]:
    """An AnalyzeDocument response with one page and the given key-value pairs:
    (key text, key-value block confidence, key word confidence, value text, value word confidence)."""
    blocks: list[dict[str, Any]] = [{"BlockType": "PAGE", "Id": _id("page"), "Confidence": 99.9}]
    for key_text, kv_conf, key_word_conf, value_text, value_word_conf in pairs:
        key_words = [
            {"BlockType": "WORD", "Id": _id("w"), "Text": t, "Confidence": key_word_conf} for t in key_text.split()
        ]
        value_words = [
            {"BlockType": "WORD", "Id": _id("w"), "Text": t, "Confidence": value_word_conf} for t in value_text.split()
        ]
        value = {
            "BlockType": "KEY_VALUE_SET",
            "Id": _id("v"),
            "EntityTypes": ["VALUE"],
            "Confidence": kv_conf,
            "Relationships": [{"Type": "CHILD", "Ids": [w["Id"] for w in value_words]}],
        }
        key = {
            "BlockType": "KEY_VALUE_SET",
            "Id": _id("k"),
            "EntityTypes": ["KEY"],
            "Confidence": kv_conf,
            "Relationships": [
                {"Type": "VALUE", "Ids": [value["Id"]]},
                {"Type": "CHILD", "Ids": [w["Id"] for w in key_words]},
            ],
        }
        blocks += [key, value, *key_words, *value_words]
    return {"DocumentMetadata": {"Pages": 1}, "Blocks": blocks, "AnalyzeDocumentModelVersion": "1.0"}


def textract_request(name: str = "doc.png") -> dict[str, Any]:
    return {"Document": {"S3Object": {"Bucket": "docs", "Name": name}}, "FeatureTypes": ["FORMS"]}


def rekognition_response(*labels: tuple[str, float]) -> dict[str, Any]:
    return {
        "ModerationLabels": [{"Confidence": c, "Name": n, "ParentName": ""} for n, c in labels],
        "ModerationModelVersion": "3.0",
    }


def rekognition_request(name: str = "img.jpg") -> dict[str, Any]:
    return {"Image": {"S3Object": {"Bucket": "imgs", "Name": name}}}


def flow_with_conditions(
    org: Any, conditions: dict[str, Any] | None, *, request_source: str | None = None, name: str | None = None
) -> Any:
    """A flow created through CreateFlowDefinition's service, with activation conditions."""
    import json

    from flows.services.flow_definitions import HumanLoopConfig, flow_definition_create
    from flows.services.task_uis import task_ui_create

    n = next(_ids)
    ui = task_ui_create(
        organization=org, name=f"ui-{n}", content='<crowd-form><crowd-input name="label"></crowd-input></crowd-form>'
    )
    return flow_definition_create(
        organization=org,
        name=name or f"flow-{n}",
        role_arn=f"arn:aws:iam::{org.account_id}:role/loupe",
        output_s3_path="s3://bucket/out",
        human_loop_config=HumanLoopConfig(
            workteam_arn=f"arn:aws:sagemaker:{org.region}:{org.account_id}:workteam/private-crowd/default",
            human_task_ui_arn=ui.arn,
            task_title="Review",
            task_description="Review the prediction",
            task_count=1,
        ),
        request_source=request_source,
        activation_conditions=json.dumps(conditions) if conditions is not None else None,
    )
