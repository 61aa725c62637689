"""Done-when of the results: loops completed by real claims and submits (the worker REST API of
a live ``manage.py serve``) write output.json to moto's S3 server and to a mapped folder in A2I's
layout; and a background worker killed with SIGKILL mid-write, then started again, still leaves
exactly one output per loop, none lost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, timedelta
from pathlib import Path

import pytest
import requests
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from flows.models import FlowDefinition, HumanLoop, OutputWrite
from flows.services.results import outputs_recover
from flows.services.work import task_claim, task_submit
from tests import live
from tests.conftest import make_org
from tests.flows.results_helpers import map_bucket, moto_s3, s3_client, s3_keys
from tests.flows.work.factories import flow_factory, loop_factory, worker_factory
from tests.live import ROOT, LiveServer

PASSWORD = "pw-W0rker-123!"


def wait_for(predicate: Callable[[], bool], *, timeout: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"Timed out after {timeout} s waiting for {what}")


def a2i_key(loop: HumanLoop, prefix: str) -> str:
    t = loop.created_at.astimezone(UTC)
    return f"{prefix}/{loop.flow_definition.name}/{t:%Y/%m/%d/%H/%M/%S}/{loop.name}/output.json"


def with_output_path(flow: FlowDefinition, path: str) -> FlowDefinition:
    flow.output_s3_path = path
    flow.save(update_fields=["output_s3_path"])
    return flow


@pytest.mark.django_db(transaction=True)
def test_loops_answered_through_the_worker_api_land_in_s3_and_in_a_folder(tmp_path: Path) -> None:
    # Only this test's server (which knows moto's endpoint) may run the output writes.
    with live.live_servers_paused(), moto_s3("review-out") as endpoint:
        # Given a live server (with its background worker) whose S3 endpoint is moto's
        env = {k: os.environ[k] for k in ("AWS_ENDPOINT_URL_S3", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
        server = LiveServer(extra_env=env)
        try:
            org = make_org()
            map_bucket(org, "local-out", tmp_path)
            s3_flow = with_output_path(flow_factory(org, task_count=2), "s3://review-out/a2i")
            local_flow = with_output_path(flow_factory(org, task_count=2), "s3://local-out/")
            s3_loop = loop_factory(org, s3_flow, taskObject="s3://in/1.png")
            local_loop = loop_factory(org, local_flow, taskObject="s3://in/2.png")
            workers = [worker_factory(org) for _ in range(2)]
            # When two workers claim and submit every task through the worker REST API
            for worker, label in zip(workers, ["cat", "cat"], strict=True):
                token = requests.post(
                    f"{server.url}/api/v1/worker/token", json={"email": worker.email, "password": PASSWORD}, timeout=30
                ).json()["token"]
                auth = {"Authorization": f"Token {token}"}
                for _ in range(2):
                    claimed = requests.post(
                        f"{server.url}/api/v1/worker/tasks/claim", json={}, headers=auth, timeout=30
                    )
                    assert claimed.status_code == 200, claimed.text
                    task_id = claimed.json()["task_id"]
                    done = requests.post(
                        f"{server.url}/api/v1/worker/tasks/{task_id}/submit",
                        json={"answerContent": {"category": {"label": label}}},
                        headers=auth,
                        timeout=30,
                    )
                    assert done.status_code == 200, done.text
            # Then the server's background worker writes both outputs
            wait_for(
                lambda: HumanLoop.objects.filter(pk__in=[s3_loop.pk, local_loop.pk], output_written=True).count() == 2,
                what=f"both outputs\n{server.log()[-3000:]}",
            )
        finally:
            server.stop()
        s3_loop.refresh_from_db()
        local_loop.refresh_from_db()
        key = a2i_key(s3_loop, "a2i")
        assert s3_loop.output_uri == f"s3://review-out/{key}"
        assert s3_keys(endpoint, "review-out") == [key]
        s3_doc = json.loads(s3_client(endpoint).get_object(Bucket="review-out", Key=key)["Body"].read())
        local_file = tmp_path / a2i_key(local_loop, "").lstrip("/")
        assert local_loop.output_uri == f"s3://local-out/{a2i_key(local_loop, '').lstrip('/')}"
        local_doc = json.loads(local_file.read_text())
        for doc, loop in ((s3_doc, s3_loop), (local_doc, local_loop)):
            assert doc["flowDefinitionArn"] == loop.flow_definition.arn
            assert doc["humanLoopName"] == loop.name
            assert doc["inputContent"] == json.loads(loop.input_content)
            assert sorted(a["workerId"] for a in doc["humanAnswers"]) == sorted(w.worker_id for w in workers)
            assert [a["answerContent"] for a in doc["humanAnswers"]] == [{"category": {"label": "cat"}}] * 2
            assert doc["loupeConsolidatedAnswer"]["answerContent"] == {"category": {"label": "cat"}}
            assert doc["loupeConsolidatedAnswer"] == loop.consolidated_answer


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--queue-name", "*", "--interval", "0.1", "--no-startup-delay"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


@pytest.mark.django_db(transaction=True)
def test_sigkill_mid_write_still_gives_exactly_one_output_per_loop(tmp_path: Path) -> None:
    # The session's live server runs a background worker of its own: pause it, so that the
    # workers this test starts and kills are the only ones writing outputs.
    with live.live_servers_paused(), moto_s3("review-out") as endpoint:
        org = make_org()
        map_bucket(org, "local-out", tmp_path / "folder")
        s3_flow = with_output_path(flow_factory(org), "s3://review-out/a2i")
        local_flow = with_output_path(flow_factory(org), "s3://local-out/x")
        worker = worker_factory(org)
        env = {
            "DATABASE_URL": live.test_database_url(),
            "SECRET_KEY": os.environ.get("SECRET_KEY", "test-only-secret-key"),
            "AWS_ENDPOINT_URL_S3": os.environ["AWS_ENDPOINT_URL_S3"],
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "LOUPE_OUTPUT_ATTEMPT_TIMEOUT_SECONDS": "1",
        }
        log = tmp_path / "worker.log"
        # Given a background worker whose writes are slow (the fault-injection hook)
        first = _worker({**env, "LOUPE_OUTPUT_WRITE_DELAY_SECONDS": "30"}, log)
        try:
            # and four loops completed by real claims and submits (their writes enqueued on commit)
            loops = []
            for flow in (s3_flow, local_flow, s3_flow, local_flow):
                loop = loop_factory(org, flow)
                task = task_claim(worker=worker_factory(org), flow_definition=flow)
                assert task is not None
                task_submit(worker=task.worker, task_id=task.pk, answer_content={"ok": {"yes": True}})
                loops.append(loop)
            del worker
            # When the worker is killed with SIGKILL in the middle of a write
            wait_for(
                lambda: OutputWrite.objects.filter(attempts__gte=1).exists(),
                what=f"a write to start\n{log.read_text()}",
            )
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        finally:
            if first.poll() is None:
                first.kill()
                first.wait(10)
        assert HumanLoop.objects.filter(pk__in=[lp.pk for lp in loops], output_written=True).count() == 0
        assert s3_keys(endpoint, "review-out") == []
        # the dead worker's task stays claimed (RUNNING): only housekeeping can bring it back
        assert DBTaskResult.objects.filter(status="RUNNING", task_path__endswith="write_loop_output").count() == 1
        # and started again, with housekeeping resuming the write the dead worker held
        second = _worker(env, log)
        try:
            time.sleep(1.5)  # the killed attempt's deadline (1 s) passes
            assert outputs_recover(now=timezone.now() + timedelta(seconds=60)) >= 1
            wait_for(
                lambda: HumanLoop.objects.filter(pk__in=[lp.pk for lp in loops], output_written=True).count() == 4,
                what=f"all outputs\n{log.read_text()[-3000:]}",
            )
        finally:
            second.terminate()
            second.wait(15)
        # Then every loop has exactly one output.json, at its A2I key, none lost
        for loop in loops:
            loop.refresh_from_db()
        s3_loops = [lp for lp in loops if lp.flow_definition_id == s3_flow.pk]
        local_loops = [lp for lp in loops if lp.flow_definition_id == local_flow.pk]
        assert s3_keys(endpoint, "review-out") == sorted(a2i_key(lp, "a2i") for lp in s3_loops)
        files = sorted(str(p.relative_to(tmp_path / "folder")) for p in (tmp_path / "folder").rglob("*") if p.is_file())
        assert files == sorted(a2i_key(lp, "x") for lp in local_loops)
        for lp in loops:
            assert lp.consolidated_answer["answerContent"] == {"ok": {"yes": True}}
