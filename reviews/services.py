"""The review stage (Loupe extension): a reviewer accepts or corrects a loop's consolidated answer
before its output is written.

Life of a review, for a flow whose ``FlowReview`` is enabled:

* ``review_hold`` (called by ``flows.services.work.task_submit`` when the TaskCount-th answer
  arrives, inside its transaction, the loop locked): the answers are consolidated as for any
  loop and a ``pending`` ``LoopReview`` proposes the result. The loop stays InProgress (what
  DescribeHumanLoop shows), nothing is written to its output path yet, and its availability
  lifetime no longer applies (``expires_at`` cleared: the workers are done, as in A2I, where a
  loop whose answers are all in is never Expired);
* ``review_accept`` / ``review_correct``: the loop becomes Completed with the proposed (or the
  corrected) answer as its consolidated answer, and ``events.loop_status_changed`` runs the same
  after-commit path as any completion (output.json, whose ``loupeReview`` records the decision,
  then the webhooks);
* ``review_withdraw`` (called by ``flows.services.loops.loop_stop``): StopHumanLoop on a loop
  awaiting review stops it; the review becomes ``withdrawn``.

Locks follow ``flows.locks``: the loop first, then its review row; a review only moves from
``pending`` under its loop's lock, so of two reviewers deciding at once exactly one wins and the
other gets ``Conflict`` with nothing written.

Who may review a flow: the organization's admins, engineers and team leads, plus the members of
the flow's ``reviewer_workteam`` when one is set, and the organization's API keys. Reviews a
caller may not see are ``NotFound`` (the pages answer 404). A person who answered one of the
loop's tasks may not review it (``WrongState``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from audit.services import audit_record
from flows import events, locks
from flows.errors import Conflict, InvalidInput, NotFound, WrongState
from flows.models import Answer, FlowDefinition, HumanLoop, HumanLoopStatus
from flows.outputs import a2i_time, output_uri_for
from flows.services.results import consolidation_compute
from reviews.models import FlowReview, LoopReview, ReviewStatus
from workforce.models import ApiKey, Crowd, Membership, Organization, TeamMembership, User, Workteam
from workforce.permissions import DASHBOARD_ROLES

#: Largest corrected answer, as JSON text (the bound a worker's answerContent has).
MAX_CORRECTION = 3 * 1024 * 1024
#: Longest reviewer's note.
MAX_NOTE = 2000


@dataclass(frozen=True)
class Reviewer:
    """Who acts: a person (``user``) or an organization's API key (``api_key``)."""

    user: User | None = None
    api_key: ApiKey | None = None

    @property
    def label(self) -> str:
        if self.user is not None:
            return self.user.email
        return self.api_key.access_key_id if self.api_key is not None else "?"


# --- Configuration ---------------------------------------------------------------------------------


def flow_review_of(flow: FlowDefinition) -> FlowReview | None:
    return FlowReview.objects.select_related("reviewer_workteam").filter(flow_definition=flow).first()


def reviewer_team_for(*, organization: Organization, name: str) -> Workteam:
    """One of the organization's own private teams, by name (InvalidInput otherwise)."""
    team = Workteam.objects.filter(organization=organization, name=name, crowd=Crowd.PRIVATE).first()
    if team is None:
        raise InvalidInput(
            f"There is no private work team named {name!r} in this organization: reviewers come from "
            "the organization's own teams.",
            field="reviewerWorkteam",
        )
    return team


def flow_review_set(
    *,
    organization: Organization,
    flow: FlowDefinition,
    enabled: bool,
    reviewer_workteam: str | None = None,
) -> FlowReview:
    """Turn the flow's review stage on or off, and name (or clear, with None or "") the team whose
    members may review besides admins, engineers and team leads. Loops already awaiting review
    stay pending when review is turned off: they are decided (or stopped) as before."""
    if not isinstance(enabled, bool):
        raise InvalidInput("enabled must be true or false.", field="enabled")
    if flow.organization_id != organization.pk or flow.deleted_at is not None:
        raise NotFound(f"Flow definition {flow.name} does not exist.", field="flowDefinitionName")
    team = reviewer_team_for(organization=organization, name=reviewer_workteam) if reviewer_workteam else None
    with locks.write_transaction():
        config, _ = FlowReview.objects.update_or_create(
            flow_definition=flow, defaults={"enabled": enabled, "reviewer_workteam": team}
        )
        audit_record(
            organization=organization,
            action="UpdateFlowReview",
            resource=flow.arn,
            details={"enabled": enabled, "reviewerWorkteam": team.name if team else None},
        )
    return config


