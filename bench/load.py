"""Mixed load: K simulated workers (worker REST API, claim then submit with claim_next) and M
clients starting loops with boto3 (StartHumanLoop) at the same time, for T seconds.

    .venv/bin/python bench/load.py --workers K --clients M --seconds T [--embedded] [--servers N] --json

prints {"workers", "clients", "loops_started", "answers", "errors", "lost_answers", "loops_per_s",
"claim_p99_ms", "submit_p99_ms", "output_write_p99_ms", ...}.

* ``--embedded``: one ``manage.py serve`` (Daphne + background worker) on SQLite in a fresh
  temporary var dir — the default layout.
* otherwise the scale-out layout exactly as ``make run-scaled`` starts it (``deploy/run_scaled.py``):
  nginx in front of ``--servers`` (default 2) ``manage.py serve --no-worker`` processes, two
  ``manage.py db_worker`` processes and one ``manage.py housekeeping``, on a fresh PostgreSQL
  database on the server that DATABASE_URL names, with REDIS_URL for the channel layer and the
  cache; every worker and client talks to nginx.

The server and client code (server processes, throwaway database, worker threads) is
``bench/claim_submit.py``'s. ``answers`` are Answer rows in the database afterwards;
``lost_answers`` are submits the server acknowledged (200) whose Answer row is missing;
``output_write_p99_ms`` is, over completed loops whose output.json landed, the time from the
loop's ``completed_at`` to its output write record's last update (``flows.OutputWrite``).
Everything is stopped at the end, the database dropped and the var dir removed.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from claim_submit import Server, Worker, _database, _manage, _percentile, _setup  # noqa: E402


class LoadWorker(Worker):
    """A worker that keeps coming back while the clients start loops: claim (waiting a little
    when nothing is open), submit with claim_next, until the deadline."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.acknowledged: list[int] = []

    def run(self) -> None:
        self.start_barrier.wait()
        task: dict[str, Any] | None = None
        try:
            while time.perf_counter() < self.deadline[0]:
                if task is None:
                    status, task, elapsed = self._post("/api/v1/worker/tasks/claim", {})
                    self.claims.append(elapsed)
                    if status == 204:
                        # Nothing open: come back in half a second (a worker's page polls too).
                        task = None
                        time.sleep(0.5)
                        continue
                    if status != 200 or task is None:
                        self.errors.append(f"claim {status}: {task}")
                        task = None
                        time.sleep(0.1)
                        continue
                body = {"answerContent": {"label": "ok"}, "claim_next": True}
                status, result, elapsed = self._post(f"/api/v1/worker/tasks/{task['task_id']}/submit", body)
                self.submits.append(elapsed)
                if status != 200 or result is None:
                    self.errors.append(f"submit {status}: {result}")
                    task = None
                    continue
                self.answers += 1
                self.acknowledged.append(int(task["task_id"]))
                task = result.get("next")
        except Exception as exc:
            self.errors.append(repr(exc))
        finally:
            self.conn.close()


class Client(threading.Thread):
    """Starts loops with boto3 as fast as the server answers, until the deadline."""

    def __init__(
        self,
        url: str,
        key: tuple[str, str],
        region: str,
        flow_arn: str,
        n: int,
        start: threading.Barrier,
        deadline: list[float],
    ) -> None:
        super().__init__(daemon=True)
        import boto3
        from botocore.config import Config

        self.a2i = boto3.client(
            "sagemaker-a2i-runtime",
            endpoint_url=url,
            region_name=region,
            aws_access_key_id=key[0],
            aws_secret_access_key=key[1],
            config=Config(retries={"mode": "standard", "max_attempts": 3}),
        )
        self.flow_arn, self.n, self.start_barrier, self.deadline = flow_arn, n, start, deadline
        self.started = 0
        self.latencies: list[float] = []
        self.errors: list[str] = []

    def run(self) -> None:
        self.start_barrier.wait()
        i = 0
        while time.perf_counter() < self.deadline[0]:
            i += 1
            t0 = time.perf_counter()
            try:
                self.a2i.start_human_loop(
                    HumanLoopName=f"c{self.n}-{i}",
                    FlowDefinitionArn=self.flow_arn,
                    HumanLoopInput={"InputContent": json.dumps({"i": i, "client": self.n})},
                )
            except Exception as exc:
                self.errors.append(repr(exc)[:300])
                continue
            self.latencies.append(time.perf_counter() - t0)
            self.started += 1


