"""Fault tests (issue 8): the app server SIGKILLed during submits, PostgreSQL and Redis cut for a
few seconds (through a TCP proxy of the test's own: the machine's services are never touched),
and the S3 endpoint failing and then slow during output writes. For each: what the caller sees,
and that nothing acknowledged is lost and nothing is done twice. (The background worker killed
mid-output-write: ``test_sigkill_mid_write_still_gives_exactly_one_output_per_loop`` in
``tests/flows/test_outputs_live.py``.)

README.md, "What happens when things break", states the guarantees these tests hold.
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError
from django.db import connection
from django.db.models import Count
from django.test import Client
from rest_framework.authtoken.models import Token

from flows.models import Answer, Assignment, HumanLoop, Task, TaskStatus
from tests import live
from tests.conftest import IN_CI, make_org
from tests.flows.results_helpers import map_bucket, moto_s3, s3_keys
from tests.flows.work.factories import flow_factory, loop_factory, worker_factory
from tests.hardening.faultkit import ScriptedWorker, TcpProxy
from tests.hardening.test_scaled import _redis_up, _Socket
from tests.live import LiveServer

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for(predicate: Callable[[], bool], *, timeout: float, what: str | Callable[[], str]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"Timed out after {timeout} s waiting for {what() if callable(what) else what}")


def with_output_path(flow: Any, path: str) -> Any:
    flow.output_s3_path = path
    flow.save(update_fields=["output_s3_path"])
    return flow


def worker_token(user: Any) -> str:
    return Token.objects.create(user=user).key


def overlapping_leases() -> int:
    """Tasks whose leases by two different workers overlapped in time."""
    from django.utils import timezone

    now = timezone.now()
    by_task: dict[int, list[tuple[Any, Any, int]]] = {}
    for task_id, worker_id, accepted, ended, expires in Assignment.objects.values_list(
        "task_id", "worker_id", "accepted_at", "ended_at", "lease_expires_at"
    ):
        end = ended or min(expires or now, now)
        by_task.setdefault(task_id, []).append((accepted, end, worker_id))
    double = 0
    for leases in by_task.values():
        leases.sort()
        if any(b[0] < a[1] and b[2] != a[2] for a, b in itertools.pairwise(leases)):
            double += 1
    return double


# --- 1. The app server SIGKILLed during submits ---------------------------------------------------


def test_sigkill_of_a_server_process_during_submits_loses_no_acknowledged_answer(tmp_path: Path) -> None:
    # Given two server processes on one database (A runs the background worker and housekeeping,
    # as `make run` does; B only serves, as in the scale-out layout), 150 loops of TaskCount 2
    # whose leases last 12 s, and six scripted workers spread over A and B
    org = make_org()
    map_bucket(org, "fault-out", tmp_path / "out")
    flow = with_output_path(flow_factory(org, task_count=2, time_limit=12), "s3://fault-out/a")
    loops = [loop_factory(org, flow, n=i) for i in range(150)]
    tokens = [worker_token(worker_factory(org)) for _ in range(6)]
    # (an output write in flight when A dies counts as dead after 5 s, not the default 120 s)
    a_env = {"LOUPE_OUTPUT_ATTEMPT_TIMEOUT_SECONDS": "5", "LOUPE_OUTPUT_RECOVERY_SECONDS": "3"}
    a = LiveServer(extra_env=a_env)
    b = LiveServer(worker=False)
    servers = {"a": a, "b": b}
    stop = threading.Event()

    def url_of(key: str) -> Callable[[], str]:
        return lambda: servers[key].url

    workers = [
        ScriptedWorker(url_of("a" if i % 2 == 0 else "b"), token, stop=stop, think=0.1)
        for i, token in enumerate(tokens)
    ]
    try:
        for w in workers:
            w.start()

        def acked() -> int:
            return sum(len(w.acked) for w in workers)

        def state() -> str:
            rows = [
                f"worker {i}: acked {len(w.acked)} retries {w.retries} claims {w.claims} alive {w.is_alive()} "
                f"errors {w.errors[:2]}"
                for i, w in enumerate(workers)
            ]
            tasks = dict(Task.objects.filter(loop__in=loops).values_list("status").annotate(n=Count("pk")))
            logs = "\n".join(f"--- {k}\n{s.log()[-1500:]}" for k, s in servers.items())
            return "\n".join([*rows, f"tasks {tasks}", logs])

        # When B is killed with SIGKILL mid-stream and started again on its port
        wait_for(lambda: acked() >= 30, timeout=60, what=lambda: f"30 answers\n{state()}")
        b.proc.send_signal(signal.SIGKILL)
        b.proc.wait(10)
        b.stop()
        servers["b"] = b = LiveServer(worker=False, port=b.port)
        # and then A (with the background worker and housekeeping) too
        mark = acked()
        wait_for(lambda: acked() >= mark + 20, timeout=60, what=lambda: f"20 more answers\n{state()}")
        a.proc.send_signal(signal.SIGKILL)
        a.proc.wait(10)
        a.stop()
        servers["a"] = a = LiveServer(extra_env=a_env, port=a.port)
        # Then the workers, retrying as clients do, finish every loop (leases orphaned by the kills
        # expire after their 12 s and go back to the pool)
        wait_for(
            lambda: HumanLoop.objects.filter(pk__in=[lp.pk for lp in loops], status="Completed").count() == len(loops),
            timeout=90,
            what=lambda: f"every loop to complete\n{state()}",
        )
        stop.set()
        for w in workers:
            w.join(40)
        errors = [e for w in workers for e in w.errors]
        assert errors == []
        # (the workers of both processes met their server's death: the kills landed mid-stream)
        assert sum(w.retries for w in workers[0::2]) > 0, state()
        assert sum(w.retries for w in workers[1::2]) > 0, state()

        acked_ids = [t for w in workers for t in w.acked]
        # every submit that got a 200 has its answer, exactly once
        answers_by_task = dict(
            Answer.objects.filter(loop__in=loops).values("task_id").annotate(n=Count("pk")).values_list("task_id", "n")
        )
        assert all(answers_by_task.get(t) == 1 for t in acked_ids)
        assert len(acked_ids) == len(set(acked_ids))
        # a retry whose first attempt had landed was told so (409), and that answer is there once
        assert all(answers_by_task.get(t) == 1 for w in workers for t in w.landed_before)
        # a retry that found its lease ended (400) left no answer
        assert all(t not in answers_by_task for w in workers for t in w.lost_lease)
        # each loop has exactly TaskCount answers, from two different workers
        per_loop = Answer.objects.filter(loop__in=loops).values("loop_id").annotate(n=Count("pk"), w=Count("worker_id"))
        assert sorted({(r["n"], r["w"]) for r in per_loop}) == [(2, 2)]
        assert len(acked_ids) + sum(len(w.landed_before) for w in workers) == 2 * len(loops)
        # no task was ever held by two workers at once, and no lease is left held
        assert overlapping_leases() == 0
        assert not Task.objects.filter(loop__in=loops, status=TaskStatus.LEASED).exists()

        # And a worker sending an acknowledged submit again gets a clear 409, and nothing is added
        again = ScriptedWorker(lambda: a.url, tokens[0], stop=stop)
        for task_id in workers[0].acked[:3]:
            status, body, _ = again.post(f"/api/v1/worker/tasks/{task_id}/submit", {"answerContent": {"x": 1}})
            assert (status, body and body["code"]) == (409, "conflict"), body
        assert Answer.objects.filter(loop__in=loops).count() == 2 * len(loops)
        # and every loop's output.json is written once (by the restarted background worker)
        wait_for(
            lambda: HumanLoop.objects.filter(pk__in=[lp.pk for lp in loops], output_written=True).count() == len(loops),
            timeout=60,
            what=f"every output\n{a.log()[-3000:]}",
        )
        assert len([p for p in (tmp_path / "out").rglob("output.json")]) == len(loops)
    finally:
        stop.set()
        for server in servers.values():
            server.stop()


# --- 3. PostgreSQL cut for a few seconds -----------------------------------------------------------


def _via_proxy(url: str, proxy: TcpProxy) -> str:
    """``url`` with its host and port replaced by the proxy's (credentials kept)."""
    parts = urlsplit(url)
    auth = parts.netloc.rpartition("@")[0]
    return urlunsplit(parts._replace(netloc=f"{auth + '@' if auth else ''}127.0.0.1:{proxy.port}"))


