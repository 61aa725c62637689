"""Helpers for the results tests: completed loops made by real claims and submits, the
background tasks run in-process, and a moto S3 server on 127.0.0.1."""

from __future__ import annotations

import contextlib
import os
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django_tasks_db.models import DBTaskResult

from flows.models import BucketMapping, FlowDefinition, HumanLoop
from flows.services.work import task_claim, task_submit
from tests.conftest import Org
from tests.flows.work.factories import flow_factory, loop_factory, worker_factory
from tests.live import free_port
from workforce.models import User


def completed_loop(
    org: Org,
    *,
    flow: FlowDefinition | None = None,
    answers: list[dict[str, Any]] | None = None,
    workers: list[User] | None = None,
    **input_content: Any,
) -> HumanLoop:
    """A loop completed by real claims and submits (``task_claim`` / ``task_submit``), one
    worker per answer."""
    answers = answers or [{"label": "cat"}]
    flow = flow or flow_factory(org, task_count=len(answers))
    loop = loop_factory(org, flow, **(input_content or {"taskObject": "s3://in/1.png"}))
    workers = workers or [worker_factory(org) for _ in answers]
    for worker, answer in zip(workers, answers, strict=True):
        task = task_claim(worker=worker, flow_definition=flow)
        assert task is not None
        assert task.loop_id == loop.pk
        task_submit(worker=worker, task_id=task.pk, answer_content=answer)
    loop.refresh_from_db()
    assert loop.status == "Completed"
    return loop


def map_bucket(org: Org, bucket: str, folder: Path) -> BucketMapping:
    return BucketMapping.objects.create(organization=org.organization, bucket=bucket, local_path=str(folder))


def run_ready_tasks(only: str | None = None, *, limit: int = 100) -> list[Any]:
    """Run the READY background tasks in this process (their run_after reached), as the worker
    would (only those whose task path ends with ``only``, when given), and return their results."""
    results = []
    for _ in range(limit):
        ready = DBTaskResult.objects.ready().order_by("enqueued_at")
        if only is not None:
            ready = ready.filter(task_path__endswith=only)
        row = ready.first()
        if row is None:
            break
        row.claim("test")
        try:
            value = row.task.call(*row.task_result.args, **row.task_result.kwargs)
        except BaseException as exc:
            row.set_failed(exc)
            raise
        row.set_successful(value)
        results.append(value)
    return results


def queued(task_name: str) -> list[DBTaskResult]:
    return [r for r in DBTaskResult.objects.order_by("enqueued_at") if r.task_path.endswith(task_name)]


@contextlib.contextmanager
def moto_s3(*buckets: str) -> Iterator[str]:
    """A moto S3 server on 127.0.0.1 (never a real AWS endpoint), with boto3's standard
    environment pointing at it and dummy credentials; yields the endpoint URL."""
    import boto3
    from moto.server import ThreadedMotoServer

    from flows import storage

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    env = {
        "AWS_ENDPOINT_URL_S3": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    storage.reset_clients()
    try:
        # moto keeps its state per process, across servers: start each test from nothing.
        urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10).close()
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        for bucket in buckets:
            s3.create_bucket(Bucket=bucket)
        yield endpoint
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        storage.reset_clients()
        server.stop()


def s3_client(endpoint: str) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def s3_keys(endpoint: str, bucket: str) -> list[str]:
    listed = s3_client(endpoint).list_objects_v2(Bucket=bucket)
    return sorted(o["Key"] for o in listed.get("Contents", []))
