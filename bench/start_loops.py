"""Start-loop benchmark: StartHumanLoop through boto3 (1 client, then 8) and the REST batch start,
against a live server (`manage.py serve`, as `make run` serves), on a throwaway database.

    .venv/bin/python bench/start_loops.py --json [--seconds 3] [--batches 10] [--task-count 3]

prints {"boto3_1_client_loops_per_s", "boto3_8_clients_loops_per_s", "batch_loops_per_s",
"database", ...}. The database is the one DATABASE_URL names (a PostgreSQL server: the bench
creates its own database there and drops it afterwards), SQLite by default; either way in a fresh
temporary LOUPE_VAR_DIR, so the user's data is never touched.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parent))
from claim_submit import Server, _database, _manage

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
  <crowd-classifier name="sentiment" categories="['Positive', 'Negative', 'Neutral']" header="Sentiment?">
    <classification-target>{{ task.input.text }}</classification-target>
  </crowd-classifier>
</crowd-form>"""
INPUT = {"text": "The delivery was late but the support team sorted it out quickly.", "score": 0.41}


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system, all threads) a process has used so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _a2i(url: str, org: dict[str, Any]) -> Any:
    return boto3.client(
        "sagemaker-a2i-runtime",
        endpoint_url=url,
        region_name=org["region"],
        aws_access_key_id=org["access_key_id"],
        aws_secret_access_key=org["secret_access_key"],
        config=Config(retries={"mode": "standard", "max_attempts": 3}, max_pool_connections=4),
    )


def _boto3_phase(
    server: Server, org: dict[str, Any], flow_arn: str, clients: int, seconds: float, tag: str
) -> dict[str, Any]:
    """``clients`` threads, each with its own boto3 client, starting loops for ``seconds``."""
    a2i = [_a2i(server.url, org) for _ in range(clients)]
    body = json.dumps(INPUT)
    for i, client in enumerate(a2i):  # warm each connection (and the server's code paths)
        client.start_human_loop(
            HumanLoopName=f"warm-{tag}-{i}", FlowDefinitionArn=flow_arn, HumanLoopInput={"InputContent": body}
        )
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors: list[str] = []
    start_barrier = threading.Barrier(clients + 1)
    deadline = 0.0

    def run(i: int) -> None:
        start_barrier.wait()
        n = 0
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            try:
                a2i[i].start_human_loop(
                    HumanLoopName=f"{tag}-{i}-{n}",
                    FlowDefinitionArn=flow_arn,
                    HumanLoopInput={"InputContent": body},
                )
            except Exception as exc:
                errors.append(repr(exc))
                return
            latencies[i].append(time.perf_counter() - t0)
            n += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    cpu0 = _cpu_seconds(server.proc.pid)
    t0 = time.perf_counter()
    deadline = t0 + seconds
    start_barrier.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    cpu = _cpu_seconds(server.proc.pid) - cpu0
    if errors:
        raise SystemExit(f"StartHumanLoop failed: {errors[0]}")
    flat = sorted(x for lat in latencies for x in lat)
    return {
        "loops": len(flat),
        "loops_per_s": round(len(flat) / elapsed, 1),
        "p50_ms": round(statistics.median(flat) * 1000, 1),
        "p99_ms": round(flat[min(len(flat) - 1, int(len(flat) * 0.99))] * 1000, 1),
        "server_cpu_ms_per_loop": round(cpu * 1000 / max(1, len(flat)), 2),
    }


