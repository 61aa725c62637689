"""Retraining with human review, end to end, on scikit-learn's digits.

A logistic regression is trained on a small labeled seed; it predicts an unlabeled pool; its
low-confidence predictions go to human review through boto3 (``sagemaker`` for the task UI and
the flow definition, ``sagemaker-a2i-runtime`` for one human loop per image); scripted workers
answer them through Loupe's worker REST API, right with a set probability; once every loop is
Completed and consolidated, the flow's SageMaker Ground Truth augmented manifest comes from the
REST export API, and the model is trained again on the seed plus the human labels. The accuracy
before and after is measured on a held-out test set.

    # self-contained: its own server on a free port, on a throwaway SQLite database under var/
    .venv/bin/python examples/retraining/retrain.py --embedded

    # against a running Loupe (`make run`): its printed endpoint, keys and workteam ARN
    .venv/bin/python examples/retraining/retrain.py --credentials var/demo-credentials.json

Exits 0 when the whole chain worked, 1 (with the reason on stderr) when any step failed.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import io
import json
import os
import random
import secrets
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import boto3
import numpy as np
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from PIL import Image
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

LABEL_ATTRIBUTE = "digit"
DIGITS = [str(d) for d in range(10)]
TEMPLATE = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
  <crowd-classifier name="digit" categories="['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']"
                    header="Which digit is this?">
    <classification-target>
      <img src="{{ task.input.image }}" alt="A handwritten digit, 8 by 8 pixels" width="160" height="160"
           style="image-rendering: pixelated; border: 1px solid #ccc">
      <p>The model says {{ task.input.prediction.label }} (confidence {{ task.input.prediction.confidence }}).</p>
    </classification-target>
    <full-instructions header="Handwritten digits">
      Pick the digit the image shows, whatever the model says. Each image is 8 x 8 pixels, scanned from a form.
    </full-instructions>
    <short-instructions>Pick the digit the image shows.</short-instructions>
  </crowd-classifier>
</crowd-form>
"""


class ChainError(Exception):
    """A step of the chain failed; the message says which and why."""


# --- Where Loupe is ---------------------------------------------------------------------------------


@dataclass
class Target:
    url: str
    region: str
    access_key_id: str
    secret_access_key: str
    workteam_arn: str
    #: The organization's name, for `manage.py addworker` (the scripted workers).
    organization: str
    #: The environment `manage.py` runs in: the server's database.
    env: dict[str, str]
    #: A folder under the server's LOUPE_OUTPUT_ROOTS to map the output bucket to (or None).
    output_dir: Path | None = None


def _manage(env: dict[str, str], *args: str) -> str:
    from bench.claim_submit import _manage as bench_manage

    return bench_manage(env, *args)