class LoopStarter(threading.Thread):
    """A boto3 client starting loops one after another; after an error that says "retry" it sends
    the same loop again, as an idempotent client would. Records the names StartHumanLoop
    acknowledged."""

    def __init__(self, org: Any, url: str, flow_arn: str, prefix: str) -> None:
        super().__init__(daemon=True)
        # One attempt per call: this client does its own retrying, so that each outage answer is seen.
        self.a2i = boto3.client(
            "sagemaker-a2i-runtime",
            endpoint_url=url,
            region_name=org.region,
            aws_access_key_id=org.api_key.access_key_id,
            aws_secret_access_key=org.api_key.secret_access_key,
            config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
        )
        self.flow_arn, self.prefix = flow_arn, prefix
        self.stop = threading.Event()
        self.acked: list[str] = []
        self.landed_before: list[str] = []
        self.unavailable = 0
        self.errors: list[str] = []

    def run(self) -> None:
        i = 0
        retried = False
        while not self.stop.is_set():
            name = f"{self.prefix}-{i}"
            try:
                self.a2i.start_human_loop(
                    HumanLoopName=name,
                    FlowDefinitionArn=self.flow_arn,
                    HumanLoopInput={"InputContent": json.dumps({"i": i})},
                )
                self.acked.append(name)
            except ClientError as exc:
                code = exc.response["Error"]["Code"]
                if code == "ServiceUnavailable":
                    self.unavailable += 1
                    retried = True
                    time.sleep(0.3)
                    continue
                if code == "ConflictException" and retried:
                    self.landed_before.append(name)  # the attempt cut mid-way had committed
                else:
                    self.errors.append(f"{name}: {code}: {exc}")
            except Exception as exc:
                self.errors.append(f"{name}: {exc!r}")
            i += 1
            retried = False
            time.sleep(0.05)