def flow_review_describe(config: FlowReview | None) -> dict[str, Any]:
    """The configuration as the REST API and the console show it."""
    team = config.reviewer_workteam if config is not None else None
    return {
        "enabled": bool(config and config.enabled),
        "reviewer_workteam": team.name if team is not None else None,
    }


# --- The hooks of the work and loop services -----------------------------------------------------


def review_hold(*, loop: HumanLoop, now: datetime) -> bool:
    """Hook of ``task_submit`` at the TaskCount-th answer (loop locked, in its transaction).
    Returns False when the flow has no review stage (the loop completes as usual); otherwise
    creates the pending review with the consolidated answer proposed and returns True (the loop
    stays InProgress)."""
    if not FlowReview.objects.filter(flow_definition_id=loop.flow_definition_id, enabled=True).exists():
        return False
    proposed = consolidation_compute(loop=loop)
    review = LoopReview.objects.create(
        loop=loop,
        organization_id=loop.organization_id,
        flow_definition_id=loop.flow_definition_id,
        status=ReviewStatus.PENDING,
        proposed_answer=proposed,
    )
    if loop.expires_at is not None:
        loop.expires_at = None
        loop.save(update_fields=["expires_at"])
    _announce(review, loop, "review.pending")
    return True


def review_withdraw(*, loop: HumanLoop) -> bool:
    """Hook of ``loop_stop`` (loop locked): a pending review of the stopped loop is withdrawn."""
    review = _locked_review(LoopReview.objects.filter(loop_id=loop.pk, status=ReviewStatus.PENDING))
    if review is None:
        return False
    review.status = ReviewStatus.WITHDRAWN
    review.decided_at = timezone.now()
    review.save(update_fields=["status", "decided_at"])
    _announce(review, loop, "review.decided")
    return True


def _announce(review: LoopReview, loop: HumanLoop, event: str) -> None:
    data = {
        "review_id": review.pk,
        "loop": loop.name,
        "loop_id": loop.pk,
        "flow_definition_id": loop.flow_definition_id,
        "status": str(review.status),
    }
    events.publish_on_commit(events.org_group(loop.organization_id), events.event_message(event, data))


def _locked_review(qs: QuerySet[LoopReview]) -> LoopReview | None:
    if connection.features.has_select_for_update_of:
        return qs.select_for_update(of=("self",), no_key=True).first()
    return qs.select_for_update().first()


# --- Who may review what -------------------------------------------------------------------------------


def _role(user: User, organization: Organization) -> str | None:
    return (
        Membership.objects.filter(user_id=user.pk, organization_id=organization.pk)
        .values_list("role", flat=True)
        .first()
    )


def reviewable_flow_filter(*, organization: Organization, reviewer: Reviewer) -> Q | None:
    """A filter on ``LoopReview`` for the flows ``reviewer`` may review in ``organization``
    (``Q()`` for all of them), or None when they may review none."""
    if reviewer.api_key is not None:
        return Q() if reviewer.api_key.organization_id == organization.pk else None
    user = reviewer.user
    if user is None or not user.is_active:
        return None
    role = _role(user, organization)
    if role in DASHBOARD_ROLES:
        return Q()
    if role is None:
        return None
    teams = TeamMembership.objects.filter(user_id=user.pk).values("workteam_id")
    return Q(flow_definition__review_config__reviewer_workteam_id__in=teams)


def may_review_anything(*, organization: Organization, reviewer: Reviewer) -> bool:
    """Whether the reviewer may review some flow of the organization (a role that opens them
    all, or membership of a team some flow names as its reviewers)."""
    rule = reviewable_flow_filter(organization=organization, reviewer=reviewer)
    if rule is None:
        return False
    if rule == Q():
        return True
    assert reviewer.user is not None
    return FlowReview.objects.filter(
        flow_definition__organization=organization,
        reviewer_workteam__memberships__user_id=reviewer.user.pk,
    ).exists()


