"""Gold items: inputs with a known answer, mixed into a flow's work to measure its workers.

A gold item is a ``HumanLoop`` with ``is_gold`` set, the known answer in ``gold_answer`` and one
task per replica (how many different workers should meet it). The work service serves its tasks
like any other (oldest open task first, a worker at most once per loop): a worker sees the same
task UI and the same worker API body, with ``gold_alias`` as the loop name. Gold loops:

* have a reserved name (``gold.<32 hex>``: a dot is never part of an A2I loop name), so they
  never collide with a customer's loop, and the loop reads (A2I, REST, console), exports and
  usage leave them out;
* never expire, write no output.json, consolidate nothing and send no status-change event or
  webhook (``flows.events.loop_status_changed`` returns early for them; ``task_submit`` has a
  gold branch at the completion point);
* are withdrawn by ``gold_item_withdraw``: open tasks are closed at once, a task a worker holds
  may still be submitted, and the answers stay for the scores.

Workers are paid for gold tasks as for any task of a priced public-pool flow (they cannot tell
them apart, and did the work).

Scores (``flow_quality_compute``, in the background): per worker of a flow, accuracy on the gold
items (answers matching the known answer) and agreement on the completed customer loops (answers
agreeing with the consolidated answer), judged by ``flows.consolidation.agreement`` with the
flow's consolidation settings, stored in ``WorkerQuality`` with the counts.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from flows import events, locks, validation
from flows.consolidation.agreement import judge
from flows.errors import InvalidInput, LoupeError, NotFound, WrongState
from flows.models import (
    Answer,
    FlowDefinition,
    FlowDefinitionStatus,
    HumanLoop,
    HumanLoopStatus,
    Task,
    TaskStatus,
    WorkerQuality,
)
from flows.selectors.definitions import flow_get
from workforce.models import Organization

logger = logging.getLogger(__name__)

MAX_GOLD_BATCH = 1000
DEFAULT_REPLICAS = 10
MAX_REPLICAS = 100
#: The known answer's limit: the worker API's limit on an answerContent.
MAX_GOLD_ANSWER = 3 * 1024 * 1024
GOLD_NAME_PREFIX = "gold."
ITEM_KEYS = ("input_content", "answer", "replicas", "alias")


@dataclass(frozen=True)
class GoldItemResult:
    """One item of a create call: ``created`` with the loop, or ``error`` with the reason."""

    index: int
    status: str
    item: HumanLoop | None = None
    error: LoupeError | None = None


def gold_flow(*, organization: Organization, name: str) -> FlowDefinition:
    """The organization's live flow ``name`` (NotFound otherwise, also for another org's flow)."""
    return flow_get(organization=organization, name=name)


def _json_size(value: Any, field: str) -> int:
    try:
        return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{field} is not plain JSON: {exc}", field=field) from None


def _input_text(value: Any) -> str:
    """InputContent as StartHumanLoop stores it (JSON text of an object, up to its limit)."""
    if isinstance(value, dict):
        _json_size(value, "inputContent")
        value = json.dumps(value)
    if not isinstance(value, str):
        raise InvalidInput(f"input_content must be a JSON object, not {type(value).__name__}.", field="inputContent")
    validation.json_object_text(value, "inputContent", max_len=validation.MAX_INPUT_CONTENT)
    return value


def _check_item(flow: FlowDefinition, item: Any) -> tuple[str, dict[str, Any], int, str]:
    """Validate one item; returns (input text, answer, replicas, alias). Raises InvalidInput."""
    if not isinstance(item, dict):
        raise InvalidInput(f"Each gold item must be a JSON object, not {type(item).__name__}.", field="item")
    unknown = sorted(set(item) - set(ITEM_KEYS))
    if unknown:
        raise InvalidInput(f"Unknown member(s) {unknown}; a gold item has {list(ITEM_KEYS)}.", field=unknown[0])
    if item.get("input_content") is None:
        raise InvalidInput("input_content is required: the task data, a JSON object.", field="inputContent")
    text = _input_text(item["input_content"])
    answer = item.get("answer")
    if not isinstance(answer, dict) or not answer:
        raise InvalidInput(
            "answer is required: the known answer, a non-empty JSON object shaped as the task UI's answerContent.",
            field="answer",
        )
    size = _json_size(answer, "answer")
    if size > MAX_GOLD_ANSWER:
        raise InvalidInput(f"answer is {size} characters of JSON; the limit is {MAX_GOLD_ANSWER}.", field="answer")
    self_check = judge(answer, answer, flow.consolidation or {})
    if not self_check.agrees:
        bad = sorted(k for k, ok in self_check.fields.items() if not ok)
        raise InvalidInput(
            f"answer cannot be matched by any worker's answer: field(s) {bad} are malformed for the flow's "
            "consolidation (e.g. boxes need numeric left, top, width and height).",
            field="answer",
        )
    replicas = item.get("replicas", DEFAULT_REPLICAS)
    if isinstance(replicas, bool) or not isinstance(replicas, int) or not 1 <= replicas <= MAX_REPLICAS:
        raise InvalidInput(
            f"replicas must be a whole number from 1 to {MAX_REPLICAS} (how many different workers meet the item).",
            field="replicas",
        )
    alias = item.get("alias")
    if alias is None:
        alias = str(uuid.uuid4())
    else:
        validation.human_loop_name(alias, "alias")
    return text, answer, replicas, alias


def _workable(flow: FlowDefinition) -> None:
    if flow.status != FlowDefinitionStatus.ACTIVE:
        raise WrongState(
            f"Flow definition {flow.name} is {flow.status}: gold items can only be added to an Active flow definition.",
            field="flowDefinitionName",
        )
    if flow.human_task_ui.deleted_at is not None:
        raise WrongState(
            f"The worker task template of flow definition {flow.name} was deleted: it cannot take gold items.",
            field="flowDefinitionName",
        )


def gold_items_create(*, organization: Organization, flow_name: str, items: list[Any]) -> list[GoldItemResult]:
    """Add gold items to a flow, in one transaction; a refused item is reported by its index and
    leaves no trace, the others are created. Raises NotFound (no such flow), WrongState (the
    flow is not Active), InvalidInput (no items, or more than ``MAX_GOLD_BATCH``)."""
    flow = gold_flow(organization=organization, name=flow_name)
    _workable(flow)
    if not isinstance(items, list) or not items:
        raise InvalidInput("items must be a non-empty list of gold items.", field="items")
    if len(items) > MAX_GOLD_BATCH:
        raise InvalidInput(f"At most {MAX_GOLD_BATCH} gold items per call; got {len(items)}.", field="items")
    results: list[GoldItemResult] = []
    valid: list[tuple[int, HumanLoop]] = []
    for index, item in enumerate(items):
        try:
            text, answer, replicas, alias = _check_item(flow, item)
        except LoupeError as exc:
            results.append(GoldItemResult(index=index, status="error", error=exc))
            continue
        loop = HumanLoop(
            organization=organization,
            flow_definition=flow,
            name=GOLD_NAME_PREFIX + uuid.uuid4().hex,
            input_content=text,
            input_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
            status=HumanLoopStatus.IN_PROGRESS,
            task_count=replicas,
            expires_at=None,
            is_gold=True,
            gold_answer=answer,
            gold_alias=alias,
        )
        valid.append((index, loop))
    if valid:
        with locks.write_transaction():
            # Re-read under the flow's lock: a DeleteFlowDefinition in between refuses the whole call.
            locks.lock_flows([flow.pk])
            current = FlowDefinition.objects.filter(pk=flow.pk).values_list("status", flat=True).first()
            if current != FlowDefinitionStatus.ACTIVE:
                raise WrongState(
                    f"Flow definition {flow.name} is being deleted: it cannot take gold items.",
                    field="flowDefinitionName",
                )
            loops = [loop for _, loop in valid]
            for loop in loops:
                loop.save(force_insert=True)
            Task.objects.bulk_create(
                [
                    Task(loop=loop, flow_definition=flow, index=i, status=TaskStatus.OPEN)
                    for loop in loops
                    for i in range(loop.task_count)
                ],
                batch_size=2000,
            )
            audit_record(
                organization=organization, action="CreateGoldItems", resource=flow.arn, details={"count": len(loops)}
            )
            # The same announcement customer loops make, with the names workers see.
            data = {
                "flow_definition": flow.name,
                "flow_definition_id": flow.pk,
                "loops": len(loops),
                "tasks": sum(loop.task_count for loop in loops),
                "loop_names": [loop.gold_alias for loop in loops[:100]],
            }
            events.publish_on_commit(events.team_group(flow.workteam_id), events.event_message("work.available", data))
        results.extend(GoldItemResult(index=i, status="created", item=loop) for i, loop in valid)
    results.sort(key=lambda r: r.index)
    return results


def gold_items_query(*, flow: FlowDefinition, include_withdrawn: bool = False) -> Any:
    qs = HumanLoop.objects.filter(flow_definition=flow, is_gold=True)
    if not include_withdrawn:
        qs = qs.filter(deleted_at__isnull=True)
    return qs


@dataclass(frozen=True)
class GoldScore:
    answers: int
    correct: int

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.answers if self.answers else None


def gold_scores(*, flow: FlowDefinition, items: list[HumanLoop]) -> dict[int, GoldScore]:
    """Per gold item (loop id): answers so far and how many match the known answer."""
    by_loop: dict[int, list[Any]] = defaultdict(list)
    for loop_id, content in Answer.objects.filter(loop_id__in=[i.pk for i in items]).values_list(
        "loop_id", "answer_content"
    ):
        by_loop[loop_id].append(content)
    out = {}
    for item in items:
        answers = by_loop.get(item.pk, [])
        correct = sum(judge(a, item.gold_answer or {}, flow.consolidation or {}).agrees for a in answers)
        out[item.pk] = GoldScore(len(answers), correct)
    return out


def gold_item_get(*, flow: FlowDefinition, item_id: Any) -> HumanLoop:
    try:
        pk = int(item_id)
    except (TypeError, ValueError):
        pk = 0
    item = gold_items_query(flow=flow).filter(pk=pk).first() if 0 < pk < 2**63 else None
    if item is None:
        raise NotFound(f"Flow definition {flow.name} has no gold item {item_id}.", field="id")
    return item


def gold_item_withdraw(*, organization: Organization, flow_name: str, item_id: Any) -> HumanLoop:
    """Withdraw a gold item: its open tasks are closed at once (a task a worker holds may still be
    submitted and is scored), it leaves the list, and its answers stay for the scores."""
    flow = gold_flow(organization=organization, name=flow_name)
    item = gold_item_get(flow=flow, item_id=item_id)
    now = timezone.now()
    with locks.write_transaction():
        locked = locks.lock_loops([item.pk])
        if not locked or locked[0].deleted_at is not None:
            raise NotFound(f"Flow definition {flow.name} has no gold item {item_id}.", field="id")
        loop = locked[0]
        closed = Task.objects.filter(loop=loop, status=TaskStatus.OPEN).update(status=TaskStatus.CLOSED)
        held = Task.objects.filter(loop=loop, status=TaskStatus.LEASED).exists()
        loop.deleted_at = now
        fields = ["deleted_at"]
        if loop.status == HumanLoopStatus.IN_PROGRESS:
            loop.status = HumanLoopStatus.STOPPING if held else HumanLoopStatus.STOPPED
            fields.append("status")
            if not held:
                loop.completed_at = now
                fields.append("completed_at")
        loop.save(update_fields=fields)
        audit_record(organization=organization, action="DeleteGoldItem", resource=flow.arn, details={"id": loop.pk})
        if closed:
            events.publish_on_commit(
                events.team_group(flow.workteam_id),
                events.event_message(
                    "work.withdrawn",
                    {
                        "flow_definition": flow.name,
                        "flow_definition_id": flow.pk,
                        "tasks": closed,
                        "reason": "loop_stopping",
                    },
                ),
            )
    quality_maybe_schedule(flow=flow)
    return loop


def gold_answer_recorded(loop: HumanLoop, *, now: Any, submitted: int, leased_left: int) -> bool:
    """Gold branch of ``work.task_submit`` (called with the loop locked, after the answer is
    stored): the loop completes after its replicas without output or A2I event, a withdrawn one
    with nothing held any more stops, and the flow's scores are re-estimated. Returns whether the
    loop completed."""
    completed = False
    if loop.status == HumanLoopStatus.IN_PROGRESS and submitted >= loop.task_count:
        loop.status = HumanLoopStatus.COMPLETED
        loop.completed_at = now
        loop.save(update_fields=["status", "completed_at"])
        completed = True
    elif loop.status == HumanLoopStatus.STOPPING and not leased_left:
        loop.status = HumanLoopStatus.STOPPED
        loop.completed_at = now
        loop.save(update_fields=["status", "completed_at"])
    flow = loop.flow_definition
    transaction.on_commit(lambda: quality_maybe_schedule(flow=flow))
    return completed


# --- Scores ------------------------------------------------------------------------------------------


def quality_interval() -> float:
    return float(getattr(settings, "LOUPE_QUALITY_INTERVAL_SECONDS", 30.0))


def quality_maybe_schedule(*, flow: FlowDefinition) -> bool:
    """Enqueue a re-computation of the flow's worker quality at the end of the current interval
    (``LOUPE_QUALITY_INTERVAL_SECONDS``), unless one is already due: a burst of answers costs
    one run, and every answer is counted by a run at most one interval after it."""
    interval = max(0.0, quality_interval())
    try:
        if interval and not cache.add(f"loupe:quality-scheduled:{flow.pk}", 1, timeout=max(1, int(interval))):
            return False
        from flows.tasks import compute_flow_quality

        run_after = timezone.now() + timedelta(seconds=interval)
        compute_flow_quality.using(run_after=run_after).enqueue(flow.pk)
    except Exception:
        logger.exception("Could not schedule the quality scores of flow %s", flow.pk)
        return False
    return True


def flow_quality_compute(*, flow_id: int, max_loops: int = 5000) -> int:
    """Recompute every worker's accuracy (all answers to the flow's gold items, withdrawn ones
    included) and agreement (answers to the latest ``max_loops`` completed customer loops whose
    consolidation succeeded) on a flow, and replace its ``WorkerQuality`` rows. Returns the
    number of workers scored."""
    flow = FlowDefinition.objects.filter(pk=flow_id).first()
    if flow is None:
        return 0
    settings_ = flow.consolidation or {}
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    gold = dict(HumanLoop.objects.filter(flow_definition=flow, is_gold=True).values_list("pk", "gold_answer"))
    rows = Answer.objects.filter(loop_id__in=list(gold)).values_list("loop_id", "worker_id", "answer_content")
    for loop_id, worker_id, content in rows.iterator(chunk_size=2000):
        c = counts[worker_id]
        c[0] += 1
        c[1] += judge(content, gold[loop_id] or {}, settings_).agrees
    consolidated = {}
    for pk, answer in (
        HumanLoop.objects.filter(flow_definition=flow, is_gold=False, status=HumanLoopStatus.COMPLETED)
        .exclude(consolidated_answer__isnull=True)
        .order_by("-completed_at")
        .values_list("pk", "consolidated_answer")[:max_loops]
    ):
        reference = answer.get("answerContent") if isinstance(answer, dict) and "error" not in answer else None
        if isinstance(reference, dict) and reference:
            consolidated[pk] = reference
    rows = Answer.objects.filter(loop_id__in=list(consolidated)).values_list("loop_id", "worker_id", "answer_content")
    for loop_id, worker_id, content in rows.iterator(chunk_size=2000):
        c = counts[worker_id]
        c[2] += 1
        c[3] += judge(content, consolidated[loop_id], settings_).agrees
    now = timezone.now()
    with transaction.atomic():
        WorkerQuality.objects.filter(flow_definition=flow).delete()
        WorkerQuality.objects.bulk_create(
            [
                WorkerQuality(
                    flow_definition=flow,
                    worker_id=worker_id,
                    gold_answers=c[0],
                    gold_correct=c[1],
                    compared=c[2],
                    agreed=c[3],
                    updated_at=now,
                )
                for worker_id, c in counts.items()
            ]
        )
    return len(counts)


def worker_visible_status(loop: HumanLoop) -> str:
    """The loop status a worker is told after submitting: for a gold item, what a customer loop
    of the flow would be after as many answers (Completed once the flow's TaskCount is reached),
    so that the reply does not tell a gold item apart."""
    if not loop.is_gold:
        return str(loop.status)
    answers = Answer.objects.filter(loop_id=loop.pk).count()
    done = answers >= loop.flow_definition.task_count
    return str(HumanLoopStatus.COMPLETED if done else HumanLoopStatus.IN_PROGRESS)