def test_postgresql_cut_answers_503_then_recovers_without_a_restart(tmp_path: Path) -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "Applies to PostgreSQL only: the embedded default's SQLite database is a file the server "
            "process opens itself, with no connection to lose (CI runs this in its PostgreSQL pass)."
        )
    # Given a live server whose database connections go through a proxy
    sd = connection.settings_dict
    proxy = TcpProxy(sd.get("HOST") or "127.0.0.1", int(sd.get("PORT") or 5432))
    org = make_org()
    map_bucket(org, "pg-out", tmp_path / "out")
    flow = with_output_path(flow_factory(org, task_count=1), "s3://pg-out/a")
    users = [worker_factory(org) for _ in range(2)]
    tokens = [worker_token(u) for u in users]
    portal = Client()
    portal.force_login(users[0])
    cookies = {"sessionid": portal.cookies["sessionid"].value}
    server = LiveServer(extra_env={"DATABASE_URL": _via_proxy(live.test_database_url(), proxy)})
    starter = LoopStarter(org, server.url, flow.arn, "pg")
    try:
        a2i = org.boto3_client("sagemaker-a2i-runtime", server.url)
        a2i.start_human_loop(
            HumanLoopName="before", FlowDefinitionArn=flow.arn, HumanLoopInput={"InputContent": '{"x": 1}'}
        )

        def post(token: str, path: str, body: dict[str, Any]) -> requests.Response:
            return requests.post(
                f"{server.url}{path}", json=body, headers={"Authorization": f"Token {token}"}, timeout=20
            )

        held = post(tokens[0], "/api/v1/worker/tasks/claim", {})
        assert held.status_code == 200, held.text
        starter.start()
        wait_for(lambda: len(starter.acked) >= 3, timeout=20, what="loops started before the cut")

        # When PostgreSQL goes away (every connection closed, new ones refused)
        proxy.cut()
        cut_at = time.monotonic()
        try:
            # Then the worker API answers 503 problem bodies with Retry-After, promptly
            for path, body in (
                ("/api/v1/worker/tasks/claim", {}),
                (f"/api/v1/worker/tasks/{held.json()['task_id']}/submit", {"answerContent": {"label": "a"}}),
            ):
                t0 = time.monotonic()
                resp = post(tokens[1] if "claim" in path else tokens[0], path, body)
                assert time.monotonic() - t0 < 8
                assert resp.status_code == 503, resp.text
                assert resp.headers["Content-Type"] == "application/problem+json"
                assert resp.headers["Retry-After"] == "2"
                assert resp.json()["code"] == "service_unavailable"
                assert "Traceback" not in resp.text
            # the AWS API answers ServiceUnavailable (503), which botocore retries
            one_shot = boto3.client(
                "sagemaker-a2i-runtime",
                endpoint_url=server.url,
                region_name=org.region,
                aws_access_key_id=org.api_key.access_key_id,
                aws_secret_access_key=org.api_key.secret_access_key,
                config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
            )
            with pytest.raises(ClientError) as caught:
                one_shot.describe_human_loop(HumanLoopName="before")
            assert caught.value.response["Error"]["Code"] == "ServiceUnavailable"
            assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
            with pytest.raises(ClientError) as caught:
                a2i.describe_human_loop(HumanLoopName="before")
            assert caught.value.response["ResponseMetadata"]["RetryAttempts"] >= 1  # retried, then gave up
            # and a portal page says so in words
            page = requests.get(f"{server.url}/", cookies=cookies, timeout=20)
            assert page.status_code == 503
            assert "briefly unavailable" in page.text
            assert page.headers["Retry-After"] == "2"
            time.sleep(max(0.0, 3 - (time.monotonic() - cut_at)))
        finally:
            # And when it is back
            proxy.restore()
        # the same process serves again (no restart): the held task is submitted, claims work
        wait_for(
            lambda: post(tokens[1], "/api/v1/worker/tasks/claim", {}).status_code == 200,
            timeout=20,
            what="a claim after the database came back",
        )
        done = post(tokens[0], f"/api/v1/worker/tasks/{held.json()['task_id']}/submit", {"answerContent": {"l": 1}})
        assert done.status_code == 200, done.text
        assert server.proc.poll() is None
        mark = len(starter.acked)
        wait_for(lambda: len(starter.acked) >= mark + 3, timeout=20, what="loops started after the cut")
        starter.stop.set()
        starter.join(30)
        assert starter.errors == []
        assert starter.unavailable > 0, "no StartHumanLoop met the outage"
        # every acknowledged StartHumanLoop is there, once
        names = starter.acked + starter.landed_before
        assert set(
            HumanLoop.objects.filter(organization=org.organization, name__in=names).values_list("name", flat=True)
        ) == set(names)
        # and the background worker and housekeeping came back too: the completed loop's output lands
        wait_for(
            lambda: HumanLoop.objects.filter(organization=org.organization, output_written=True).count() == 1,
            timeout=30,
            what=f"the output after the outage\n{server.log()[-2000:]}",
        )
    finally:
        starter.stop.set()
        server.stop()
        proxy.close()


