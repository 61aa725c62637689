"""Export benchmark: N answered loops, exported through ``flows.exports`` (the code the REST
export streams), timed, with the exporting process's peak memory.

    .venv/bin/python bench/export.py --loops 100000 [--format jsonl|csv|manifest|coco] [--json]

prints {"loops", "format", "lines_per_s", "peak_rss_mb", "baseline_rss_mb", "seconds",
"lines_per_cpu_s", "bytes", "lines", "build_seconds", "database"}.

* ``lines_per_cpu_s``: lines per second of the exporting process's own CPU time, a figure that
  holds on a busy machine (with SQLite it includes the database work; with PostgreSQL, not the
  server's).
* The loops (one task, one bounding-box answer and a consolidated answer each) are bulk-inserted
  straight into the database with the models' own column values, in a fresh temporary
  LOUPE_VAR_DIR: SQLite by default, or a throwaway database on the PostgreSQL server that
  DATABASE_URL names.
* The export runs in its own process, writing to /dev/null, so ``peak_rss_mb`` is the export's
  (``baseline_rss_mb``: the same process before exporting).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BATCH = 20_000


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def _database(url: str, var: Path) -> Iterator[str]:
    if not url or url.startswith("sqlite"):
        yield f"sqlite:///{var / 'bench-export.sqlite3'}"
        return
    import psycopg

    parts = urlsplit(url)
    name = f"loupe_bench_export_{secrets.token_hex(4)}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _insert(model: Any, template: Any, rows: Iterator[dict[str, Any]]) -> None:
    """INSERT rows of ``model``: every concrete column, from ``template``'s prepared values with
    the per-row ``{attname: value}`` overrides (prepared here), in batches of executemany."""
    from django.db import connection, transaction

    fields = list(model._meta.concrete_fields)
    prepared = {f.attname: f.get_db_prep_save(getattr(template, f.attname), connection) for f in fields}
    by_name = {f.attname: f for f in fields}
    q = connection.ops.quote_name
    columns = ", ".join(q(f.column) for f in fields)
    sql = f"INSERT INTO {q(model._meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
    names = [f.attname for f in fields]
    batch: list[list[Any]] = []

    def flush() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, batch)
        batch.clear()

    for row in rows:
        values = dict(prepared)
        for name, value in row.items():
            values[name] = (
                value if name in ("id", "loop_id", "task_id") else by_name[name].get_db_prep_save(value, connection)
            )
        batch.append([values[n] for n in names])
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()


def build(loops: int) -> dict[str, Any]:
    """Create an organization, a flow, a worker, and ``loops`` Completed loops with answers."""
    _django()
    import hashlib

    from django.db.models import Max
    from django.utils import timezone

    from flows.models import Answer, FlowDefinition, HumanLoop, HumanLoopStatus, HumanTaskUi, Task, TaskStatus
    from workforce.services import organization_create, worker_add

    started = time.perf_counter()
    created = organization_create(
        name=f"bench-{secrets.token_hex(3)}", admin_email="admin@bench.test", admin_password="pw-Bench-123!"
    )
    org = created.organization
    template = (
        '<crowd-form><crowd-bounding-box name="annotatedResult" src="{{ task.input.taskObject | grant_read_access }}"'
        " labels=\"['Cat', 'Dog']\"></crowd-bounding-box></crowd-form>"
    )
    ui = HumanTaskUi.objects.create(
        organization=org, name="boxes", template=template, content_sha256=hashlib.sha256(template.encode()).hexdigest()
    )
    flow = FlowDefinition.objects.create(
        organization=org,
        name="pets",
        human_task_ui=ui,
        workteam=created.workteam,
        workteam_arn=created.workteam.arn,
        task_title="Draw boxes",
        task_description="Draw a box around each pet",
        task_count=1,
        output_s3_path="s3://bench/out",
        role_arn=f"arn:aws:iam::{org.account_id}:role/loupe",
    )
    worker, _ = worker_add(organization=org, email="worker@bench.test", password="pw-W0rker-123!")
    now = timezone.now()
    first_loop = (HumanLoop.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    first_task = (Task.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    first_answer = (Answer.objects.aggregate(m=Max("id"))["m"] or 0) + 1

    def answer(i: int) -> dict[str, Any]:
        return {
            "annotatedResult": {
                "boundingBoxes": [
                    {"height": 212 + i % 7, "label": "Dog" if i % 3 else "Cat", "left": 388, "top": 140, "width": 301},
                    {"height": 96, "label": "Cat", "left": 40 + i % 11, "top": 305, "width": 118},
                ],
                "inputImageProperties": {"height": 683, "width": 1024},
            }
        }

    consolidated = {"answerContent": answer(0), "confidence": 1.0, "method": "auto", "weighting": "equal"}
    loop_template = HumanLoop(
        organization=org,
        flow_definition=flow,
        name="x",
        input_content="{}",
        input_sha256="0" * 64,
        status=HumanLoopStatus.COMPLETED,
        task_count=1,
        consolidated_answer=consolidated,
        created_at=now,
        completed_at=now,
        output_uri="s3://bench/out/pets/output.json",
        output_written=True,
    )
    task_template = Task(
        loop_id=0, flow_definition=flow, index=0, status=TaskStatus.SUBMITTED, worker=worker, created_at=now
    )
    answer_template = Answer(
        loop_id=0,
        task_id=0,
        worker=worker,
        answer_content={},
        acceptance_time=now,
        submission_time=now,
        time_spent_seconds=31.5,
    )
    variants = [answer(i) for i in range(77)]
    _insert(
        HumanLoop,
        loop_template,
        (
            {
                "id": first_loop + i,
                "name": f"pet-{i:07d}",
                "input_content": f'{{"taskObject":"s3://bench/images/{i:07d}.jpg"}}',
            }
            for i in range(loops)
        ),
    )
    _insert(Task, task_template, ({"id": first_task + i, "loop_id": first_loop + i} for i in range(loops)))
    _insert(
        Answer,
        answer_template,
        (
            {
                "id": first_answer + i,
                "loop_id": first_loop + i,
                "task_id": first_task + i,
                "answer_content": variants[i % 77],
            }
            for i in range(loops)
        ),
    )
    from django.db import connection

    with connection.cursor() as cursor:
        # As autovacuum would after so many inserts: the planner needs the tables' statistics.
        cursor.execute("ANALYZE")
    return {"flow_id": flow.pk, "build_seconds": round(time.perf_counter() - started, 1)}


def export(flow_id: int, fmt: str) -> dict[str, Any]:
    _django()
    from flows.exports.writer import export_stream
    from flows.models import FlowDefinition

    flow = FlowDefinition.objects.get(pk=flow_id)
    baseline = _rss_mb()
    lines = 0

    def progress(done: int) -> None:
        nonlocal lines
        lines = done

    size = 0
    started, cpu_started = time.perf_counter(), time.process_time()
    with open(os.devnull, "wb") as sink:
        for chunk in export_stream(flow=flow, fmt=fmt, progress=progress):
            sink.write(chunk)
            size += len(chunk)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    return {
        "lines": lines,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "lines_per_cpu_s": round(lines / cpu) if cpu else None,
        "bytes": size,
        "lines_per_s": round(lines / seconds) if seconds else None,
        "peak_rss_mb": round(_rss_mb(), 1),
        "baseline_rss_mb": round(baseline, 1),
    }


def _child(env: dict[str, str], *args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--loops", type=int, default=100_000)
    parser.add_argument("--format", default="jsonl", choices=["jsonl", "csv", "manifest", "coco"])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--_build", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--_export", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._build is not None:
        print(json.dumps(build(args._build)))
        return 0
    if args._export is not None:
        print(json.dumps(export(args._export, args.format)))
        return 0

    var = Path(tempfile.mkdtemp(prefix="loupe-bench-export-"))
    try:
        with _database(os.environ.get("DATABASE_URL", ""), var) as url:
            env = dict(os.environ)
            env.update(
                {
                    "DATABASE_URL": url,
                    "LOUPE_VAR_DIR": str(var),
                    "SECRET_KEY": env.get("SECRET_KEY") or secrets.token_urlsafe(32),
                    "LOG_LEVEL": "WARNING",
                }
            )
            env.pop("REDIS_URL", None)
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
            )
            built = _child(env, "--_build", str(args.loops))
            result = _child(env, "--_export", str(built["flow_id"]), "--format", args.format)
    finally:
        shutil.rmtree(var, ignore_errors=True)
    report = {
        "loops": args.loops,
        "format": args.format,
        "lines_per_s": result["lines_per_s"],
        "peak_rss_mb": result["peak_rss_mb"],
        "baseline_rss_mb": result["baseline_rss_mb"],
        "seconds": result["seconds"],
        "lines_per_cpu_s": result["lines_per_cpu_s"],
        "bytes": result["bytes"],
        "lines": result["lines"],
        "build_seconds": built["build_seconds"],
        "database": "postgresql" if url.startswith("postgres") else "sqlite",
    }
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:>16}: {value}")
    return 0 if result["lines"] == args.loops else 1


if __name__ == "__main__":
    raise SystemExit(main())
