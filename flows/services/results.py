"""Results of a completed loop: the consolidated answer, output.json at the flow's output path,
and worker reliability per flow.

The output write is the background task ``flows.tasks.write_loop_output`` (enqueued on commit by
``events.loop_status_changed``), and its guarantees are:

* exactly one object per loop: its key is deterministic (``HumanLoop.output_uri``), its content
  too (the consolidated answer is computed once and stored before the first write; answers are
  listed in submission order), and the store is asked to create it only if absent
  (``storage.put_object_atomic``); a write that finds it present just marks the loop;
* none lost: ``HumanLoop.output_written`` becomes true only after the object landed; a failed
  attempt is re-enqueued with exponential back-off, and ``outputs_recover`` (housekeeping)
  re-enqueues any write whose ``OutputWrite.deadline_at`` passed without progress (its worker was
  killed, or the enqueue on commit never happened);
* the Completed event goes to webhooks after the object landed, so a receiver can read it.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import statistics
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from flows import rawsql, storage
from flows.consolidation import ConsolidationError, WorkerAnswer, consolidate, uses_reliability
from flows.consolidation import reliability as rel
from flows.models import (
    Answer,
    BucketMapping,
    FlowDefinition,
    HumanLoop,
    HumanLoopStatus,
    OutputWrite,
    WorkerReliability,
)
from flows.outputs import AnswerFacts, output_document, render_output
from workforce.models import Crowd, Organization, User, Workforce, Workteam

logger = logging.getLogger(__name__)


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def recovery_grace() -> timedelta:
    """How long a completed loop's output may show no progress before housekeeping re-enqueues."""
    return timedelta(seconds=_setting("LOUPE_OUTPUT_RECOVERY_SECONDS", 30.0))


def running_timeout() -> timedelta:
    """How long one write attempt may run before it counts as dead."""
    return timedelta(seconds=_setting("LOUPE_OUTPUT_ATTEMPT_TIMEOUT_SECONDS", 120.0))


def retry_delay(attempts: int) -> float:
    """Back-off after ``attempts`` failed attempts: 2, 4, 8, ... seconds, at most 10 minutes."""
    base = _setting("LOUPE_OUTPUT_RETRY_BASE_SECONDS", 2.0)
    return min(base * 2 ** max(0, attempts - 1), _setting("LOUPE_OUTPUT_RETRY_MAX_SECONDS", 600.0))


# --- Consolidation ---------------------------------------------------------------------------------


def reliability_min_answers() -> int:
    return int(_setting("LOUPE_RELIABILITY_MIN_ANSWERS", 30))


def flow_weights(flow: FlowDefinition) -> tuple[dict[str, float], float]:
    """The flow's current reliability weights by public worker id, and the weight for a worker
    not estimated yet (the median of the others, 1.0 when there are none).

    An estimate resting on fewer than ``LOUPE_RELIABILITY_MIN_ANSWERS`` discrete answers of the
    worker is not used: Dawid-Skene on a handful of items can rank a poor worker above two good
    ones (seen in examples/retraining with 13 answers each), and a weighted vote is then worse
    than a plain majority. Until at least two workers have enough evidence, every vote weighs
    the same (a majority vote)."""
    minimum = reliability_min_answers()
    rows = list(
        WorkerReliability.objects.filter(flow_definition=flow, answers__gte=minimum).values_list(
            "worker__worker_id", "weight"
        )
    )
    if len(rows) < 2:
        return {}, 1.0
    weights = {wid: w for wid, w in rows}
    default = statistics.median(weights.values())
    return weights, default or 1.0


def loop_consolidate(*, loop: HumanLoop, answers: list[Answer] | None = None) -> dict[str, Any] | None:
    """Compute and store the consolidated answer of a Completed loop, once: a stored answer is
    never recomputed (the output written from it must stay the same). Consolidation that fails
    on the answers stores ``{"error": message}``: output.json is written all the same."""
    if loop.status != HumanLoopStatus.COMPLETED:
        return None
    if loop.consolidated_answer is not None:
        return loop.consolidated_answer
    result = consolidation_compute(loop=loop, answers=answers)
    if HumanLoop.objects.filter(pk=loop.pk, consolidated_answer__isnull=True).update(consolidated_answer=result):
        loop.consolidated_answer = result
    else:
        # Another writer stored first: what is stored wins.
        loop.consolidated_answer = HumanLoop.objects.values_list("consolidated_answer", flat=True).get(pk=loop.pk)
    return loop.consolidated_answer


