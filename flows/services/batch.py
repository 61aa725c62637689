"""Batch start: up to 1,000 human loops in one call and one transaction (a Loupe extension).

Every item gets StartHumanLoop's own validation (``flows.services.loops.loop_validate_start``)
and its idempotency rule (same name, flow and input: the existing loop; same name, other input:
``Conflict``). A refused item is reported by index and leaves no trace; the others are inserted
with one INSERT statement per table, so the number of queries does not grow with the number of
items.

Why not ``bulk_create``: it builds a model instance per row and prepares every value of every row
in Python (about 0.6 s for 1,000 loops with 3 tasks each on this 2-core machine, where the
database itself spends 20-30 ms). Here the rows are prepared from one template instance per flow
(``loop_build``, so a loop is built exactly as StartHumanLoop builds it) and only the varying
columns are set per row; SQLite takes them through ``executemany``, PostgreSQL through ``COPY``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from django.db import IntegrityError, connection
from django.db.models import Field, Model
from django.utils import timezone

from flows import arns, events, validation
from flows.errors import Conflict, InvalidInput, LoupeError
from flows.locks import write_transaction
from flows.models import FlowDefinition, FlowDefinitionStatus, HumanLoop, Task
from flows.services.loops import ValidStart, loop_build, loop_validate_start
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
    arn_of: dict[Any, str] = {}
    for index, raw in enumerate(data):
        try:
            item = items[index] = BatchItem.from_data(raw)
            ref = item.flow_definition if item.flow_definition is not None else default_flow
            arn = arn_of.get(ref) if isinstance(ref, str) else None
            if arn is None:
                arn = flow_ref_arn(organization, ref)
                if isinstance(ref, str):
                    arn_of[ref] = arn
            prepared.append((index, arn, input_content_text(item.input_content)))
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


class _Rows:
    """Rows of one model for a multi-row INSERT, prepared for the database the way Django's own
    ``bulk_create`` prepares them (``pre_save`` + ``get_db_prep_save``), but once per template
    instead of once per row: every column takes the template's value, except the ``varying``
    ones, which each row gives. A field added to the model later is filled from the template,
    so it is inserted with whatever value ``loop_build`` gives it."""

    def __init__(self, model: type[Model], varying: Sequence[str]) -> None:
        self.model = model
        self.fields: list[Field] = [f for f in model._meta.concrete_fields if not f.primary_key]
        names = [f.attname for f in self.fields]
        self.slots = [names.index(name) for name in varying]
        self.rows: list[list[Any]] = []

    def template(self, obj: Model) -> list[Any]:
        return [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in self.fields]

    def add(self, template: list[Any], values: Sequence[Any]) -> None:
        row = template.copy()
        slots = self.slots
        for i in range(len(slots)):
            row[slots[i]] = values[i]
        self.rows.append(row)

    def insert(self) -> None:
        """Insert the rows with one statement: SQLite ``executemany`` (one prepared INSERT,
        bound row by row in C), PostgreSQL ``COPY`` (rows formatted in C by psycopg; a multi-row
        VALUES or UNNEST would have psycopg merge every value into the query text in Python,
        which costs more than the insert itself)."""
        if not self.rows:
            return
        qn = connection.ops.quote_name
        table = qn(self.model._meta.db_table)
        columns = ", ".join(qn(str(f.column)) for f in self.fields)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                sql = f"COPY {table} ({columns}) FROM STDIN"
                # Through Django's debug wrapper when there is one, so that COPY is logged and
                # counted like any other query.
                logged = cursor.debug_sql(sql) if hasattr(cursor, "debug_sql") else nullcontext()
                # wrap_database_errors: a unique violation is Django's IntegrityError here too.
                with logged, connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
                    for row in self.rows:
                        copy.write_row(row)
                return
            one = ", ".join(["%s"] * len(self.fields))
            # Identifiers from the model's metadata, quoted; every value is a bound parameter.
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({one})", self.rows)  # noqa: S608


def _loop_ids(organization: Organization, names: list[str]) -> dict[str, int]:
    """The ids of the organization's live loops ``names`` (just inserted), in one query."""
    table = connection.ops.quote_name(HumanLoop._meta.db_table)
    head = f"SELECT name, id FROM {table} WHERE organization_id = %s AND deleted_at IS NULL AND "  # noqa: S608
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One array parameter rather than 1,000 placeholders (see ``_Rows.insert``).
            cursor.execute(head + "name = ANY(%s)", [organization.pk, names])
        else:
            cursor.execute(head + f"name IN ({', '.join(['%s'] * len(names))})", [organization.pk, *names])
        return dict(cursor.fetchall())