class ScaledLayout:
    """``deploy/run_scaled.py`` (what ``make run-scaled`` runs) on a free port: nginx, the web
    processes, the task workers and housekeeping. ``stop()`` sends it SIGTERM, which stops them all."""

    def __init__(self, env: dict[str, str], log: Path, *, web_processes: int) -> None:
        import socket
        import subprocess

        from claim_submit import _free_port

        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "deploy/run_scaled.py"],
            cwd=ROOT,
            env={
                **env,
                "HOST": "127.0.0.1",
                "PORT": str(self.port),
                "LOUPE_WEB_PROCESSES": str(web_processes),
                "LOUPE_PUBLIC_URL": self.url,
            },
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"run_scaled exited early:\n{log.read_text()[-3000:]}")
            if b"Loupe (scaled)" in log.read_bytes():
                with socket.create_connection(("127.0.0.1", self.port), timeout=2):
                    return
            time.sleep(0.2)
        self.stop()
        raise SystemExit("The scaled layout did not start in 180 s.")

    def stop(self) -> None:
        import signal
        import subprocess

        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()


def _credentials() -> tuple[tuple[str, str], str, str]:
    """The bench organization's key, region and flow (``_setup`` mapped its output bucket to a
    folder in the var dir)."""
    from django.db import connections

    from flows.models import FlowDefinition
    from workforce.models import ApiKey

    flow = FlowDefinition.objects.select_related("organization").get(name="bench-flow")
    key = ApiKey.objects.filter(organization=flow.organization).first()
    assert key is not None
    connections.close_all()
    return (key.access_key_id, key.secret_access_key), flow.organization.region, flow.arn


