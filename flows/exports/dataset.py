"""The rows an export reads: a flow's Completed loops, oldest first, with their answers.

Loops are read in keyset batches (``id > last``, ``LIMIT batch``) rather than through one
server-side cursor, so that each batch's answers can be read in between (one query per batch,
itself streamed with ``iterator(chunk_size=...)``) and so that an export resumes after any loop.
JSON columns are read as text and handed on as text, and times are formatted by the database
(``YYYY-MM-DDTHH:MM:SS.mmmZ``, UTC): the JSONL and CSV formatters embed them without parsing or
converting anything, which is what makes a million lines fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection

from flows.errors import NotFound
from flows.models import Answer, FlowDefinition, HumanLoop, HumanLoopStatus
from workforce.models import User

BATCH = 2000


@dataclass(frozen=True, slots=True)
class AnswerRecord:
    worker_id: str
    #: answerContent as JSON text.
    content: str
    #: Times as A2I writes them, ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (formatted by the database).
    acceptance_time: str
    submission_time: str
    time_spent_seconds: float


@dataclass(frozen=True, slots=True)
class LoopRecord:
    id: int
    name: str
    created_at: str
    completed_at: str | None
    #: InputContent as the caller sent it (JSON text of an object).
    input_content: str
    #: The consolidated answer as JSON text, or None.
    consolidated: str | None
    answers: list[AnswerRecord]


def _loops(flow: FlowDefinition) -> Any:
    return HumanLoop.objects.filter(
        flow_definition=flow, status=HumanLoopStatus.COMPLETED, deleted_at__isnull=True, is_gold=False
    ).order_by("pk")


def export_after_id(*, flow: FlowDefinition, after: str | None) -> int:
    """The loop id to resume after, from the name of the last loop a client received."""
    if not after:
        return 0
    pk = (
        HumanLoop.objects.filter(flow_definition=flow, name=after, is_gold=False)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    if pk is None:
        raise NotFound(f"The flow has no human loop named {after} to resume after.", field="after")
    return int(pk)


def export_count(*, flow: FlowDefinition, after_id: int = 0) -> int:
    """How many loops an export from ``after_id`` holds (for progress)."""
    return int(_loops(flow).filter(pk__gt=after_id).count())


def export_records(*, flow: FlowDefinition, after_id: int = 0, batch: int = BATCH) -> Iterator[LoopRecord]:
    """Every Completed loop of ``flow`` with id > ``after_id``, oldest first, with its answers in
    submission order: one query per batch of loops (the loops joined to their answers, read by
    index on both databases), read with ``fetchmany``. Memory: one batch."""
    pg = connection.vendor == "postgresql"
    q = connection.ops.quote_name
    loops, answers, users = (q(m._meta.db_table) for m in (HumanLoop, Answer, User))
    cons = "l.consolidated_answer::text" if pg else "l.consolidated_answer"
    content = "a.answer_content::text" if pg else "a.answer_content"
    # Identifiers come from the models; values go as parameters.
    columns = (
        f"l.id, l.name, {_time('created_at', 'l')}, {_time('completed_at', 'l')}, l.input_content, {cons}, "
        f"u.worker_id, {content}, {_time('acceptance_time', 'a')}, {_time('submission_time', 'a')}, "
        "a.time_spent_seconds"
    )
    batch_sql = (
        f"SELECT * FROM {loops} WHERE flow_definition_id = %s AND status = %s "  # noqa: S608
        "AND deleted_at IS NULL AND NOT is_gold AND id > %s ORDER BY id LIMIT %s"
    )
    order = f"LEFT JOIN {users} u ON u.id = a.worker_id ORDER BY l.id, a.submission_time, a.id"
    if pg:
        # The range lets PostgreSQL read the batch's answers by index; a plain join hashes every
        # answer of the table for each batch (quadratic in the flow's size).
        sql = (
            f"WITH l AS MATERIALIZED ({batch_sql}) SELECT {columns} FROM l "  # noqa: S608
            f"LEFT JOIN {answers} a ON a.loop_id = l.id "
            f"AND a.loop_id BETWEEN (SELECT min(id) FROM l) AND (SELECT max(id) FROM l) {order}"
        )
    else:
        # SQLite looks each loop's answers up by index in loop order already.
        sql = f"SELECT {columns} FROM ({batch_sql}) l LEFT JOIN {answers} a ON a.loop_id = l.id {order}"  # noqa: S608
    last = after_id
    while True:
        seen = 0
        current: LoopRecord | None = None
        with connection.cursor() as cursor:
            cursor.execute(sql, [flow.pk, HumanLoopStatus.COMPLETED.value, last, batch])
            while rows := cursor.fetchmany(BATCH):
                for pk, name, created, completed, input_content, consolidated, worker, text, acc, sub, spent in rows:
                    if current is None or current.id != pk:
                        if current is not None:
                            yield current
                        current = LoopRecord(pk, name, created, completed, input_content, consolidated, [])
                        seen += 1
                    if text is not None:
                        current.answers.append(AnswerRecord(worker, text, acc, sub, spent))
        if current is not None:
            yield current
            last = current.id
        if seen < batch:
            return


def _time(column: str, alias: str | None = None) -> str:
    """SQL formatting a timestamp column as ``YYYY-MM-DDTHH:MM:SS.mmmZ`` in UTC."""
    q = connection.ops.quote_name
    ref = f"{alias}.{q(column)}" if alias else q(column)
    if connection.vendor == "postgresql":
        return f"to_char({ref} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
    # SQLite keeps Django's UTC text "YYYY-MM-DD HH:MM:SS[.ffffff]"; milliseconds are truncated, as
    # in Python (strftime's %f would round them).
    return (
        f"(substr({ref}, 1, 10) || 'T' || substr({ref}, 12, 8) || '.' || "
        f"substr(substr({ref}, 21) || '000', 1, 3) || 'Z')"
    )