@contextmanager
def embedded_loupe(keep: bool) -> Iterator[Target]:
    """A Loupe of its own (`manage.py serve`, as `make run` serves, with the background worker)
    on a free port, on a fresh SQLite database in a temporary folder under var/, removed at the
    end unless ``keep``. The live-server harness is the benchmarks' (bench/claim_submit.py)."""
    from bench.claim_submit import Server

    (ROOT / "var").mkdir(exist_ok=True)
    var_dir = Path(tempfile.mkdtemp(prefix="retraining-", dir=ROOT / "var"))
    drop = ("DATABASE_URL", "REDIS_URL", "LOUPE_OUTPUT_ROOTS", "LOUPE_VAR_DIR")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(
        {
            "LOUPE_VAR_DIR": str(var_dir),
            "LOUPE_OUTPUT_ROOTS": str(var_dir / "outputs"),
            "SECRET_KEY": secrets.token_urlsafe(40),
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    server = None
    try:
        _manage(env, "migrate", "--noinput", "-v0")
        org = json.loads(
            _manage(env, "createorg", "--name", "Retraining", "--admin-email", "admin@retraining.example", "--json")
        )
        server = Server(env, var_dir / "server.log")
        yield Target(
            url=server.url,
            region=org["region"],
            access_key_id=org["access_key_id"],
            secret_access_key=org["secret_access_key"],
            workteam_arn=org["private_workteam_arn"],
            organization=org["organization"],
            env=env,
            output_dir=var_dir / "outputs" / "retraining",
        )
    finally:
        if server is not None:
            server.stop()
        if keep:
            print(f"Kept {var_dir} (database, server log, outputs).", file=sys.stderr)
        else:
            shutil.rmtree(var_dir, ignore_errors=True)


def external_loupe(opts: argparse.Namespace) -> Target:
    """A running Loupe, from the flags, else a credentials file (`make run`'s
    var/demo-credentials.json), else boto3's standard environment variables."""
    creds: dict[str, Any] = {}
    if opts.credentials:
        try:
            creds = json.loads(Path(opts.credentials).read_text())
        except (OSError, ValueError) as exc:
            raise ChainError(f"Cannot read the credentials file {opts.credentials}: {exc}") from exc
    env = os.environ
    values = {
        "endpoint URL (--endpoint-url or AWS_ENDPOINT_URL)": opts.endpoint_url
        or env.get("AWS_ENDPOINT_URL_SAGEMAKER")
        or env.get("AWS_ENDPOINT_URL")
        or ("http://127.0.0.1:8000" if creds else None),
        "Region (--region or AWS_DEFAULT_REGION)": opts.region
        or creds.get("region")
        or env.get("AWS_REGION")
        or env.get("AWS_DEFAULT_REGION"),
        "access key (--access-key-id or AWS_ACCESS_KEY_ID)": opts.access_key_id
        or creds.get("access_key_id")
        or env.get("AWS_ACCESS_KEY_ID"),
        "secret key (--secret-access-key or AWS_SECRET_ACCESS_KEY)": opts.secret_access_key
        or creds.get("secret_access_key")
        or env.get("AWS_SECRET_ACCESS_KEY"),
        "workteam ARN (--workteam-arn)": opts.workteam_arn or creds.get("private_workteam_arn"),
        "organization name for manage.py addworker (--org)": opts.org or creds.get("organization"),
    }
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise ChainError("Missing: " + "; ".join(missing) + ". Or give --credentials var/demo-credentials.json.")
    url, region, key, secret, team, org = (str(v) for v in values.values())
    return Target(
        url=url.rstrip("/"),
        region=region,
        access_key_id=key,
        secret_access_key=secret,
        workteam_arn=team,
        organization=org,
        env=dict(os.environ),
        output_dir=Path(opts.map_bucket_to).resolve() if opts.map_bucket_to else None,
    )


# --- HTTP: the REST API (API key) and the worker API (worker token) ---------------------------------


class Http:
    """One keep-alive connection to Loupe; JSON in, status + headers + body out."""

    def __init__(self, url: str, authorization: str | None = None) -> None:
        parts = urlsplit(url)
        cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        self.conn = cls(parts.hostname or "127.0.0.1", parts.port, timeout=120)
        self.authorization = authorization

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, dict[str, str], bytes]:
        headers = {"Accept": "*/*"}
        if self.authorization:
            headers["Authorization"] = self.authorization
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            self.conn.request(method, path, body=data, headers=headers)
            resp = self.conn.getresponse()
            payload = resp.read()
        except (OSError, http.client.HTTPException) as exc:
            self.conn.close()
            raise ChainError(f"{method} {path}: {exc}") from exc
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, payload

    def expect(self, method: str, path: str, body: Any = None, *, ok: tuple[int, ...] = (200,)) -> bytes:
        status, _, payload = self.call(method, path, body)
        if status not in ok:
            raise ChainError(f"{method} {path} answered {status}: {payload[:500].decode(errors='replace')}")
        return payload

    def close(self) -> None:
        self.conn.close()


# --- The data -----------------------------------------------------------------------------------------


@dataclass
class Data:
    x_seed: np.ndarray
    y_seed: np.ndarray
    x_pool: np.ndarray
    y_pool: np.ndarray  # the truth: only the scripted workers and the report read it
    x_test: np.ndarray
    y_test: np.ndarray
    images: np.ndarray  # the pool's 8x8 images (0-16)


def load_data(seed_size: int, pool_size: int | None, test_fraction: float, random_state: int) -> Data:
    digits = load_digits()
    x, y, images = digits.data, digits.target, digits.images
    index = np.arange(len(y))
    rest, test = train_test_split(index, test_size=test_fraction, random_state=random_state, stratify=y)
    if not 10 <= seed_size < len(rest) - 10:
        raise ChainError(f"--seed-size must be between 10 and {len(rest) - 11} with --test-fraction {test_fraction}")
    seed, pool = train_test_split(rest, train_size=seed_size, random_state=random_state, stratify=y[rest])
    if pool_size is not None:
        pool = pool[:pool_size]
    return Data(x[seed], y[seed], x[pool], y[pool], x[test], y[test], images[pool])


def new_model() -> Pipeline:
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))


