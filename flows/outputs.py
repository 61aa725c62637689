"""Where and what a loop's output.json is (spec/a2i.md §20). Pure functions: the service that
writes it is ``flows.services.results``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


def output_uri_for(*, s3_output_path: str, flow_name: str, loop_name: str, created_at: datetime) -> str:
    """``<S3OutputPath>/<flow>/<YYYY>/<MM>/<DD>/<hh>/<mm>/<ss>/<loop>/output.json`` (UTC creation time)."""
    t = created_at.astimezone(UTC)
    return f"{s3_output_path.rstrip('/')}/{flow_name}/{t:%Y/%m/%d/%H/%M/%S}/{loop_name}/output.json"


#: The field of output.json that carries Loupe's consolidated answer (A2I's own fields are left
#: exactly as A2I writes them; readers that do not know this field ignore it).
CONSOLIDATED_FIELD = "loupeConsolidatedAnswer"
#: The field that records the review stage's decision (flows with review on; reviews.services).
REVIEW_FIELD = "loupeReview"
#: inputContent members of a built-in source (spec/a2i.md §20.2).
BUILT_IN_INPUT_MEMBERS = (
    "aiServiceRequest",
    "aiServiceResponse",
    "selectedAiServiceResponse",
    "humanTaskActivationConditionResults",
)


def a2i_time(value: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.mmmZ`` in UTC (milliseconds truncated), as output.json writes times."""
    t = value.astimezone(UTC)
    return f"{t:%Y-%m-%dT%H:%M:%S}.{t.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class AnswerFacts:
    """One submission, as output.json reports it. ``identity`` is the worker's
    ``workerMetadata.identityData`` (private workforces only, else None)."""

    answer_content: dict[str, Any]
    acceptance_time: datetime
    submission_time: datetime
    time_spent_seconds: float
    worker_id: str
    identity: dict[str, str] | None = None


def output_document(
    *,
    flow_definition_arn: str,
    human_loop_name: str,
    input_content: str,
    answers: Sequence[AnswerFacts],
    request_source: str = "",
    activation_results: dict[str, Any] | None = None,
    consolidated: dict[str, Any] | None = None,
    review: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A loop's output.json (spec/a2i.md §20.2-20.4): ``flowDefinitionArn``, ``humanLoopName``,
    ``humanAnswers`` in submission order (each with ``acceptanceTime``, ``submissionTime``,
    ``timeSpentInSeconds``, ``workerId``, ``workerMetadata`` for private workers and
    ``answerContent``), ``inputContent`` (the parsed InputContent; for a built-in source also
    ``awsManagedHumanLoopRequestSource``, and any of the four built-in inputContent members the
    input lacks, taken from the loop's activation results), and the consolidated answer under
    ``loupeConsolidatedAnswer`` when there is one, and the review's decision under ``loupeReview``
    when the flow has a review stage."""
    parsed = json.loads(input_content)
    doc: dict[str, Any] = {}
    if request_source:
        doc["awsManagedHumanLoopRequestSource"] = request_source
        if isinstance(parsed, dict):
            for member in BUILT_IN_INPUT_MEMBERS:
                if member not in parsed and activation_results and member in activation_results:
                    parsed[member] = activation_results[member]
    doc["flowDefinitionArn"] = flow_definition_arn
    doc["humanLoopName"] = human_loop_name
    ordered = sorted(answers, key=lambda a: (a.submission_time, a.worker_id))
    doc["humanAnswers"] = [_answer(a) for a in ordered]
    doc["inputContent"] = parsed
    if consolidated is not None:
        doc[CONSOLIDATED_FIELD] = consolidated
    if review is not None:
        doc[REVIEW_FIELD] = review
    return doc


def _answer(a: AnswerFacts) -> dict[str, Any]:
    item: dict[str, Any] = {
        "acceptanceTime": a2i_time(a.acceptance_time),
        "answerContent": a.answer_content,
        "submissionTime": a2i_time(a.submission_time),
        "timeSpentInSeconds": a.time_spent_seconds,
        "workerId": a.worker_id,
    }
    if a.identity is not None:
        item["workerMetadata"] = {"identityData": dict(a.identity)}
    return item


def render_output(document: dict[str, Any]) -> bytes:
    """The bytes written: UTF-8 JSON, keys in a fixed order, so that the same loop always gives
    the same object (a retried write is byte-identical)."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