def reviews_query(
    *,
    organization: Organization,
    reviewer: Reviewer,
    status: str | None = None,
    flow_name: str | None = None,
) -> QuerySet[LoopReview]:
    """The organization's reviews the reviewer may see (their loops not deleted), filtered."""
    rule = reviewable_flow_filter(organization=organization, reviewer=reviewer)
    if rule is None:
        return LoopReview.objects.none()
    qs = LoopReview.objects.filter(rule, organization=organization, loop__deleted_at__isnull=True)
    if status:
        if status not in ReviewStatus.values:
            raise InvalidInput(
                f"status must be one of {', '.join(ReviewStatus.values)}.",
                field="status",
            )
        qs = qs.filter(status=status)
    if flow_name:
        qs = qs.filter(flow_definition__name=flow_name, flow_definition__deleted_at__isnull=True)
    return qs.select_related("loop", "flow_definition", "organization", "reviewer")


def review_get(*, organization: Organization, reviewer: Reviewer, review_id: int) -> LoopReview:
    review = reviews_query(organization=organization, reviewer=reviewer).filter(pk=review_id).first()
    if review is None:
        raise NotFound(f"Review {review_id} does not exist.", field="reviewId")
    return review


def review_answers(review: LoopReview) -> list[Answer]:
    """The workers' answers of the reviewed loop, in submission order."""
    return list(
        Answer.objects.select_related("worker").filter(loop_id=review.loop_id).order_by("submission_time", "pk")
    )


# --- Deciding ------------------------------------------------------------------------------------------


def _check_correction(answer: Any) -> dict[str, Any]:
    if not isinstance(answer, dict):
        raise InvalidInput("The corrected answer must be a JSON object ({...}).", field="answer")
    try:
        size = len(json.dumps(answer, separators=(",", ":"), ensure_ascii=False, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"The corrected answer is not plain JSON: {exc}", field="answer") from None
    if size > MAX_CORRECTION:
        raise InvalidInput(
            f"The corrected answer is {size} characters of JSON; the limit is {MAX_CORRECTION}.", field="answer"
        )
    return answer


def _check_note(note: Any) -> str:
    if note is None:
        return ""
    if not isinstance(note, str):
        raise InvalidInput("note must be text.", field="note")
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"note is {len(note)} characters long; the limit is {MAX_NOTE}.", field="note")
    return note.strip()


def review_accept(*, organization: Organization, reviewer: Reviewer, review_id: int, note: Any = None) -> LoopReview:
    """Accept the proposed consolidated answer: the loop is Completed with it."""
    return _decide(organization=organization, reviewer=reviewer, review_id=review_id, answer=None, note=note)


def review_correct(
    *, organization: Organization, reviewer: Reviewer, review_id: int, answer: Any, note: Any = None
) -> LoopReview:
    """Correct the answer: ``answer`` is the corrected answerContent (a JSON object in the shape a
    worker's answer has, at most 3 MiB as JSON text). The loop is Completed with the consolidated
    answer ``{"answerContent": answer, "confidence": 1.0, "method": "review"}``; output.json keeps
    the proposal in ``loupeReview.originalConsolidatedAnswer``."""
    return _decide(
        organization=organization, reviewer=reviewer, review_id=review_id, answer=_check_correction(answer), note=note
    )