def png_data_uri(image: np.ndarray) -> str:
    """The 8x8 digit (0 = paper, 16 = ink) as a grey PNG data URI, dark ink on white."""
    pixels = (255 - np.clip(image, 0, 16) * 255 / 16).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


# --- Scripted workers -----------------------------------------------------------------------------


@dataclass
class ScriptedWorker:
    """A worker answering through the worker REST API: claim, answer, submit with claim_next."""

    index: int
    email: str
    token: str
    accuracy: float
    truth: dict[str, int]  # human loop name -> true digit
    random_state: int
    answers: int = 0
    errors: list[str] = field(default_factory=list)

    def answer(self, loop_name: str) -> str:
        # The same worker gives the same answer to the same image, whatever the order of work
        # (the loop's name ends with the image's position in the pool).
        rng = random.Random(f"{self.random_state}:{self.index}:{loop_name.rsplit('-', 1)[1]}")
        right = self.truth[loop_name]
        if rng.random() < self.accuracy:
            return str(right)
        return str(rng.choice([d for d in range(10) if d != right]))

    def run(self, url: str, flow_name: str) -> None:
        client = Http(url, f"Token {self.token}")
        try:
            status, _, payload = client.call("POST", "/api/v1/worker/tasks/claim", {"flow_definition_name": flow_name})
            task = json.loads(payload) if status == 200 else None
            if status not in (200, 204):
                raise ChainError(f"claim answered {status}: {payload[:300]!r}")
            while task is not None:
                loop = task["human_loop_name"]
                if loop not in self.truth:
                    raise ChainError(f"claimed a task of an unknown loop {loop}")
                body = {
                    "answerContent": {LABEL_ATTRIBUTE: {"label": self.answer(loop)}},
                    "claim_next": True,
                    "flow_definition_name": flow_name,
                }
                result = json.loads(client.expect("POST", f"/api/v1/worker/tasks/{task['task_id']}/submit", body))
                self.answers += 1
                task = result["next"]
        except (ChainError, ValueError, KeyError) as exc:
            self.errors.append(f"worker {self.email}: {exc}")
        finally:
            client.close()


def add_workers(target: Target, count: int, run_id: str) -> list[tuple[str, str]]:
    """``count`` new workers in the organization's default team (`manage.py addworker`, on the
    server's database), returned as (e-mail, password)."""
    accounts = [(f"scripted-{run_id}-{i}@retraining.example", secrets.token_urlsafe(16)) for i in range(count)]

    def add(account: tuple[str, str]) -> None:
        email, password = account
        try:
            # --name=value: a generated password may begin with "-".
            _manage(
                target.env, "addworker", f"--org={target.organization}", f"--email={email}", f"--password={password}"
            )
        except SystemExit as exc:  # the harness reports a failed command this way
            raise ChainError(str(exc).replace(password, "***")) from exc

    with ThreadPoolExecutor(max_workers=min(count, 4)) as pool:
        list(pool.map(add, accounts))
    return accounts


def worker_token(url: str, email: str, password: str) -> str:
    client = Http(url)
    try:
        return str(
            json.loads(client.expect("POST", "/api/v1/worker/token", {"email": email, "password": password}))["token"]
        )
    finally:
        client.close()


# --- The story ----------------------------------------------------------------------------------