# --- 3b. Redis stopped for a while -----------------------------------------------------------------


def test_redis_cut_keeps_every_http_path_working_and_sockets_reconnect() -> None:
    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url:
        pytest.skip(
            "Applies to the Redis layout only: without REDIS_URL the channel layer and the cache are "
            "in-process (CI runs this in its PostgreSQL + Redis pass)."
        )
    if not _redis_up(redis_url):
        if IN_CI:
            pytest.fail(f"Redis is not reachable at {redis_url} under CI.")
        pytest.skip(f"Redis is not reachable at {redis_url}.")
    # Given a live server whose channel layer and cache reach Redis through a proxy, and a worker
    # with the work page's socket open
    parts = urlsplit(redis_url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 6379)
    tag = secrets.token_hex(4)
    env = {
        "REDIS_URL": _via_proxy(redis_url, proxy),
        "LOUPE_CHANNEL_PREFIX": f"loupe-fault-{tag}",
        "LOUPE_CACHE_PREFIX": f"loupe-fault-cache-{tag}",
    }
    org = make_org()
    flow = flow_factory(org, task_count=1)
    worker = worker_factory(org)
    token = worker_token(worker)
    portal = Client()
    portal.force_login(worker)
    cookie = f"sessionid={portal.cookies['sessionid'].value}"
    server = LiveServer(extra_env=env)
    try:
        a2i = org.boto3_client("sagemaker-a2i-runtime", server.url)
        ws = _Socket(server.url, "/ws/work/", cookie)
        assert ws.receive()["type"] == "counts"

        # When Redis goes away
        proxy.cut()
        try:
            # Then starting a loop, claiming, submitting and getting a token still succeed, promptly
            # (their pushes are best effort after commit; rate limits fail open)
            timings = {}
            t0 = time.monotonic()
            a2i.start_human_loop(
                HumanLoopName="during", FlowDefinitionArn=flow.arn, HumanLoopInput={"InputContent": '{"x": 1}'}
            )
            timings["start"] = time.monotonic() - t0
            auth = {"Authorization": f"Token {token}"}
            t0 = time.monotonic()
            claim = requests.post(f"{server.url}/api/v1/worker/tasks/claim", json={}, headers=auth, timeout=20)
            timings["claim"] = time.monotonic() - t0
            assert claim.status_code == 200, claim.text
            t0 = time.monotonic()
            submit = requests.post(
                f"{server.url}/api/v1/worker/tasks/{claim.json()['task_id']}/submit",
                json={"answerContent": {"label": "x"}},
                headers=auth,
                timeout=20,
            )
            timings["submit"] = time.monotonic() - t0
            assert submit.status_code == 200, submit.text
            t0 = time.monotonic()
            issued = requests.post(
                f"{server.url}/api/v1/worker/token",
                json={"email": worker.email, "password": "pw-W0rker-123!"},
                timeout=20,
            )
            timings["token"] = time.monotonic() - t0
            assert issued.status_code == 200, issued.text
            assert max(timings.values()) < 5, timings
            assert a2i.describe_human_loop(HumanLoopName="during")["HumanLoopStatus"] == "Completed"
        finally:
            # And when Redis is back
            proxy.restore()
        # the work page's socket reconnects (as static/portal/live.js does) and hears events again
        ws.close()
        ws2: _Socket | None = None
        deadline = time.monotonic() + 15
        while ws2 is None:
            try:
                ws2 = _Socket(server.url, "/ws/work/", cookie)
                assert ws2.receive()["type"] == "counts"
            except (OSError, AssertionError, ConnectionError):
                ws2 = None
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        a2i.start_human_loop(
            HumanLoopName="after", FlowDefinitionArn=flow.arn, HumanLoopInput={"InputContent": '{"x": 2}'}
        )
        seen: list[dict[str, Any]] = []
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            message = ws2.receive()
            seen.append(message)
            if message["type"] == "counts" and any(
                f["id"] == flow.pk and f["available"] == 1 for f in message["flows"]
            ):
                break
        else:
            pytest.fail(f"No counts with the new task after Redis came back: {seen}")
        ws2.close()
        assert server.proc.poll() is None
    finally:
        server.stop()
        proxy.close()