def consolidation_compute(*, loop: HumanLoop, answers: list[Answer] | None = None) -> dict[str, Any]:
    """The consolidated answer of the loop's answers so far, computed (not stored): what
    ``loop_consolidate`` stores, and what the review stage (``reviews.services``) proposes.
    ``answers`` (with their workers loaded) saves reading them again."""
    flow = loop.flow_definition
    rows = answers if answers is not None else _loop_answers(loop)
    votes = [WorkerAnswer(a.worker.worker_id, a.answer_content) for a in sorted(rows, key=lambda a: a.pk)]
    if not votes:
        result: dict[str, Any] = {"error": "The loop has no answers."}
    else:
        weights, default = flow_weights(flow) if uses_reliability(flow.consolidation or {}) else ({}, 1.0)
        try:
            result = consolidate(votes, settings=flow.consolidation or {}, weights=weights, default_weight=default)
        except ConsolidationError as exc:
            result = {"error": str(exc)}
    return result


# --- output.json -------------------------------------------------------------------------------------


def _identity(worker: User, flow: FlowDefinition) -> dict[str, str] | None:
    """``workerMetadata.identityData`` for a worker of a private team (A2I gives it only there)."""
    team = flow.workteam
    if team.crowd != Crowd.PRIVATE:
        return None
    workforce = team.workforce
    region = flow.organization.region
    if workforce.oidc_config:
        issuer = str(workforce.oidc_config.get("Issuer", ""))
        kind = "Oidc"
    elif workforce.cognito_config:
        pool = str(workforce.cognito_config.get("UserPool", ""))
        issuer = f"https://cognito-idp.{region}.amazonaws.com/{pool}"
        kind = "Cognito"
    else:
        # Loupe is the identity provider: it issues the worker's subject itself.
        issuer = settings.LOUPE_PUBLIC_URL.rstrip("/") or "loupe"
        kind = "Oidc"
    return {"identityProviderType": kind, "issuer": issuer, "sub": str(worker.sub)}


def _loop_answers(loop: HumanLoop) -> list[Answer]:
    """The loop's answers with their workers, in submission order (output.json's order)."""
    return list(Answer.objects.filter(loop=loop).select_related("worker").order_by("submission_time", "pk"))


def loop_output_bytes(*, loop: HumanLoop, answers: list[Answer] | None = None) -> bytes:
    """The output.json of a Completed loop whose consolidated answer is stored (``answers`` as
    ``_loop_answers`` reads them, if the caller has them already)."""
    flow = loop.flow_definition
    facts = [
        AnswerFacts(
            answer_content=a.answer_content,
            acceptance_time=a.acceptance_time,
            submission_time=a.submission_time,
            time_spent_seconds=a.time_spent_seconds,
            worker_id=a.worker.worker_id,
            identity=_identity(a.worker, flow),
        )
        for a in (answers if answers is not None else _loop_answers(loop))
    ]
    doc = output_document(
        flow_definition_arn=flow.arn,
        human_loop_name=loop.name,
        input_content=loop.input_content,
        answers=facts,
        request_source=flow.request_source,
        activation_results=loop.activation_results,
        consolidated=loop.consolidated_answer,
        review=_review_record(loop),
    )
    return render_output(doc)


def _review_record(loop: HumanLoop) -> dict[str, Any] | None:
    """output.json's ``loupeReview``: the decided review of a flow with a review stage, else None."""
    from reviews.services import review_output_record

    return review_output_record(loop=loop)


def bucket_mappings(organization_id: int) -> dict[str, str]:
    return dict(BucketMapping.objects.filter(organization_id=organization_id).values_list("bucket", "local_path"))


def output_location(loop: HumanLoop) -> storage.Location:
    return storage.resolve(loop.output_uri, bucket_mappings(loop.organization_id))


