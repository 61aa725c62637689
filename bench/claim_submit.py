"""Claim/submit benchmark: K workers over real HTTP (the worker REST API), each claiming a task,
waiting T ms, submitting, and again, against a live server (`manage.py serve`, as `make run`
serves), on a throwaway database.

    .venv/bin/python bench/claim_submit.py --workers K --loops N [--think-ms T] [--claim-next]
        [--task-count 3] [--seconds S] --json

prints {"workers", "loops", "task_count", "think_ms", "answers", "double_assignments",
"duplicate_worker_in_loop", "claim_p50_ms", "claim_p99_ms", "submit_p99_ms", "answers_per_s", ...}.

The database is the one DATABASE_URL names (a PostgreSQL server: the bench creates its own
database there and drops it afterwards), SQLite by default; either way in a fresh temporary
LOUPE_VAR_DIR, so the user's data is never touched. The organization, flow, loops (through the
batch start service) and the K workers with their tokens are made before the server starts. Each
worker is a thread with its own keep-alive connection. ``--seconds`` ends the run after S seconds
(each worker finishes the task it holds); without it the run ends when every task is answered.
``double_assignments`` and ``duplicate_worker_in_loop`` are counted in the database afterwards:
tasks whose leases by two workers overlapped in time, and (loop, worker) pairs with more than one
answer or assignment.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import random
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TEMPLATE = '<crowd-form><crowd-input name="label" required></crowd-input></crowd-form>'


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _database(url: str) -> Iterator[str]:
    """The DATABASE_URL to use: SQLite inside the temporary var dir, or a fresh PostgreSQL
    database on the named server, dropped at the end."""
    if not url.startswith("postgres"):
        yield ""
        return
    import psycopg

    parts = urlsplit(url)
    name = f"loupe_bench_{secrets.token_hex(4)}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _manage(env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{out.stderr[-3000:]}")
    return out.stdout


class Server:
    def __init__(self, env: dict[str, str], log: Path, *, worker: bool = True) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = log.open("wb")
        extra = [] if worker else ["--no-worker"]
        self.proc = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(self.port), *extra],
            cwd=ROOT,
            env={**env, "LOUPE_PUBLIC_URL": self.url},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"The server exited early:\n{log.read_text()[-3000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise SystemExit("The server did not start in 60 s.")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (all its threads), from /proc (Linux); None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000, 1)


def _setup(workers: int, loops: int, task_count: int) -> list[str]:
    """Organization, flow (its output bucket mapped to a folder in the var dir), loops and workers
    with tokens, in this process (Django set up on the bench's database). Returns the workers'
    tokens."""
    import django

    django.setup()
    from django.db import connections
    from rest_framework.authtoken.models import Token

    from flows.services.batch import loops_start_batch
    from flows.services.flow_definitions import HumanLoopConfig, flow_definition_create
    from flows.services.task_uis import task_ui_create
    from workforce.models import Membership, Role, TeamMembership, User
    from workforce.services import organization_create

    created = organization_create(name="Bench", admin_email="bench@example.test")
    org = created.organization
    ui = task_ui_create(organization=org, name="bench-ui", content=TEMPLATE)
    flow_definition_create(
        organization=org,
        name="bench-flow",
        role_arn=f"arn:aws:iam::{org.account_id}:role/bench",
        output_s3_path="s3://loupe-bench/out",
        human_loop_config=HumanLoopConfig(
            workteam_arn=created.workteam.arn,
            human_task_ui_arn=ui.arn,
            task_title="Label",
            task_description="Label the item",
            task_count=task_count,
            task_time_limit_seconds=600,
        ),
    )
    # Outputs land in a local folder (never an S3 endpoint): output writes are part of the work.
    from flows.services.outputs import bucket_mapping_create

    bucket_mapping_create(
        organization=org,
        bucket="loupe-bench",
        local_path=str(Path(os.environ["LOUPE_VAR_DIR"]) / "outputs" / "loupe-bench"),
    )
    for start in range(0, loops, 1000):
        items = [{"name": f"loop-{i}", "input_content": {"i": i}} for i in range(start, min(loops, start + 1000))]
        loops_start_batch(organization=org, items=items, default_flow_definition="bench-flow")
    users = User.objects.bulk_create(
        [User(email=f"worker-{i}@bench.test", password="!") for i in range(workers)]  # never sign in
    )
    users = list(User.objects.filter(email__endswith="@bench.test").exclude(email="bench@example.test"))
    Membership.objects.bulk_create([Membership(organization=org, user=u, role=Role.WORKER) for u in users])
    TeamMembership.objects.bulk_create([TeamMembership(workteam=created.workteam, user=u) for u in users])
    tokens = [Token.objects.create(user=u).key for u in users]
    connections.close_all()
    return tokens


def _audit() -> dict[str, int]:
    """What the database holds after the run."""
    from django.db import connections
    from django.db.models import Count
    from django.utils import timezone

    from flows.models import Answer, Assignment

    now = timezone.now()
    by_task: dict[int, list[tuple[Any, Any, int]]] = {}
    for task_id, worker_id, accepted, ended in Assignment.objects.values_list(
        "task_id", "worker_id", "accepted_at", "ended_at"
    ):
        by_task.setdefault(task_id, []).append((accepted, ended or now, worker_id))
    double = 0
    for leases in by_task.values():
        leases.sort()
        if any(b[0] < a[1] and b[2] != a[2] for a, b in itertools.pairwise(leases)):
            double += 1
    dup_answers = Answer.objects.values("loop_id", "worker_id").annotate(n=Count("pk")).filter(n__gt=1).count()
    dup_assign = Assignment.objects.values("loop_id", "worker_id").annotate(n=Count("pk")).filter(n__gt=1).count()
    answers = Answer.objects.count()
    connections.close_all()
    return {"answers": answers, "double_assignments": double, "duplicate_worker_in_loop": dup_answers + dup_assign}


class Worker(threading.Thread):
    def __init__(
        self, port: int, token: str, *, think: float, claim_next: bool, start: threading.Barrier, deadline: list[float]
    ) -> None:
        super().__init__(daemon=True)
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        self.think, self.claim_next, self.start_barrier, self.deadline = think, claim_next, start, deadline
        self.claims: list[float] = []
        self.submits: list[float] = []
        self.answers = 0
        self.errors: list[str] = []
        self.rng = random.Random(token)

    def _post(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any] | None, float]:
        t0 = time.perf_counter()
        self.conn.request("POST", path, body=json.dumps(body), headers=self.headers)
        resp = self.conn.getresponse()
        data = resp.read()
        elapsed = time.perf_counter() - t0
        return resp.status, (json.loads(data) if data else None), elapsed

    def run(self) -> None:
        # Warm the connection and the server's code paths without touching any task: a claim
        # narrowed to a flow that does not exist answers 404.
        status, _, _ = self._post("/api/v1/worker/tasks/claim", {"flow_definition_name": "no-such-flow"})
        if status != 404:
            self.errors.append(f"warm-up claim answered {status}")
        self.start_barrier.wait()
        if self.think:
            # A paced crowd does not act in lockstep: each worker starts somewhere in the first
            # think interval, and thinks 0.5-1.5 x T (mean T) per task.
            time.sleep(self.rng.uniform(0, self.think))
        task: dict[str, Any] | None = None
        try:
            while time.perf_counter() < self.deadline[0]:
                if task is None:
                    status, task, elapsed = self._post("/api/v1/worker/tasks/claim", {})
                    self.claims.append(elapsed)
                    if status == 204:
                        return
                    if status != 200 or task is None:
                        self.errors.append(f"claim {status}: {task}")
                        return
                if self.think:
                    time.sleep(self.think * self.rng.uniform(0.5, 1.5))
                body = {"answerContent": {"label": "ok", "i": task["input_content"]["i"]}}
                if self.claim_next:
                    body["claim_next"] = True
                status, result, elapsed = self._post(f"/api/v1/worker/tasks/{task['task_id']}/submit", body)
                self.submits.append(elapsed)
                if status != 200 or result is None:
                    self.errors.append(f"submit {status}: {result}")
                    return
                self.answers += 1
                if self.claim_next:
                    task = result["next"]
                    if task is None:
                        return
                else:
                    task = None
        except Exception as exc:
            self.errors.append(repr(exc))
        finally:
            self.conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=10)
    parser.add_argument("--loops", type=int, default=300)
    parser.add_argument("--task-count", type=int, default=3, help="The flow's TaskCount (1-3).")
    parser.add_argument("--think-ms", type=float, default=0.0, help="Pause between claim and submit.")
    parser.add_argument("--claim-next", action="store_true", help="Submit with claim_next (one round trip per task).")
    parser.add_argument("--seconds", type=float, default=None, help="End the run after this long.")
    parser.add_argument(
        "--servers", type=int, default=1, help="Server processes; workers are spread over them (default 1)."
    )
    parser.add_argument("--json", action="store_true", help="Print one JSON object (the default prints lines).")
    parser.add_argument("--keep", action="store_true", help="Keep the temporary var dir (server log) afterwards.")
    opts = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="loupe-bench-"))
    source_url = os.environ.get("DATABASE_URL", "")
    servers: list[Server] = []
    try:
        with _database(source_url) as database_url:
            env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
            env.update(
                {
                    "LOUPE_VAR_DIR": str(var_dir),
                    "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(40),
                    "LOG_LEVEL": "WARNING",
                    "PYTHONUNBUFFERED": "1",
                }
            )
            if database_url:
                env["DATABASE_URL"] = database_url
            _manage(env, "migrate", "--noinput", "-v0")
            os.environ.clear()
            os.environ.update({**env, "DJANGO_SETTINGS_MODULE": "config.settings"})
            tokens = _setup(opts.workers, opts.loops, opts.task_count)
            # The first process also runs the background worker and housekeeping; the others only
            # serve (as `manage.py serve --no-worker` does in the scale-out layout).
            servers = [Server(env, var_dir / f"server-{i}.log", worker=i == 0) for i in range(opts.servers)]
            barrier = threading.Barrier(opts.workers + 1)
            deadline = [float("inf")]
            workers = [
                Worker(
                    servers[i % len(servers)].port,
                    token,
                    think=opts.think_ms / 1000,
                    claim_next=opts.claim_next,
                    start=barrier,
                    deadline=deadline,
                )
                for i, token in enumerate(tokens)
            ]
            for w in workers:
                w.start()
            cpu0 = [_cpu_seconds(sv.proc.pid) for sv in servers]
            t0 = time.perf_counter()
            if opts.seconds:
                deadline[0] = t0 + opts.seconds
            barrier.wait()
            for w in workers:
                w.join()
            elapsed = time.perf_counter() - t0
            cpu1 = [_cpu_seconds(sv.proc.pid) for sv in servers]
            for sv in servers:
                sv.stop()
            servers = []
            audit = _audit()
    finally:
        for sv in servers:
            sv.stop()
        if not opts.keep:
            shutil.rmtree(var_dir, ignore_errors=True)

    claims = [x for w in workers for x in w.claims]
    submits = [x for w in workers for x in w.submits]
    acknowledged = sum(w.answers for w in workers)
    errors = [e for w in workers for e in w.errors]
    result = {
        "workers": opts.workers,
        "loops": opts.loops,
        "task_count": opts.task_count,
        "think_ms": opts.think_ms,
        "answers": audit["answers"],
        "double_assignments": audit["double_assignments"],
        "duplicate_worker_in_loop": audit["duplicate_worker_in_loop"],
        "claim_p50_ms": _percentile(claims, 0.5),
        "claim_p99_ms": _percentile(claims, 0.99),
        "submit_p99_ms": _percentile(submits, 0.99),
        "answers_per_s": round(acknowledged / elapsed, 1),
        "submit_p50_ms": _percentile(submits, 0.5),
        # Load-independent: the server's CPU time (all threads) per acknowledged answer.
        "server_cpu_ms_per_answer": (
            round(sum(b - a for a, b in zip(cpu0, cpu1, strict=True)) * 1000 / acknowledged, 2)  # type: ignore[operator]
            if None not in cpu0 and None not in cpu1 and acknowledged
            else None
        ),
        "load_average_1m": round(os.getloadavg()[0], 1),
        "claim_next": opts.claim_next,
        "acknowledged_answers": acknowledged,
        "elapsed_s": round(elapsed, 2),
        "errors": len(errors),
        "first_errors": errors[:3],
        "database": "postgresql" if source_url.startswith("postgres") else "sqlite",
        "http_threads": int(os.environ.get("LOUPE_HTTP_THREADS", "16")),
        "servers": opts.servers,
        "cpu_count": os.cpu_count(),
    }
    if opts.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")


if __name__ == "__main__":
    main()
