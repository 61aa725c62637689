"""The A2I runtime operations (rest-json, spec/a2i.md §2, §8), routed on (method, raw path).

``POST /human-loops/stop`` is StopHumanLoop, while ``GET`` and ``DELETE /human-loops/stop``
address the loop named ``stop``: the route is the pair, never the path alone. The label is taken
from the raw path, so an encoded ``%2F`` stays inside the label (and fails the name pattern)
instead of adding a segment.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, unquote

from flows import validation
from flows.aws.protocol import AwsError, creation_paging, drop_none, iso8601, page_out
from flows.errors import NotFound
from flows.models import HumanLoop
from flows.selectors.loops import loop_get, loop_list
from flows.services.loops import flow_for_arn, loop_delete, loop_start, loop_stop
from workforce.models import Organization

COLLECTION = "/human-loops"

Handler = Callable[[Organization, dict[str, Any]], dict[str, Any]]


def json_body(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise AwsError("ValidationException", "The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise AwsError("ValidationException", "The request body must be a JSON object.")
    return data


def start_human_loop(org: Organization, req: dict[str, Any]) -> dict[str, Any]:
    body: Any = json_body(req["body"])
    hli: Any = validation.structure(body.get("HumanLoopInput"), "humanLoopInput")
    attrs = validation.structure(body.get("DataAttributes"), "dataAttributes", optional=True)
    classifiers = None
    if attrs is not None:
        classifiers = validation.required(attrs.get("ContentClassifiers"), "dataAttributes.contentClassifiers")
    loop, _ = loop_start(
        organization=org,
        name=body.get("HumanLoopName"),
        flow_definition_arn=body.get("FlowDefinitionArn"),
        input_content=hli.get("InputContent"),
        content_classifiers=classifiers,
    )
    return {"HumanLoopArn": loop.arn}


def describe_human_loop(org: Organization, req: dict[str, Any]) -> dict[str, Any]:
    name = validation.human_loop_name(req["label"])
    loop = loop_get(organization=org, name=name)
    out: dict[str, Any] = {
        "CreationTime": iso8601(loop.created_at),
        "FailureReason": loop.failure_reason or None,
        "FailureCode": loop.failure_code or None,
        "HumanLoopStatus": loop.status,
        "HumanLoopName": loop.name,
        "HumanLoopArn": loop.arn,
        "FlowDefinitionArn": loop.flow_definition.arn,
    }
    if loop.output_uri:
        out["HumanLoopOutput"] = {"OutputS3Uri": loop.output_uri}
    return drop_none(out)


def _summary(loop: HumanLoop) -> dict[str, Any]:
    return drop_none(
        {
            "HumanLoopName": loop.name,
            "HumanLoopStatus": loop.status,
            "CreationTime": iso8601(loop.created_at),
            "FailureReason": loop.failure_reason or None,
            "FlowDefinitionArn": loop.flow_definition.arn,
        }
    )


def list_human_loops(org: Organization, req: dict[str, Any]) -> dict[str, Any]:
    params: dict[str, str] = {}
    for key, value in parse_qsl(req["query"], keep_blank_values=True):
        params.setdefault(key, value)
    arn = validation.required(params.get("FlowDefinitionArn"), "flowDefinitionArn")
    flow = flow_for_arn(organization=org, flow_definition_arn=arn)
    if flow is None:
        raise NotFound(f"Flow definition {arn} does not exist.", field="flowDefinitionArn")
    result = loop_list(flow=flow, paging=creation_paging(params))
    return page_out("HumanLoopSummaries", result, _summary)


def stop_human_loop(org: Organization, req: dict[str, Any]) -> dict[str, Any]:
    body = json_body(req["body"])
    loop_stop(organization=org, name=validation.human_loop_name(body.get("HumanLoopName")))
    return {}


def delete_human_loop(org: Organization, req: dict[str, Any]) -> dict[str, Any]:
    loop_delete(organization=org, name=validation.human_loop_name(req["label"]))
    return {}


def route(method: str, raw_path: str) -> tuple[Handler, str | None]:
    """The operation for (method, raw path), and the decoded label if the path has one.

    ``raw_path`` is the full path as sent; anything before ``/human-loops`` is the endpoint's
    own prefix.
    """
    at = raw_path.find(COLLECTION)
    tail = raw_path[at + len(COLLECTION) :] if at >= 0 else None
    if tail in ("", "/"):
        if method == "POST":
            return start_human_loop, None
        if method == "GET":
            return list_human_loops, None
    elif tail is not None and tail.startswith("/"):
        label = tail[1:]
        if method == "POST" and label == "stop":
            return stop_human_loop, None
        if method == "GET":
            return describe_human_loop, unquote(label)
        if method == "DELETE":
            return delete_human_loop, unquote(label)
    raise AwsError("UnknownOperationException", f"Loupe serves no A2I operation at {method} {raw_path}.", 404)