def _decide(
    *, organization: Organization, reviewer: Reviewer, review_id: int, answer: dict[str, Any] | None, note: Any
) -> LoopReview:
    note_text = _check_note(note)
    found = review_get(organization=organization, reviewer=reviewer, review_id=review_id)
    with locks.write_transaction():
        locked_loops = locks.lock_loops([found.loop_id])
        review = _locked_review(LoopReview.objects.filter(pk=found.pk))
        if not locked_loops or review is None:
            raise NotFound(f"Review {review_id} does not exist.", field="reviewId")
        loop = locked_loops[0]
        loop.organization = organization
        if review.status != ReviewStatus.PENDING:
            raise Conflict(_decided_message(review))
        if loop.status != HumanLoopStatus.IN_PROGRESS or loop.deleted_at is not None:
            raise Conflict(f"Review {review.pk} can no longer be decided: human loop {loop.name} is {loop.status}.")
        if reviewer.user is not None and Answer.objects.filter(loop_id=loop.pk, worker_id=reviewer.user.pk).exists():
            raise WrongState(
                f"You answered human loop {loop.name} yourself: another reviewer must decide its review.",
                field="reviewId",
            )
        now = timezone.now()
        review.status = ReviewStatus.ACCEPTED if answer is None else ReviewStatus.CORRECTED
        review.final_answer = review.proposed_answer if answer is None else corrected_consolidation(answer)
        review.reviewer = reviewer.user
        review.reviewer_worker_id = reviewer.user.worker_id if reviewer.user is not None else ""
        review.reviewer_access_key_id = reviewer.api_key.access_key_id if reviewer.api_key is not None else ""
        review.note = note_text
        review.decided_at = now
        review.save(
            update_fields=[
                "status",
                "final_answer",
                "reviewer",
                "reviewer_worker_id",
                "reviewer_access_key_id",
                "note",
                "decided_at",
            ]
        )
        flow = loop.flow_definition
        loop.status = HumanLoopStatus.COMPLETED
        loop.completed_at = now
        loop.consolidated_answer = review.final_answer
        loop.output_uri = output_uri_for(
            s3_output_path=flow.output_s3_path, flow_name=flow.name, loop_name=loop.name, created_at=loop.created_at
        )
        loop.save(update_fields=["status", "completed_at", "consolidated_answer", "output_uri"])
        audit_record(
            organization=organization,
            action="AcceptReview" if answer is None else "CorrectReview",
            resource=loop.arn,
            details={"reviewId": review.pk, "reviewer": reviewer.label},
        )
        # The same after-commit path as any completion: output.json, then the webhooks.
        events.loop_status_changed(loop)
        _announce(review, loop, "review.decided")
    review.loop = loop
    return review


def corrected_consolidation(answer: dict[str, Any]) -> dict[str, Any]:
    """The consolidated answer a correction stores: the reviewer's answerContent in the shape a
    consolidation has (what exports and calibration read), certain, and marked as a review's."""
    return {"answerContent": answer, "confidence": 1.0, "method": "review"}


def proposed_answer_content(review: LoopReview) -> dict[str, Any]:
    """The answerContent of the proposal (what a correction starts from); {} when consolidation
    failed on the answers."""
    content = review.proposed_answer.get("answerContent") if isinstance(review.proposed_answer, dict) else None
    return content if isinstance(content, dict) else {}


def _decided_message(review: LoopReview) -> str:
    if review.status == ReviewStatus.WITHDRAWN:
        return f"Review {review.pk} was withdrawn: its human loop was stopped."
    who = review.reviewer.email if review.reviewer is not None else review.reviewer_access_key_id or "someone"
    when = review.decided_at.isoformat() if review.decided_at else ""
    return f"Review {review.pk} was already {review.status} by {who} at {when}."


# --- output.json ------------------------------------------------------------------------------------------


def review_output_record(*, loop: HumanLoop) -> dict[str, Any] | None:
    """``loupeReview`` of output.json: the decision on a reviewed loop (None for a loop of a flow
    without review). ``reviewer`` is ``{"workerId"}`` (the person's public worker id, as in
    ``humanAnswers``) or ``{"apiKeyId"}``; ``originalConsolidatedAnswer`` is there when the answer
    was corrected."""
    review = LoopReview.objects.filter(loop_id=loop.pk).exclude(status=ReviewStatus.PENDING).first()
    if review is None or review.status not in (ReviewStatus.ACCEPTED, ReviewStatus.CORRECTED):
        return None
    assert review.decided_at is not None
    reviewer = (
        {"workerId": review.reviewer_worker_id}
        if review.reviewer_worker_id
        else {"apiKeyId": review.reviewer_access_key_id}
    )
    record: dict[str, Any] = {
        "status": str(review.status),
        "reviewer": reviewer,
        "decidedAt": a2i_time(review.decided_at),
        "note": review.note,
    }
    if review.status == ReviewStatus.CORRECTED:
        record["originalConsolidatedAnswer"] = review.proposed_answer
    return record