def _load(loop_id: int) -> HumanLoop | None:
    """The loop with its organization, flow, flow's team and the team's workforce: one query in
    hand-written SQL (``flows.rawsql``: every output write runs it)."""
    parts = [(HumanLoop, "l"), (FlowDefinition, "f"), (Organization, "o"), (Workteam, "w"), (Workforce, "wf")]
    sql = (
        "SELECT " + ", ".join(rawsql.columns(model, alias) for model, alias in parts) + " "
        f"FROM {rawsql.table(HumanLoop)} l "
        f"INNER JOIN {rawsql.table(FlowDefinition)} f ON f.id = l.flow_definition_id "
        f"INNER JOIN {rawsql.table(Organization)} o ON o.id = f.organization_id "
        f"INNER JOIN {rawsql.table(Workteam)} w ON w.id = f.workteam_id "
        f"INNER JOIN {rawsql.table(Workforce)} wf ON wf.id = w.workforce_id "
        "WHERE l.id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [loop_id])
        row = cursor.fetchone()
    if row is None:
        return None
    widths = [0]
    for model, _ in parts:
        widths.append(widths[-1] + rawsql.width(model))
    loop = rawsql.instance(HumanLoop, "l", row, widths[0])
    flow = rawsql.instance(FlowDefinition, "f", row, widths[1])
    org = rawsql.instance(Organization, "o", row, widths[2])
    team = rawsql.instance(Workteam, "w", row, widths[3])
    team.workforce = rawsql.instance(Workforce, "wf", row, widths[4])
    flow.workteam = team
    flow.organization = org
    loop.flow_definition = flow
    if loop.organization_id == org.pk:
        loop.organization = org
    return loop


def _record_attempt(loop_id: int, now: datetime) -> int:
    with transaction.atomic():
        row, created = OutputWrite.objects.get_or_create(
            loop_id=loop_id, defaults={"attempts": 1, "deadline_at": now + running_timeout()}
        )
        if not created:
            OutputWrite.objects.filter(pk=loop_id).update(
                attempts=row.attempts + 1, deadline_at=now + running_timeout()
            )
            return row.attempts + 1
        return 1


def loop_output_write(*, loop_id: int) -> str:
    """Write the loop's output.json if it is not written yet. Returns what happened:
    ``written`` (this call created the object), ``existed`` (an earlier attempt had, and only
    the flag was missing), ``already`` (flag set), ``skipped`` (no such Completed loop) or
    ``retry`` (it failed; another attempt is enqueued with back-off)."""
    loop = _load(loop_id)
    if loop is None or loop.status != HumanLoopStatus.COMPLETED or not loop.output_uri or loop.is_gold:
        return "skipped"
    if loop.output_written:
        return "already"
    now = timezone.now()
    attempts = _record_attempt(loop_id, now)
    try:
        answers = _loop_answers(loop)
        loop_consolidate(loop=loop, answers=answers)
        data = loop_output_bytes(loop=loop, answers=answers)
        location = output_location(loop)
        delay = float(os.environ.get("LOUPE_OUTPUT_WRITE_DELAY_SECONDS", "0") or 0)
        if delay > 0:
            # Fault injection for the crash test: widens the window between start and landing.
            time.sleep(delay)
        created = False if storage.exists(location) else storage.put_object_atomic(location, data)
    except (storage.StorageError, OSError, ValueError) as exc:
        _schedule_retry(loop_id, attempts, exc)
        return "retry"
    HumanLoop.objects.filter(pk=loop_id, output_written=False).update(output_written=True)
    OutputWrite.objects.filter(pk=loop_id).update(last_error="")
    _after_output(loop)
    return "written" if created else "existed"


def _schedule_retry(loop_id: int, attempts: int, exc: Exception) -> None:
    from flows.tasks import write_loop_output

    delay = retry_delay(attempts)
    run_after = timezone.now() + timedelta(seconds=delay)
    logger.warning("Output of loop %s not written (attempt %s), retrying in %.0f s: %s", loop_id, attempts, delay, exc)
    OutputWrite.objects.filter(pk=loop_id).update(last_error=str(exc)[:4000], deadline_at=run_after + recovery_grace())
    write_loop_output.using(run_after=run_after).enqueue(loop_id)


def _after_output(loop: HumanLoop) -> None:
    from flows.services.webhooks import loop_event_fan_out

    try:
        loop_event_fan_out(loop=loop)
    except Exception:
        # The deliveries are created idempotently; the next recovery pass can fan out again.
        logger.exception("Could not fan out the Completed event of loop %s", loop.pk)
    reliability_maybe_schedule(flow=loop.flow_definition)
    from flows.services.gold import quality_maybe_schedule

    quality_maybe_schedule(flow=loop.flow_definition)


def outputs_recover(*, now: datetime | None = None, limit: int = 200) -> int:
    """Housekeeping: re-enqueue the output writes of Completed loops that are not written and
    show no progress (no attempt yet ``recovery_grace`` after completion, or an attempt past its
    deadline: its worker died). Reads the partial index of pending loops only. Returns how many
    it enqueued."""
    from flows.tasks import write_loop_output

    now = now or timezone.now()
    grace = recovery_grace()
    pending = list(
        HumanLoop.objects.filter(
            status=HumanLoopStatus.COMPLETED, output_written=False, is_gold=False, completed_at__lte=now - grace
        )
        .order_by("completed_at")
        .values_list("pk", flat=True)[:limit]
    )
    if not pending:
        return 0
    progress = dict(OutputWrite.objects.filter(pk__in=pending).values_list("pk", "deadline_at"))
    due = [pk for pk in pending if progress.get(pk) is None or progress[pk] <= now]
    for pk in due:
        OutputWrite.objects.update_or_create(loop_id=pk, defaults={"deadline_at": now + grace})
        write_loop_output.enqueue(pk)
    if due:
        logger.info("Re-enqueued the output writes of %s loop(s): %s", len(due), due[:20])
    return len(due)


# --- Reliability ---------------------------------------------------------------------------------------


def reliability_interval() -> float:
    return _setting("LOUPE_RELIABILITY_INTERVAL_SECONDS", 300.0)


def reliability_maybe_schedule(*, flow: FlowDefinition) -> bool:
    """Enqueue a re-estimate of the flow's worker reliability when the flow weighs by it and the
    last estimate is older than ``LOUPE_RELIABILITY_INTERVAL_SECONDS`` (at most one enqueue per
    interval and process)."""
    if not uses_reliability(flow.consolidation or {}):
        return False
    if cache.get(f"loupe:reliability-scheduled:{flow.pk}"):
        return False  # scheduled within the interval already (no query needed)
    interval = reliability_interval()
    latest = (
        WorkerReliability.objects.filter(flow_definition=flow)
        .order_by("-updated_at")
        .values_list("updated_at", flat=True)
        .first()
    )
    if latest is not None and latest > timezone.now() - timedelta(seconds=interval):
        return False
    if not cache.add(f"loupe:reliability-scheduled:{flow.pk}", 1, timeout=max(1, int(interval))):
        return False
    from flows.tasks import estimate_flow_reliability

    estimate_flow_reliability.enqueue(flow.pk)
    return True


_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def reliability_compute(rows: list[tuple[str, str, str]], *, model: str) -> dict[str, rel.Reliability]:
    """``flows.consolidation.reliability.estimate`` in a child process of its own (one, started
    on first use and kept): crowd-kit's import (SciPy, pandas) and its EM iterations are seconds
    of CPU, which in the serving process would hold the GIL against the HTTP threads. Set
    ``LOUPE_RELIABILITY_IN_PROCESS`` to run it here instead. A child that died is replaced."""
    global _pool
    if settings.LOUPE_RELIABILITY_IN_PROCESS:
        return rel.estimate(rows, model=model)
    with _pool_lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        pool = _pool
    try:
        return pool.submit(rel.estimate, rows, model=model).result()
    except BrokenProcessPool:
        with _pool_lock:
            if _pool is pool:
                _pool = None
        raise


def flow_reliability_estimate(*, flow_id: int, max_loops: int = 5000) -> int:
    """Re-estimate the reliability of every worker of a flow from the answers of its latest
    ``max_loops`` Completed loops, with the flow's ``reliabilityModel`` (crowd-kit; Dawid-Skene by
    default), and replace the flow's ``WorkerReliability`` rows. Returns the number of workers
    estimated (0 when the answers hold nothing discrete answered by two workers)."""
    flow = FlowDefinition.objects.filter(pk=flow_id).first()
    if flow is None:
        return 0
    model = (flow.consolidation or {}).get("reliabilityModel", "dawid_skene")
    loop_ids = list(
        HumanLoop.objects.filter(flow_definition=flow, status=HumanLoopStatus.COMPLETED)
        .order_by("-completed_at")
        .values_list("pk", flat=True)[:max_loops]
    )
    rows = Answer.objects.filter(loop_id__in=loop_ids).values_list("loop_id", "worker_id", "answer_content")
    observations = rel.observations((str(loop), str(worker), content) for loop, worker, content in rows.iterator())
    estimates = reliability_compute(observations, model=model)
    now = timezone.now()
    with transaction.atomic():
        WorkerReliability.objects.filter(flow_definition=flow).delete()
        WorkerReliability.objects.bulk_create(
            [
                WorkerReliability(
                    flow_definition=flow,
                    worker_id=int(worker),
                    accuracy=r.accuracy,
                    weight=r.weight,
                    method=model,
                    answers=r.answers,
                    updated_at=now,
                )
                for worker, r in estimates.items()
            ]
        )
    return len(estimates)