def _measure(acknowledged: list[int], wait_outputs: float) -> dict[str, Any]:
    from django.db import connections

    from flows.models import Answer, HumanLoop, HumanLoopStatus
    from flows.models.outputs import OutputWrite

    deadline = time.monotonic() + wait_outputs
    while time.monotonic() < deadline:
        pending = HumanLoop.objects.filter(status=HumanLoopStatus.COMPLETED, output_written=False).count()
        if not pending:
            break
        time.sleep(0.5)
    answered = set(Answer.objects.values_list("task_id", flat=True))
    lost = sum(1 for task_id in acknowledged if task_id not in answered)
    delays = [
        (w.updated_at - w.loop.completed_at).total_seconds()
        for w in OutputWrite.objects.select_related("loop").filter(
            loop__output_written=True, loop__completed_at__isnull=False
        )
        if w.loop.completed_at is not None
    ]
    out = {
        "answers": len(answered),
        "lost_answers": lost,
        "loops_completed": HumanLoop.objects.filter(status=HumanLoopStatus.COMPLETED).count(),
        "outputs_written": len(delays),
        "output_write_p99_ms": _percentile(delays, 0.99),
        "output_write_p50_ms": _percentile(delays, 0.5),
    }
    connections.close_all()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=50)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--embedded", action="store_true", help="One manage.py serve on SQLite (the default layout).")
    parser.add_argument(
        "--servers", type=int, default=2, help="Web (Daphne) processes behind nginx when not embedded (default 2)."
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--keep", action="store_true", help="Keep the temporary var dir (server logs).")
    opts = parser.parse_args()

    if not opts.embedded and not (
        os.environ.get("DATABASE_URL", "").startswith("postgres") and os.environ.get("REDIS_URL")
    ):
        raise SystemExit("The scaled run needs DATABASE_URL (PostgreSQL) and REDIS_URL; use --embedded otherwise.")
    var_dir = Path(tempfile.mkdtemp(prefix="loupe-load-"))
    source_url = "" if opts.embedded else os.environ["DATABASE_URL"]
    servers: list[Server | ScaledLayout] = []
    try:
        with _database(source_url) as database_url:
            env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
            if opts.embedded:
                env.pop("REDIS_URL", None)
            env.update(
                {
                    "LOUPE_VAR_DIR": str(var_dir),
                    "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(40),
                    "LOG_LEVEL": "WARNING",
                    "PYTHONUNBUFFERED": "1",
                    "LOUPE_CHANNEL_PREFIX": f"loupe-load-{secrets.token_hex(3)}",
                }
            )
            if database_url:
                env["DATABASE_URL"] = database_url
            _manage(env, "migrate", "--noinput", "-v0")
            os.environ.clear()
            os.environ.update({**env, "DJANGO_SETTINGS_MODULE": "config.settings"})
            tokens = _setup(opts.workers, 0, 1)
            key, region, flow_arn = _credentials()
            if opts.embedded:
                servers = [Server(env, var_dir / "server-0.log", worker=True)]
            else:
                servers = [ScaledLayout(env, var_dir / "scaled.log", web_processes=opts.servers)]
            n_servers = 1
            barrier = threading.Barrier(opts.workers + opts.clients + 1)
            deadline = [float("inf")]
            workers = [
                LoadWorker(
                    servers[i % n_servers].port, token, think=0, claim_next=True, start=barrier, deadline=deadline
                )
                for i, token in enumerate(tokens)
            ]
            clients = [
                Client(servers[i % n_servers].url, key, region, flow_arn, i, barrier, deadline)
                for i in range(opts.clients)
            ]
            for t in [*workers, *clients]:
                t.start()
            t0 = time.perf_counter()
            deadline[0] = t0 + opts.seconds
            barrier.wait()
            for t in [*workers, *clients]:
                t.join(opts.seconds + 120)
            elapsed = time.perf_counter() - t0
            measured = _measure([t for w in workers for t in w.acknowledged], wait_outputs=30)
            for sv in servers:
                sv.stop()
            servers = []
    finally:
        for sv in servers:
            sv.stop()
        if not opts.keep:
            shutil.rmtree(var_dir, ignore_errors=True)

    errors = [e for w in workers for e in w.errors] + [e for c in clients for e in c.errors]
    started = sum(c.started for c in clients)
    result = {
        "workers": opts.workers,
        "clients": opts.clients,
        "loops_started": started,
        "answers": measured["answers"],
        "errors": len(errors),
        "lost_answers": measured["lost_answers"],
        "loops_per_s": round(started / elapsed, 1),
        "claim_p99_ms": _percentile([x for w in workers for x in w.claims], 0.99),
        "submit_p99_ms": _percentile([x for w in workers for x in w.submits], 0.99),
        "output_write_p99_ms": measured["output_write_p99_ms"],
        "output_write_p50_ms": measured["output_write_p50_ms"],
        "start_p99_ms": _percentile([x for c in clients for x in c.latencies], 0.99),
        "acknowledged_answers": sum(w.answers for w in workers),
        "loops_completed": measured["loops_completed"],
        "outputs_written": measured["outputs_written"],
        "first_errors": errors[:3],
        "elapsed_s": round(elapsed, 1),
        "layout": (
            "embedded (SQLite, 1 process)"
            if opts.embedded
            else f"run_scaled: nginx + {opts.servers} Daphne + 2 db_worker + housekeeping, PostgreSQL + Redis"
        ),
        "cpu_count": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 1),
    }
    if opts.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k}: {v}")


if __name__ == "__main__":
    main()
