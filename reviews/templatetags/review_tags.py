"""Template tags of the review stage: the review panel of the engineer console's flow page."""

from __future__ import annotations

from typing import Any

from django import template

from flows.models import FlowDefinition, HumanLoop
from reviews.models import LoopReview, ReviewStatus
from reviews.services import flow_review_of
from workforce.models import Crowd, Workteam

register = template.Library()


@register.inclusion_tag("reviews/review/_flow_config.html", takes_context=True)
def flow_review_panel(context: dict[str, Any], flow: FlowDefinition) -> dict[str, Any]:
    config = flow_review_of(flow)
    return {
        "csrf_token": context.get("csrf_token"),
        "org": context.get("org"),
        "flow": flow,
        "enabled": bool(config and config.enabled),
        "reviewer_team": config.reviewer_workteam.name if config and config.reviewer_workteam else "",
        "teams": list(
            Workteam.objects.filter(organization_id=flow.organization_id, crowd=Crowd.PRIVATE).order_by("name")
        ),
        "pending": LoopReview.objects.filter(flow_definition=flow, status=ReviewStatus.PENDING).count(),
    }


@register.inclusion_tag("reviews/review/_loop_review.html")
def loop_review_panel(loop: HumanLoop) -> dict[str, Any]:
    """The engineer console's loop page: the loop's review, when its flow has a review stage."""
    return {"review": LoopReview.objects.filter(loop=loop).select_related("reviewer").first()}