def _json_prep(field: Field) -> Any:
    cache: dict[Any, Any] = {}

    def prep(value: Any) -> Any:
        # Classifier lists are short lists of strings; anything else is keyed by its JSON.
        key: Any = (
            tuple(value)
            if isinstance(value, list) and all(type(v) is str for v in value)
            else json.dumps(value, sort_keys=True)
        )
        if key not in cache:
            cache[key] = field.get_db_prep_save(value, connection)
        return cache[key]

    return prep


def _announce(organization: Organization, flow: FlowDefinition, names: list[str]) -> None:
    """On commit: the same "work.available" and "loops.started" messages ``loop_announce`` sends
    for these loops (a test holds the two equal), without building a model instance per loop."""
    data = {
        "flow_definition": flow.name,
        "flow_definition_id": flow.pk,
        "loops": len(names),
        "tasks": len(names) * flow.task_count,
        "loop_names": names[:100],
    }
    events.publish_on_commit(events.team_group(flow.workteam_id), events.event_message("work.available", data))
    events.publish_on_commit(events.org_group(flow.organization_id), events.event_message("loops.started", data))


_LOOP_VARYING = ("name", "input_content", "input_sha256", "content_classifiers", "activation_results")


def _insert(organization: Organization, starts: list[ValidStart]) -> None:
    """Inside the write transaction: the loops, then (with their ids) their tasks."""
    now = timezone.now()
    loops = _Rows(HumanLoop, _LOOP_VARYING)
    tasks = _Rows(Task, ("loop_id", "index"))
    classifiers = _json_prep(HumanLoop._meta.get_field("content_classifiers"))
    results = _json_prep(HumanLoop._meta.get_field("activation_results"))
    templates: dict[int, tuple[list[Any], list[Any], FlowDefinition]] = {}
    by_flow: dict[int, list[str]] = {}
    for start in starts:
        flow_id = start.flow.pk
        if flow_id not in templates:
            loop, flow_tasks = loop_build(organization=organization, start=start, now=now)
            templates[flow_id] = (loops.template(loop), tasks.template(flow_tasks[0]), start.flow)
            by_flow[flow_id] = []
        loops.add(
            templates[flow_id][0],
            (
                start.name,
                start.input_content,
                start.input_sha256,
                classifiers(start.content_classifiers),
                results(start.activation_results),
            ),
        )
        by_flow[flow_id].append(start.name)
    loops.insert()
    ids = _loop_ids(organization, [start.name for start in starts])
    for start in starts:
        task_template = templates[start.flow.pk][1]
        loop_id = ids[start.name]
        for index in range(start.flow.task_count):
            tasks.add(task_template, (loop_id, index))
    tasks.insert()
    for flow_id, names in by_flow.items():
        _announce(organization, templates[flow_id][2], names)


def _attempt(organization: Organization, items: Sequence[Any], default_flow: Any) -> list[ItemResult]:
    results, valid = _validate(organization, items, default_flow)
    existing = {
        name: (sha, flow_id)
        for name, sha, flow_id in HumanLoop.objects.filter(
            organization=organization, name__in=[start.name for _, start in valid], deleted_at__isnull=True
        ).values_list("name", "input_sha256", "flow_definition_id")
    }
    same_input = _same_objects(organization, valid, existing)
    region, account = organization.region, organization.account_id
    to_insert: list[tuple[int, ValidStart]] = []
    for index, start in valid:
        if start.name not in existing:
            to_insert.append((index, start))
        elif existing[start.name] == (start.input_sha256, start.flow.pk) or start.name in same_input:
            results[index] = ItemResult(
                index=index, status="exists", human_loop_arn=arns.human_loop_arn(region, account, start.name)
            )
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
    if to_insert:
        flow_ids = {start.flow.pk for _, start in to_insert}
        with write_transaction():
            _insert(organization, [start for _, start in to_insert])
            # A flow deleted between validation and insert: roll back and report it next attempt.
            active = FlowDefinition.objects.filter(
                pk__in=flow_ids, status=FlowDefinitionStatus.ACTIVE, deleted_at__isnull=True
            ).count()
            if active != len(flow_ids):
                raise _Retry
        for index, start in to_insert:
            results[index] = ItemResult(
                index=index, status="created", human_loop_arn=arns.human_loop_arn(region, account, start.name)
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
