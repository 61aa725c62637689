"""Helpers for the AWS API tests: boto3 clients of an organization against the live server."""

from __future__ import annotations

import json
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from django.test import RequestFactory

from tests.conftest import Org
from tests.flows.services.factories import TEMPLATE


def clients(org: Org, url: str, **config: Any) -> tuple[Any, Any]:
    """(sagemaker, sagemaker-a2i-runtime) clients signed with the org's key."""
    return org.boto3_client("sagemaker", url, **config), org.boto3_client("sagemaker-a2i-runtime", url, **config)


def error_code(exc: ClientError) -> str:
    return str(exc.response["Error"]["Code"])


def private_team_arn(org: Org) -> str:
    return f"arn:aws:sagemaker:{org.region}:{org.account_id}:workteam/private-crowd/default"


def role_arn(org: Org) -> str:
    return f"arn:aws:iam::{org.account_id}:role/loupe-a2i"


def create_ui(sm: Any, name: str = "sentiment-ui", content: str = TEMPLATE) -> str:
    return str(sm.create_human_task_ui(HumanTaskUiName=name, UiTemplate={"Content": content})["HumanTaskUiArn"])


def flow_kwargs(org: Org, ui_arn: str, name: str = "sentiment-flow", **hlc: Any) -> dict[str, Any]:
    config = {
        "WorkteamArn": private_team_arn(org),
        "HumanTaskUiArn": ui_arn,
        "TaskTitle": "Sentiment",
        "TaskDescription": "Is this review positive?",
        "TaskCount": 1,
    }
    config.update(hlc)
    return {
        "FlowDefinitionName": name,
        "HumanLoopConfig": config,
        "OutputConfig": {"S3OutputPath": "s3://loupe-test/a2i-results"},
        "RoleArn": role_arn(org),
    }


def create_flow(sm: Any, org: Org, name: str = "sentiment-flow", ui_name: str | None = None, **hlc: Any) -> str:
    ui_arn = create_ui(sm, ui_name or f"{name}-ui")
    return str(sm.create_flow_definition(**flow_kwargs(org, ui_arn, name, **hlc))["FlowDefinitionArn"])


def start(a2i: Any, flow_arn: str, name: str, data: dict | None = None, **kw: Any) -> dict:
    return a2i.start_human_loop(  # type: ignore[no-any-return]
        HumanLoopName=name,
        FlowDefinitionArn=flow_arn,
        HumanLoopInput={"InputContent": json.dumps(data or {"text": "great product"})},
        **kw,
    )


def signed_request(
    org: Org,
    method: str,
    path: str,
    *,
    query: str = "",
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    secret: str | None = None,
    service: str = "sagemaker",
    token: str | None = None,
) -> Any:
    """A Django request carrying exactly what botocore signs and sends."""
    url = f"http://127.0.0.1:8765{path}" + (f"?{query}" if query else "")
    aws = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    creds = Credentials(org.api_key.access_key_id, secret or org.api_key.secret_access_key, token)
    SigV4Auth(creds, service, org.region).add_auth(aws)
    meta = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in aws.headers.items()}
    meta["HTTP_HOST"] = "127.0.0.1:8765"
    if "HTTP_CONTENT_TYPE" in meta:
        meta["CONTENT_TYPE"] = meta.pop("HTTP_CONTENT_TYPE")
    rf = RequestFactory()
    request = rf.generic(method, path, data=body, QUERY_STRING=query, **meta)
    request.META["asgi.scope"] = {"raw_path": path.encode()}
    return request