def _post(url: str, org: dict[str, Any], body: bytes) -> dict[str, Any]:
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Authorization": f"Api-Key {org['access_key_id']}:{org['secret_access_key']}",
            "Content-Type": "application/json",
        },
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def _batch_phase(server: Server, org: dict[str, Any], flow: str, batches: int, size: int) -> dict[str, Any]:
    endpoint = f"{server.url}/api/v1/human-loops/batch"

    def body(b: int) -> bytes:
        items = [{"name": f"batch-{b}-{i}", "input_content": INPUT} for i in range(size)]
        return json.dumps({"flow_definition": flow, "items": items}).encode()

    _post(endpoint, org, body(-1))  # warm-up batch, not timed
    bodies = [body(b) for b in range(batches)]
    per_batch: list[float] = []
    created = 0
    cpu0 = _cpu_seconds(server.proc.pid)
    t0 = time.perf_counter()
    for data in bodies:
        t1 = time.perf_counter()
        results = _post(endpoint, org, data)["results"]
        per_batch.append(time.perf_counter() - t1)
        created += sum(1 for r in results if r["status"] == "created")
    elapsed = time.perf_counter() - t0
    cpu = _cpu_seconds(server.proc.pid) - cpu0
    if created != batches * size:
        raise SystemExit(f"The batch start created {created} loops of {batches * size}.")
    return {
        "loops": created,
        "loops_per_s": round(created / elapsed, 1),
        "batch_p50_ms": round(statistics.median(per_batch) * 1000, 1),
        "batch_max_ms": round(max(per_batch) * 1000, 1),
        "server_cpu_ms_per_batch": round(cpu * 1000 / batches, 1),
        "loops_per_server_cpu_s": round(created / cpu, 1) if cpu > 0 else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="Print one JSON object (the default prints lines).")
    parser.add_argument("--seconds", type=float, default=3.0, help="Duration of each boto3 phase.")
    parser.add_argument("--clients", type=int, default=8, help="Concurrent boto3 clients in the second phase.")
    parser.add_argument("--batches", type=int, default=10, help="Timed REST batches.")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--task-count", type=int, default=3, help="The flow's TaskCount (tasks per loop).")
    parser.add_argument("--keep", action="store_true", help="Keep the temporary var dir (server log) afterwards.")
    opts = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="loupe-bench-"))
    source_url = os.environ.get("DATABASE_URL", "")
    server: Server | None = None
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
            org = json.loads(
                _manage(env, "createorg", "--name", "Bench", "--admin-email", "bench@example.test", "--json")
            )
            server = Server(env, var_dir / "server.log")
            sagemaker = boto3.client(
                "sagemaker",
                endpoint_url=server.url,
                region_name=org["region"],
                aws_access_key_id=org["access_key_id"],
                aws_secret_access_key=org["secret_access_key"],
            )
            ui = sagemaker.create_human_task_ui(HumanTaskUiName="bench-ui", UiTemplate={"Content": TEMPLATE})
            flow = sagemaker.create_flow_definition(
                FlowDefinitionName="bench-flow",
                HumanLoopConfig={
                    "WorkteamArn": org["private_workteam_arn"],
                    "HumanTaskUiArn": ui["HumanTaskUiArn"],
                    "TaskTitle": "Sentiment",
                    "TaskDescription": "Classify the sentiment",
                    "TaskCount": opts.task_count,
                },
                OutputConfig={"S3OutputPath": "s3://loupe-bench/out"},
                RoleArn=f"arn:aws:iam::{org['account_id']}:role/bench",
            )
            flow_arn = flow["FlowDefinitionArn"]
            one = _boto3_phase(server, org, flow_arn, 1, opts.seconds, "one")
            many = _boto3_phase(server, org, flow_arn, opts.clients, opts.seconds, "many")
            batch = _batch_phase(server, org, "bench-flow", opts.batches, opts.batch_size)
            server.stop()
            server = None
    finally:
        if server is not None:
            server.stop()
        if not opts.keep:
            shutil.rmtree(var_dir, ignore_errors=True)

    result = {
        "boto3_1_client_loops_per_s": one["loops_per_s"],
        "boto3_8_clients_loops_per_s": many["loops_per_s"],
        "batch_loops_per_s": batch["loops_per_s"],
        "database": "postgresql" if source_url.startswith("postgres") else "sqlite",
        "task_count": opts.task_count,
        "boto3_1_client": one,
        f"boto3_{opts.clients}_clients": many,
        "batch": {**batch, "batch_size": opts.batch_size, "batches": opts.batches},
        "cpu_count": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    if opts.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")


if __name__ == "__main__":
    main()