def wait_completed(a2i: Any, flow_arn: str, names: set[str], deadline: float) -> dict[str, str]:
    """Poll ListHumanLoops until every loop of ``names`` is Completed; a Failed or Stopped one,
    or the deadline, is an error. Returns the statuses."""
    while True:
        statuses: dict[str, str] = {}
        for page in a2i.get_paginator("list_human_loops").paginate(FlowDefinitionArn=flow_arn):
            for summary in page["HumanLoopSummaries"]:
                statuses[summary["HumanLoopName"]] = summary["HumanLoopStatus"]
        ours = {n: statuses.get(n, "missing") for n in names}
        bad = {n: s for n, s in ours.items() if s in ("Failed", "Stopped", "Stopping", "missing")}
        if bad:
            raise ChainError(f"{len(bad)} loop(s) will not complete: {dict(list(bad.items())[:5])}")
        pending = [n for n, s in ours.items() if s != "Completed"]
        if not pending:
            return ours
        if time.monotonic() > deadline:
            raise ChainError(f"{len(pending)} loop(s) still {ours[pending[0]]} at the deadline, e.g. {pending[:3]}")
        time.sleep(0.5)


def export(api: Http, flow_name: str, fmt: str) -> list[dict[str, Any]]:
    query = urlencode({"format": fmt, "label_attribute": LABEL_ATTRIBUTE})
    status, headers, payload = api.call("GET", f"/api/v1/flow-definitions/{flow_name}/export?{query}")
    if status != 200:
        raise ChainError(f"export ({fmt}) answered {status}: {payload[:500].decode(errors='replace')}")
    lines = [json.loads(line) for line in payload.decode().splitlines() if line.strip()]
    total = headers.get("loupe-export-total")
    if total is not None and int(total) != len(lines):
        raise ChainError(f"export ({fmt}) announced {total} loops and held {len(lines)}")
    return lines


def wait_consolidated(api: Http, flow_name: str, count: int, deadline: float) -> list[dict[str, Any]]:
    """The JSONL export once every loop carries its consolidated answer (computed by the
    server's background worker right after the loop completes)."""
    while True:
        lines = export(api, flow_name, "jsonl")
        if len(lines) == count and all(line.get("consolidatedAnswer") for line in lines):
            errors = [line for line in lines if "error" in line["consolidatedAnswer"]]
            if errors:
                raise ChainError(
                    f"consolidation failed for {errors[0]['humanLoopName']}: {errors[0]['consolidatedAnswer']}"
                )
            return lines
        if time.monotonic() > deadline:
            done = sum(1 for line in lines if line.get("consolidatedAnswer"))
            raise ChainError(f"only {done} of {count} loops were consolidated by the deadline")
        time.sleep(0.5)


def parse_manifest(lines: list[dict[str, Any]], names: dict[str, int]) -> dict[int, tuple[int, float]]:
    """{pool position: (human label, consolidation confidence)} from Ground Truth
    image-classification lines: ``<attr>`` is the class id, ``<attr>-metadata`` holds
    ``class-name``, ``confidence``, ``type`` and the loop's name."""
    labels: dict[int, tuple[int, float]] = {}
    for number, line in enumerate(lines, 1):
        meta = line.get(f"{LABEL_ATTRIBUTE}-metadata")
        if not isinstance(meta, dict) or meta.get("type") != "groundtruth/image-classification":
            raise ChainError(f"manifest line {number} is not an image-classification label: {line}")
        if not isinstance(line.get(LABEL_ATTRIBUTE), int) or meta.get("human-annotated") != "yes":
            raise ChainError(f"manifest line {number} has no class id or is not human-annotated: {line}")
        name = meta.get("human-loop-name")
        if name not in names:
            raise ChainError(f"manifest line {number} names an unknown loop {name!r}")
        position = names[name]
        if line.get("source") != f"sklearn-digits:{position}":
            raise ChainError(f"manifest line {number}: source {line.get('source')!r} is not loop {name}'s image")
        if meta.get("class-name") not in DIGITS:
            raise ChainError(f"manifest line {number}: class {meta.get('class-name')!r} is not a digit")
        labels[position] = (int(meta["class-name"]), float(meta["confidence"]))
    return labels


