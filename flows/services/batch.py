"""Batch start: up to 1,000 human loops in one call and one transaction (a Loupe extension).

Every item gets StartHumanLoop's own validation (``flows.services.loops.loop_validate_start``)
and its idempotency rule (same name, flow and input: the existing loop; same name, other input:
``Conflict``). A refused item is reported by index and leaves no trace; the others are inserted
together with ``bulk_create``, so the number of queries does not grow with the number of items
(beyond the backend's own chunking of one INSERT: SQLite binds at most 999 values per statement).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from django.db import IntegrityError
from django.utils import timezone

from flows import arns, validation
from flows.errors import Conflict, InvalidInput, LoupeError
from flows.locks import write_transaction
from flows.models import FlowDefinition, FlowDefinitionStatus, HumanLoop, Task
from flows.services.loops import ValidStart, loop_announce, loop_build, loop_validate_start
from workforce.models import Organization

MAX_BATCH_ITEMS = 1000

#: Attempts when a concurrent writer gets in between our reads and our insert (a loop of the
#: same name committed, or a flow deleted): each attempt re-reads, so the next one reports it.
_ATTEMPTS = 3


class DuplicateInBatch(Conflict):
    """Two items of one batch carry the same loop name: the later ones are refused."""


@dataclass(frozen=True)
class BatchItem:
    """One loop to start. ``flow_definition`` is a flow name or its ARN (None: the batch's
    default); ``input_content`` a JSON object (a dict) or the JSON text of one."""

    name: Any
    input_content: Any
    flow_definition: Any = None
    content_classifiers: Any = None

    FIELDS: ClassVar[tuple[str, ...]] = ("name", "input_content", "flow_definition", "content_classifiers")

    @classmethod
    def from_data(cls, data: Any) -> BatchItem:
        """An item from parsed JSON. Raises InvalidInput for a non-object or an unknown member
        (a misspelt optional member would otherwise be ignored silently)."""
        if isinstance(data, BatchItem):
            return data
        if not isinstance(data, Mapping):
            raise InvalidInput(f"An item must be a JSON object, not {type(data).__name__}.", field="item")
        extra = sorted(set(data) - set(cls.FIELDS))
        if extra:
            raise InvalidInput(
                f"Unknown member(s) in the item: {', '.join(map(str, extra))}. An item has {', '.join(cls.FIELDS)}.",
                field=str(extra[0]),
            )
        return cls(**{name: data.get(name) for name in cls.FIELDS})


@dataclass(frozen=True)
class ItemResult:
    """What happened to the item at ``index``: ``created``, ``exists`` (a live loop with the same
    name, flow and input: the retried item succeeds without a second loop) or ``error``."""

    index: int
    status: Literal["created", "exists", "error"]
    human_loop_arn: str | None = None
    error: LoupeError | None = None


class _Retry(Exception):
    """The batch lost a race with a concurrent writer; run it again from the reads."""


def flow_ref_arn(organization: Organization, ref: Any) -> str:
    """The flow ARN for a flow reference (a name, or an ARN as given). Raises InvalidInput.

    (The REST API names flows either way; StartHumanLoop's validation then checks the ARN.)"""
    if ref is None:
        raise InvalidInput(
            "flowDefinition is required: give it on the item or as the batch default.", field="flowDefinitionArn"
        )
    if isinstance(ref, str) and ref.startswith("arn:"):
        return ref
    validation.flow_definition_name(ref, "flowDefinitionArn")
    return arns.flow_definition_arn(organization.region, organization.account_id, ref)


def input_content_text(value: Any) -> Any:
    """InputContent as StartHumanLoop takes it: a dict becomes its JSON text, written as Python's
    ``json.dumps`` writes it by default (what most boto3 callers send), so that the same object
    sent through either API is the same input."""
    if isinstance(value, dict):
        return json.dumps(value)
    if value is None or isinstance(value, str):
        # None and text go to StartHumanLoop's own checks (required; JSON text of an object).
        return value
    raise InvalidInput(
        f"input_content must be a JSON object, not {type(value).__name__}.", field="humanLoopInput.inputContent"
    )


def _flows_by_arn(organization: Organization, refs: set[str]) -> dict[str, FlowDefinition | None]:
    """One query for every flow the batch names, keyed by ARN (None: no such live flow)."""
    prefix = f"arn:aws:sagemaker:{organization.region}:{organization.account_id}:flow-definition/"
    names = {ref[len(prefix) :] for ref in refs if ref.startswith(prefix)}
    found = {
        flow.name: flow
        for flow in FlowDefinition.objects.select_related("human_task_ui").filter(
            organization=organization, name__in=names, deleted_at__isnull=True
        )
    }
    cache: dict[str, FlowDefinition | None] = {}
    for ref in refs:
        flow = found.get(ref[len(prefix) :]) if ref.startswith(prefix) else None
        if flow is not None:
            flow.organization = organization
        cache[ref] = flow
    return cache


def _validate(
    organization: Organization, data: Sequence[Any], default_flow: Any
) -> tuple[list[ItemResult | None], list[tuple[int, ValidStart]]]:
    results: list[ItemResult | None] = [None] * len(data)
    items: dict[int, BatchItem] = {}
    prepared: list[tuple[int, str, Any]] = []
    for index, raw in enumerate(data):
        try:
            item = items[index] = BatchItem.from_data(raw)
            flow_ref = item.flow_definition if item.flow_definition is not None else default_flow
            prepared.append((index, flow_ref_arn(organization, flow_ref), input_content_text(item.input_content)))
        except LoupeError as exc:
            results[index] = ItemResult(index=index, status="error", error=exc)
    flows = _flows_by_arn(organization, {arn for _, arn, _ in prepared})
    valid: list[tuple[int, ValidStart]] = []
    first_index: dict[str, int] = {}
    for index, arn, text in prepared:
        item = items[index]
        try:
            start = loop_validate_start(
                organization=organization,
                name=item.name,
                flow_definition_arn=arn,
                input_content=text,
                content_classifiers=item.content_classifiers,
                flows=flows,
            )
        except LoupeError as exc:
            results[index] = ItemResult(index=index, status="error", error=exc)
            continue
        if start.name in first_index:
            results[index] = ItemResult(
                index=index,
                status="error",
                error=DuplicateInBatch(
                    f"Item {first_index[start.name]} of this batch already starts a human loop named {start.name}.",
                    field="humanLoopName",
                ),
            )
            continue
        first_index[start.name] = index
        valid.append((index, start))
    return results, valid


def _same_objects(
    organization: Organization, valid: list[tuple[int, ValidStart]], existing: dict[str, tuple[str, int]]
) -> set[str]:
    """Names whose live loop has the same flow and the same input as a JSON value, written
    differently (spacing, key escapes): one query for all of them, none when there are none."""
    differing = {
        start.name: start
        for _, start in valid
        if start.name in existing
        and existing[start.name][1] == start.flow.pk
        and existing[start.name][0] != start.input_sha256
    }
    if not differing:
        return set()
    same = set()
    for name, text in HumanLoop.objects.filter(
        organization=organization, name__in=list(differing), deleted_at__isnull=True
    ).values_list("name", "input_content"):
        if json.loads(text) == json.loads(differing[name].input_content):
            same.add(name)
    return same


def _attempt(organization: Organization, items: Sequence[Any], default_flow: Any) -> list[ItemResult]:
    results, valid = _validate(organization, items, default_flow)
    existing = {
        name: (sha, flow_id)
        for name, sha, flow_id in HumanLoop.objects.filter(
            organization=organization, name__in=[start.name for _, start in valid], deleted_at__isnull=True
        ).values_list("name", "input_sha256", "flow_definition_id")
    }
    same_input = _same_objects(organization, valid, existing)
    now = timezone.now()
    to_insert: list[tuple[int, HumanLoop]] = []
    tasks: list[Task] = []
    for index, start in valid:
        arn = arns.human_loop_arn(organization.region, organization.account_id, start.name)
        if start.name in existing:
            if existing[start.name] == (start.input_sha256, start.flow.pk) or start.name in same_input:
                results[index] = ItemResult(index=index, status="exists", human_loop_arn=arn)
            else:
                results[index] = ItemResult(
                    index=index,
                    status="error",
                    error=Conflict(
                        f"A human loop named {start.name} already exists with different input data: "
                        "choose another name, or send the same input to retry.",
                        field="humanLoopName",
                    ),
                )
            continue
        loop, loop_tasks = loop_build(organization=organization, start=start, now=now)
        to_insert.append((index, loop))
        tasks.extend(loop_tasks)
    if to_insert:
        loops = [loop for _, loop in to_insert]
        flow_ids = {loop.flow_definition_id for loop in loops}
        with write_transaction():
            HumanLoop.objects.bulk_create(loops)
            Task.objects.bulk_create(tasks)
            # A flow deleted between validation and insert: roll back and report it next attempt.
            active = FlowDefinition.objects.filter(
                pk__in=flow_ids, status=FlowDefinitionStatus.ACTIVE, deleted_at__isnull=True
            ).count()
            if active != len(flow_ids):
                raise _Retry
            loop_announce(loops=loops)
        for index, loop in to_insert:
            results[index] = ItemResult(
                index=index,
                status="created",
                human_loop_arn=arns.human_loop_arn(organization.region, organization.account_id, loop.name),
            )
    return [r for r in results if r is not None]


def loops_start_batch(
    *, organization: Organization, items: Sequence[BatchItem | Mapping[str, Any]], default_flow_definition: Any = None
) -> list[ItemResult]:
    """Start up to ``MAX_BATCH_ITEMS`` loops; returns one result per item, in item order.

    ``items`` are ``BatchItem``s or their JSON objects (``name``, ``input_content``,
    ``flow_definition``, ``content_classifiers``); ``default_flow_definition`` (a name or an ARN)
    serves the items that name no flow.

    Validation is StartHumanLoop's, item by item; the loops and tasks of the accepted items are
    inserted in one transaction. Later items repeating an earlier item's name are refused
    (``DuplicateInBatch``). When a concurrent writer commits a loop of the same name, or deletes a
    flow, between the reads and the insert, the transaction rolls back and the batch is re-read
    and retried, so each item is reported against what is committed. Raises ``InvalidInput``
    for a batch that is empty or too large, and ``Conflict`` (nothing stored) if it keeps
    colliding with concurrent writers.
    """
    if not items:
        raise InvalidInput("A batch needs at least one item.", field="items")
    if len(items) > MAX_BATCH_ITEMS:
        raise InvalidInput(f"A batch holds at most {MAX_BATCH_ITEMS} items; this one has {len(items)}.", field="items")
    for _ in range(_ATTEMPTS):
        try:
            return _attempt(organization, items, default_flow_definition)
        except (IntegrityError, _Retry):
            continue
    raise Conflict(
        f"The batch collided with concurrent writes {_ATTEMPTS} times and nothing of it was stored: send it again."
    )
