"""Portal pages of the review stage: the reviews waiting for the signed-in person, one review
(accept with one click, or correct the answer as JSON), and the review setting on the engineer
console's flow page.

A person sees the reviews of the flows they may review (``reviews.services``); any other review
is a 404, whichever organization it belongs to. Forms are POST with CSRF; the services' domain
errors (a review someone else decided meanwhile, bad JSON) become page messages.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from flows.errors import LoupeError
from flows.models import FlowDefinition
from reviews.models import LoopReview, ReviewStatus
from reviews.services import (
    Reviewer,
    flow_review_set,
    proposed_answer_content,
    review_accept,
    review_answers,
    review_correct,
    review_get,
    reviews_query,
)
from workforce.models import Organization, User
from workforce.permissions import DASHBOARD_ROLES, ENGINEER_ROLES, memberships_of, organization_for

#: Most reviews one list page shows per organization (oldest first: a queue).
PAGE_ROWS = 200


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False)


@login_required
def review_list(request: HttpRequest) -> HttpResponse:
    """The reviews waiting for the person (``?status=`` shows decided ones), per organization."""
    user = _user(request)
    status = request.GET.get("status") or ReviewStatus.PENDING
    if status not in ReviewStatus.values:
        status = ReviewStatus.PENDING
    flow_name = (request.GET.get("flow") or "").strip()
    reviewer = Reviewer(user=user)
    sections = []
    live_orgs = []
    for membership in memberships_of(user):
        org = membership.organization
        qs = reviews_query(organization=org, reviewer=reviewer, status=status, flow_name=flow_name or None)
        order = "created_at" if status == ReviewStatus.PENDING else "-decided_at"
        rows = list(qs.order_by(order, "pk")[:PAGE_ROWS])
        pending = (
            qs.count()
            if status == ReviewStatus.PENDING
            else reviews_query(organization=org, reviewer=reviewer, status=ReviewStatus.PENDING).count()
        )
        if rows or pending or membership.role in DASHBOARD_ROLES:
            sections.append({"org": org, "reviews": rows, "pending": pending})
        if membership.role in DASHBOARD_ROLES:
            live_orgs.append(org.account_id)
    return render(
        request,
        "reviews/review/list.html",
        {
            "sections": sections,
            "status": status,
            "statuses": ReviewStatus.values,
            "flow": flow_name,
            "live_orgs": live_orgs,
            "total_pending": sum(s["pending"] for s in sections),
        },
    )


def _review_for(user: User, review_id: int) -> tuple[Organization, LoopReview]:
    org_id = LoopReview.objects.filter(pk=review_id).values_list("organization_id", flat=True).first()
    if org_id is None:
        raise Http404("No such review.")
    org = Organization.objects.get(pk=org_id)
    try:
        return org, review_get(organization=org, reviewer=Reviewer(user=user), review_id=review_id)
    except LoupeError:
        raise Http404("No such review.") from None


@login_required
@require_http_methods(["GET", "POST"])
def review_detail(request: HttpRequest, review_id: int) -> HttpResponse:
    user = _user(request)
    org, review = _review_for(user, review_id)
    reviewer = Reviewer(user=user)
    draft = None
    if request.method == "POST":
        action = request.POST.get("action")
        note = request.POST.get("note", "")
        try:
            if action == "accept":
                review_accept(organization=org, reviewer=reviewer, review_id=review.pk, note=note)
                messages.success(request, f"Accepted: human loop {review.loop.name} is Completed.")
                return HttpResponseRedirect(reverse("reviews:review", args=[review.pk]))
            if action == "correct":
                draft = request.POST.get("answer", "")
                try:
                    answer = json.loads(draft)
                except ValueError as exc:
                    raise _BadJson(f"The corrected answer is not valid JSON: {exc}.") from None
                review_correct(organization=org, reviewer=reviewer, review_id=review.pk, answer=answer, note=note)
                messages.success(request, f"Corrected: human loop {review.loop.name} is Completed with your answer.")
                return HttpResponseRedirect(reverse("reviews:review", args=[review.pk]))
            messages.error(request, "Unknown action.")
        except LoupeError as exc:
            messages.error(request, exc.message)
        org, review = _review_for(user, review_id)
    role_sees_email = any(m.organization_id == org.pk and m.role in DASHBOARD_ROLES for m in memberships_of(user))
    answers = [(a, _pretty(a.answer_content)) for a in review_answers(review)]
    try:
        input_pretty = _pretty(json.loads(review.loop.input_content))
    except ValueError:
        input_pretty = review.loop.input_content
    answered_self = any(a.worker_id == user.pk for a, _ in answers)
    return render(
        request,
        "reviews/review/detail.html",
        {
            "org": org,
            "review": review,
            "loop": review.loop,
            "input_pretty": input_pretty,
            "answers": answers,
            "show_email": role_sees_email,
            "proposed": _pretty(review.proposed_answer),
            "final": _pretty(review.final_answer) if review.final_answer is not None else "",
            "draft": draft if draft is not None else _pretty(proposed_answer_content(review)),
            "proposed_content": _pretty(proposed_answer_content(review)),
            "pending": review.status == ReviewStatus.PENDING and review.loop.status == "InProgress",
            "answered_self": answered_self,
        },
    )


class _BadJson(LoupeError):
    pass


@login_required
@require_POST
def flow_review_config(request: HttpRequest, account_id: str, name: str) -> HttpResponse:
    """The engineer console's flow page: turn the review stage on or off, name the reviewer team."""
    org = organization_for(request.user, account_id, ENGINEER_ROLES)
    flow = FlowDefinition.objects.filter(organization=org, name=name, deleted_at__isnull=True).first()
    if flow is None:
        raise Http404("No such flow definition.")
    flow.organization = org
    enabled = request.POST.get("enabled") == "1"
    team = (request.POST.get("reviewer_workteam") or "").strip() or None
    try:
        flow_review_set(organization=org, flow=flow, enabled=enabled, reviewer_workteam=team)
        state = "on" if enabled else "off"
        messages.success(request, f"Review of flow {flow.name} is {state}.")
    except LoupeError as exc:
        messages.error(request, exc.message)
    return HttpResponseRedirect(reverse("reviews:console-flow", args=[org.account_id, flow.name]))
