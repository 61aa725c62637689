"""The rows an export reads: a flow's Completed loops, oldest first, with their answers.

Loops are read in keyset batches (``id > last``, ``LIMIT batch``) rather than through one
server-side cursor, so that each batch's answers can be read in between (one query per batch,
itself streamed with ``iterator(chunk_size=...)``) and so that an export resumes after any loop.
JSON columns are read as text and handed on as text: the JSONL and CSV formatters embed them
without parsing them again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
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
    acceptance_time: datetime
    submission_time: datetime
    time_spent_seconds: float


@dataclass(frozen=True, slots=True)
class LoopRecord:
    id: int
    name: str
    created_at: datetime
    completed_at: datetime | None
    #: InputContent as the caller sent it (JSON text of an object).
    input_content: str
    #: The consolidated answer as JSON text, or None.
    consolidated: str | None
    answers: list[AnswerRecord]


def _loops(flow: FlowDefinition) -> Any:
    return HumanLoop.objects.filter(
        flow_definition=flow, status=HumanLoopStatus.COMPLETED, deleted_at__isnull=True
    ).order_by("pk")


def export_after_id(*, flow: FlowDefinition, after: str | None) -> int:
    """The loop id to resume after, from the name of the last loop a client received."""
    if not after:
        return 0
    pk = HumanLoop.objects.filter(flow_definition=flow, name=after).order_by("-pk").values_list("pk", flat=True).first()
    if pk is None:
        raise NotFound(f"The flow has no human loop named {after} to resume after.", field="after")
    return int(pk)


def export_count(*, flow: FlowDefinition, after_id: int = 0) -> int:
    """How many loops an export from ``after_id`` holds (for progress)."""
    return int(_loops(flow).filter(pk__gt=after_id).count())


def export_records(*, flow: FlowDefinition, after_id: int = 0, batch: int = BATCH) -> Iterator[LoopRecord]:
    """Every Completed loop of ``flow`` with id > ``after_id``, oldest first, with its answers in
    submission order. Memory: one batch."""
    pg = connection.vendor == "postgresql"
    consolidated = "consolidated_answer::text" if pg else "consolidated_answer"
    table = HumanLoop._meta.db_table
    q = connection.ops.quote_name
    last = after_id
    while True:
        # Identifiers come from the models; values go as parameters.
        sql = (
            f"SELECT {q('id')}, {q('name')}, {q('created_at')}, {q('completed_at')}, {q('input_content')}, "  # noqa: S608
            f"{consolidated} FROM {q(table)} WHERE {q('flow_definition_id')} = %s AND {q('status')} = %s "
            f"AND {q('deleted_at')} IS NULL AND {q('id')} > %s ORDER BY {q('id')} LIMIT %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [flow.pk, HumanLoopStatus.COMPLETED.value, last, batch])
            rows = cursor.fetchall()
        if not rows:
            return
        answers = _answers(rows[0][0], rows[-1][0], flow, pg)
        for pk, name, created, completed, content, cons in rows:
            yield LoopRecord(
                id=pk,
                name=name,
                created_at=_datetime(created),
                completed_at=_datetime(completed) if completed is not None else None,
                input_content=content,
                consolidated=cons,
                answers=answers.get(pk, []),
            )
        if len(rows) < batch:
            return
        last = rows[-1][0]


def _answers(first: int, last: int, flow: FlowDefinition, pg: bool) -> dict[int, list[AnswerRecord]]:
    content = "a.answer_content::text" if pg else "a.answer_content"
    q = connection.ops.quote_name
    sql = (
        f"SELECT a.{q('loop_id')}, u.{q('worker_id')}, {content}, a.{q('acceptance_time')}, "  # noqa: S608
        f"a.{q('submission_time')}, a.{q('time_spent_seconds')} FROM {q(Answer._meta.db_table)} a "
        f"JOIN {q(HumanLoop._meta.db_table)} l ON l.{q('id')} = a.{q('loop_id')} "
        f"JOIN {q(User._meta.db_table)} u ON u.{q('id')} = a.{q('worker_id')} "
        f"WHERE a.{q('loop_id')} BETWEEN %s AND %s AND l.{q('flow_definition_id')} = %s "
        f"ORDER BY a.{q('loop_id')}, a.{q('submission_time')}, a.{q('id')}"
    )
    out: dict[int, list[AnswerRecord]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [first, last, flow.pk])
        while True:
            chunk = cursor.fetchmany(BATCH)
            if not chunk:
                break
            for loop_id, worker, text, accepted, submitted, spent in chunk:
                out.setdefault(loop_id, []).append(
                    AnswerRecord(worker, text, _datetime(accepted), _datetime(submitted), float(spent))
                )
    return out


def _datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))