def run(target: Target, opts: argparse.Namespace) -> dict[str, Any]:
    t0 = time.monotonic()
    deadline = t0 + opts.timeout
    data = load_data(opts.seed_size, opts.pool_size, opts.test_fraction, opts.random_state)
    model = new_model().fit(data.x_seed, data.y_seed)
    accuracy_before = float(model.score(data.x_test, data.y_test))
    proba = model.predict_proba(data.x_pool)
    confidence = proba.max(axis=1)
    guess = model.classes_[proba.argmax(axis=1)]
    review = np.flatnonzero(confidence < opts.threshold)
    if opts.max_loops is not None:
        review = review[np.argsort(confidence[review], kind="stable")][: opts.max_loops]
    if len(review) == 0:
        raise ChainError(f"No prediction of the pool is below the threshold {opts.threshold}: nothing to review.")
    confident = np.setdiff1d(np.arange(len(data.y_pool)), review)

    run_id = secrets.token_hex(3)
    flow_name = f"digits-{run_id}"
    loop_names = {f"digits-{run_id}-{int(i)}": int(i) for i in review}
    session = boto3.Session(
        region_name=target.region,
        aws_access_key_id=target.access_key_id,
        aws_secret_access_key=target.secret_access_key,
    )
    config = Config(retries={"mode": "standard", "max_attempts": 5})
    sm = session.client("sagemaker", endpoint_url=target.url, config=config)
    a2i = session.client("sagemaker-a2i-runtime", endpoint_url=target.url, config=config)
    api = Http(target.url, f"Api-Key {target.access_key_id}:{target.secret_access_key}")
    try:
        # The keys work (before anything is created).
        sm.list_flow_definitions(MaxResults=1)
        # Where output.json lands: a local folder the organization maps the bucket to, when given.
        if target.output_dir is not None:
            target.output_dir.mkdir(parents=True, exist_ok=True)
            status, _, payload = api.call(
                "POST", "/api/v1/bucket-mappings", {"bucket": opts.bucket, "local_path": str(target.output_dir)}
            )
            if status not in (201, 409):
                raise ChainError(f"mapping bucket {opts.bucket} answered {status}: {payload[:300]!r}")
        # The scripted workers, signed in, before any loop starts.
        accounts = add_workers(target, opts.workers, run_id)
        truth = {name: int(data.y_pool[position]) for name, position in loop_names.items()}
        workers = [
            ScriptedWorker(
                i, email, worker_token(target.url, email, password), opts.worker_accuracy, truth, opts.random_state
            )
            for i, (email, password) in enumerate(accounts)
        ]
        ui = sm.create_human_task_ui(HumanTaskUiName=f"digits-ui-{run_id}", UiTemplate={"Content": TEMPLATE})
        flow = sm.create_flow_definition(
            FlowDefinitionName=flow_name,
            RoleArn=f"arn:aws:iam::{target.workteam_arn.split(':')[4]}:role/loupe-retraining",
            HumanLoopConfig={
                "WorkteamArn": target.workteam_arn,
                "HumanTaskUiArn": ui["HumanTaskUiArn"],
                "TaskTitle": "Which digit is this?",
                "TaskDescription": "Pick the digit a handwritten 8x8 image shows",
                "TaskCount": opts.task_count,
                "TaskTimeLimitInSeconds": 300,
            },
            OutputConfig={"S3OutputPath": f"s3://{opts.bucket}/a2i-output"},
        )
        flow_arn = flow["FlowDefinitionArn"]
        while sm.describe_flow_definition(FlowDefinitionName=flow_name)["FlowDefinitionStatus"] != "Active":
            if time.monotonic() > deadline:
                raise ChainError(f"flow definition {flow_name} did not become Active")
            time.sleep(0.5)

        def start(item: tuple[str, int]) -> None:
            name, position = item
            content = {
                "source": f"sklearn-digits:{position}",
                "image": png_data_uri(data.images[position]),
                "prediction": {"label": str(guess[position]), "confidence": round(float(confidence[position]), 4)},
            }
            a2i.start_human_loop(
                HumanLoopName=name, FlowDefinitionArn=flow_arn, HumanLoopInput={"InputContent": json.dumps(content)}
            )

        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(start, loop_names.items()))

        started = time.monotonic()
        threads = [threading.Thread(target=w.run, args=(target.url, flow_name), daemon=True) for w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        errors = [e for w in workers for e in w.errors]
        if errors:
            raise ChainError(f"{len(errors)} scripted worker error(s), first: {errors[0]}")
        statuses = wait_completed(a2i, flow_arn, set(loop_names), deadline)
        one = a2i.describe_human_loop(HumanLoopName=next(iter(loop_names)))
        answered = time.monotonic()

        jsonl = wait_consolidated(api, flow_name, len(loop_names), deadline)
        manifest = export(api, flow_name, "manifest")
    except (ClientError, BotoCoreError) as exc:
        raise ChainError(f"boto3: {exc}") from exc
    finally:
        api.close()
    if len(manifest) != len(loop_names):
        raise ChainError(f"the manifest holds {len(manifest)} lines for {len(loop_names)} loops")
    human = parse_manifest(manifest, loop_names)

    # What the reviews did.
    answers = sum(len(line["humanAnswers"]) for line in jsonl)
    disagreements = sum(
        1 for line in jsonl if len({json.dumps(a["answerContent"], sort_keys=True) for a in line["humanAnswers"]}) > 1
    )
    reviewed = np.array(sorted(human))
    human_labels = np.array([human[p][0] for p in reviewed])
    corrections = int((human_labels != guess[reviewed]).sum())

    # Retrain on the seed and the human labels (and the confident predictions, if asked).
    parts_x, parts_y = [data.x_seed, data.x_pool[reviewed]], [data.y_seed, human_labels]
    if opts.keep_confident and len(confident):
        parts_x.append(data.x_pool[confident])
        parts_y.append(guess[confident])
    retrained = new_model().fit(np.concatenate(parts_x), np.concatenate(parts_y))
    accuracy_after = float(retrained.score(data.x_test, data.y_test))
    return {
        "dataset": "sklearn digits (1,797 images, 8x8)",
        "seed": len(data.y_seed),
        "pool": len(data.y_pool),
        "test": len(data.y_test),
        "threshold": opts.threshold,
        "loops_sent": len(loop_names),
        "loops_completed": sum(1 for s in statuses.values() if s == "Completed"),
        "confident_kept": len(confident) if opts.keep_confident else 0,
        "workers": opts.workers,
        "worker_accuracy": opts.worker_accuracy,
        "task_count": opts.task_count,
        "answers": answers,
        "answers_right": sum(
            1
            for line in jsonl
            for a in line["humanAnswers"]
            if a["answerContent"].get(LABEL_ATTRIBUTE, {}).get("label") == str(truth[line["humanLoopName"]])
        ),
        "disagreements": disagreements,
        "manifest_lines": len(manifest),
        "model_guess_accuracy_on_reviewed": round(float((guess[reviewed] == data.y_pool[reviewed]).mean()), 4),
        "human_label_accuracy": round(float((human_labels == data.y_pool[reviewed]).mean()), 4),
        "corrections": corrections,
        "training_size_before": len(data.y_seed),
        "training_size_after": int(sum(len(y) for y in parts_y)),
        "accuracy_before": round(accuracy_before, 4),
        "accuracy_after": round(accuracy_after, 4),
        "flow_definition": flow_name,
        "example_output_uri": one.get("HumanLoopOutput", {}).get("OutputS3Uri"),
        "seconds_answering": round(answered - started, 1),
        "seconds_total": round(time.monotonic() - t0, 1),
    }


def print_report(r: dict[str, Any]) -> None:
    print(
        f"{r['dataset']}: seed {r['seed']} labeled, pool {r['pool']} unlabeled, test {r['test']} held out\n"
        f"model on the seed: test accuracy {r['accuracy_before']:.2%}\n"
        f"predictions below confidence {r['threshold']}: {r['loops_sent']} sent to review "
        f"(flow {r['flow_definition']}, TaskCount {r['task_count']}); the model was right on "
        f"{r['model_guess_accuracy_on_reviewed']:.2%} of them\n"
        f"{r['workers']} scripted workers, each right {r['worker_accuracy']:.0%} of the time: "
        f"{r['answers']} answers ({r['answers_right']} right), {r['loops_completed']} loops Completed "
        f"{r['seconds_answering']} s after they started working\n"
        f"loops where workers disagreed: {r['disagreements']}; consolidated labels right: "
        f"{r['human_label_accuracy']:.2%}; labels that corrected the model: {r['corrections']}\n"
        f"augmented manifest: {r['manifest_lines']} lines (e.g. output {r['example_output_uri']})\n"
        f"retrained on {r['training_size_after']} examples (seed + human labels"
        + (f" + {r['confident_kept']} confident predictions" if r["confident_kept"] else "")
        + f"): test accuracy {r['accuracy_after']:.2%}\n"
        f"accuracy before -> after: {r['accuracy_before']:.2%} -> {r['accuracy_after']:.2%} "
        f"({(r['accuracy_after'] - r['accuracy_before']) * 100:+.2f} points) in {r['seconds_total']} s"
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    where = parser.add_argument_group("where Loupe is")
    where.add_argument("--embedded", action="store_true", help="Start a Loupe of its own on a throwaway database.")
    where.add_argument("--keep", action="store_true", help="--embedded: keep its folder under var/ afterwards.")
    where.add_argument("--credentials", help="A JSON file as `make run` writes (var/demo-credentials.json).")
    where.add_argument("--endpoint-url", help="Loupe's URL (default: AWS_ENDPOINT_URL).")
    where.add_argument("--region", help="default: AWS_REGION / AWS_DEFAULT_REGION")
    where.add_argument("--access-key-id", help="default: AWS_ACCESS_KEY_ID")
    where.add_argument("--secret-access-key", help="default: AWS_SECRET_ACCESS_KEY")
    where.add_argument("--workteam-arn", help="The private workteam ARN `make run` prints.")
    where.add_argument("--org", help="The organization's name, for `manage.py addworker` (the scripted workers).")
    where.add_argument(
        "--bucket", default="loupe-retraining", help="The output bucket (S3OutputPath s3://<bucket>/a2i-output)."
    )
    where.add_argument(
        "--map-bucket-to", help="Map the bucket to this folder (under the server's LOUPE_OUTPUT_ROOTS) first."
    )
    story = parser.add_argument_group("the story")
    story.add_argument("--seed-size", type=int, default=100, help="Labeled images to start from (default 100).")
    story.add_argument("--pool-size", type=int, help="Unlabeled images to predict (default: all the rest).")
    story.add_argument("--test-fraction", type=float, default=0.3, help="Held-out share (default 0.3).")
    story.add_argument("--threshold", type=float, default=0.8, help="Review predictions below this confidence.")
    story.add_argument("--max-loops", type=int, help="Review at most this many (the least confident).")
    story.add_argument("--keep-confident", action="store_true", help="Also retrain on the confident predictions.")
    story.add_argument("--workers", type=int, default=5, help="Scripted workers (at least TaskCount).")
    story.add_argument("--worker-accuracy", type=float, default=0.9, help="Chance a worker answers right.")
    story.add_argument("--task-count", type=int, default=3, help="Answers per image (the flow's TaskCount, 1-3).")
    story.add_argument("--random-state", type=int, default=0)
    story.add_argument("--timeout", type=float, default=600, help="Seconds the whole chain may take.")
    parser.add_argument("--json", action="store_true", help="Print one JSON object.")
    opts = parser.parse_args(argv)
    if not 0 <= opts.worker_accuracy <= 1:
        parser.error("--worker-accuracy must be between 0 and 1")
    if not 1 <= opts.task_count <= 3:
        parser.error("--task-count must be 1, 2 or 3")
    if opts.workers < opts.task_count:
        parser.error("--workers must be at least --task-count (a worker answers a loop once)")
    if opts.seed_size < 10:
        parser.error("--seed-size must be at least 10 (one image of each digit)")
    if not 0 < opts.test_fraction < 1:
        parser.error("--test-fraction must be between 0 and 1")
    if not 0 < opts.threshold <= 1:
        parser.error("--threshold must be in (0, 1]")
    for name in ("pool_size", "max_loops"):
        if getattr(opts, name) is not None and getattr(opts, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if opts.timeout <= 0:
        parser.error("--timeout must be positive")
    if opts.embedded and (opts.credentials or opts.endpoint_url or opts.map_bucket_to):
        parser.error("--embedded starts its own server: drop --credentials, --endpoint-url and --map-bucket-to")
    return opts


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    try:
        if opts.embedded:
            with embedded_loupe(opts.keep) as target:
                report = run(target, opts)
        else:
            report = run(external_loupe(opts), opts)
    except ChainError as exc:
        print(f"retraining failed: {exc}", file=sys.stderr)
        return 1
    if opts.json:
        print(json.dumps(report))
    else:
        print_report(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