# --- 4. S3 failing, then slow ----------------------------------------------------------------------


def test_s3_failing_then_slow_still_gives_each_completed_loop_exactly_one_output() -> None:
    # Only this test's server (whose S3 endpoint is the proxy) may run the output writes.
    with live.live_servers_paused(), moto_s3("fault-s3") as endpoint:
        proxy = TcpProxy("127.0.0.1", urlsplit(endpoint).port or 80)
        env = {
            "AWS_ENDPOINT_URL_S3": f"http://127.0.0.1:{proxy.port}",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        server = LiveServer(extra_env=env)
        try:
            org = make_org()
            flow = with_output_path(flow_factory(org, task_count=1), "s3://fault-s3/a2i")
            token = worker_token(worker_factory(org))
            a2i = org.boto3_client("sagemaker-a2i-runtime", server.url)

            def complete(names: list[str]) -> None:
                for name in names:
                    a2i.start_human_loop(
                        HumanLoopName=name, FlowDefinitionArn=flow.arn, HumanLoopInput={"InputContent": "{}"}
                    )
                auth = {"Authorization": f"Token {token}"}
                for _ in names:
                    task = requests.post(f"{server.url}/api/v1/worker/tasks/claim", json={}, headers=auth, timeout=20)
                    assert task.status_code == 200, task.text
                    done = requests.post(
                        f"{server.url}/api/v1/worker/tasks/{task.json()['task_id']}/submit",
                        json={"answerContent": {"ok": True}},
                        headers=auth,
                        timeout=20,
                    )
                    assert done.status_code == 200, done.text

            # When S3 answers 500 and 503 to everything for a while
            proxy.mode, proxy.fail_status = "fail", 500
            failing = [f"fail-{i}" for i in range(3)]
            # (a worker of this team answers each loop once: one worker, TaskCount 1, one loop each)
            complete(failing)
            wait_for(lambda: proxy.requests_failed >= 3, timeout=20, what="writes to meet the failing S3")
            proxy.fail_status = 503
            # Then DescribeHumanLoop already says Completed, with the OutputS3Uri the object will have
            described = a2i.describe_human_loop(HumanLoopName="fail-0")
            loop = HumanLoop.objects.get(organization=org.organization, name="fail-0")
            assert described["HumanLoopStatus"] == "Completed"
            assert described["HumanLoopOutput"]["OutputS3Uri"] == loop.output_uri
            assert not loop.output_written
            assert s3_keys(endpoint, "fault-s3") == []
            time.sleep(3)
            # And when S3 is back but slow (3 s a request)
            proxy.mode, proxy.delay = "slow", 3.0
            slow = [f"slow-{i}" for i in range(3)]
            complete(slow)
            loops = HumanLoop.objects.filter(organization=org.organization)
            wait_for(
                lambda: loops.filter(output_written=True).count() == 6,
                timeout=90,
                what=f"every output\n{server.log()[-3000:]}",
            )
            assert proxy.requests_delayed > 0
            proxy.mode = "pass"
            # every completed loop has exactly one output.json, at its OutputS3Uri, none lost
            keys = s3_keys(endpoint, "fault-s3")
            assert sorted(f"s3://fault-s3/{k}" for k in keys) == sorted(lp.output_uri for lp in loops)
            # the writes that met the failing S3 were retried with back-off
            from flows.models import OutputWrite

            attempts = dict(OutputWrite.objects.filter(loop__in=loops).values_list("loop__name", "attempts"))
            assert all(attempts[name] >= 2 for name in failing), attempts
        finally:
            server.stop()
            proxy.close()
