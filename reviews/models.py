"""Models of the reviews app."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models

from flows.models import FlowDefinition, HumanLoop
from workforce.models import Organization, Workteam


class PreviewRender(models.Model):
    """A template and input an engineer is previewing (the preview page's frame renders it).

    Kept server-side because a template (up to 128,000 characters) and its input do not fit in a
    frame URL; the frame's signed token names the row. Rows older than a day are deleted when new
    ones are made.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    template = models.TextField()
    #: The input as JSON text (it becomes ``task.input``).
    input_content = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["created_at"], name="preview_render_created")]

    def __str__(self) -> str:
        return f"preview {self.id}"


class FlowReview(models.Model):
    """Loupe extension: a flow definition's review stage (off unless a row says ``enabled``).

    With review on, a loop whose TaskCount-th answer arrives is consolidated as usual but stays
    InProgress with a pending ``LoopReview`` until a reviewer accepts or corrects the consolidated
    answer; only then is it Completed and its output.json written. Reviewers are the
    organization's admins, engineers and team leads, and, when ``reviewer_workteam`` is set, the
    members of that (private) team too.
    """

    flow_definition = models.OneToOneField(
        FlowDefinition, on_delete=models.CASCADE, primary_key=True, related_name="review_config"
    )
    enabled = models.BooleanField(default=False)
    reviewer_workteam = models.ForeignKey(
        Workteam, null=True, blank=True, on_delete=models.SET_NULL, related_name="reviewed_flows"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"review of flow {self.flow_definition_id}: {'on' if self.enabled else 'off'}"


class ReviewStatus(models.TextChoices):
    PENDING = "pending"
    ACCEPTED = "accepted"
    CORRECTED = "corrected"
    #: The loop was stopped while the review was pending.
    WITHDRAWN = "withdrawn"


class LoopReview(models.Model):
    """The review of one loop's consolidated answer (one per loop). Decided once: the row only
    moves from ``pending``, under the loop's row lock (``reviews.services``)."""

    loop = models.OneToOneField(HumanLoop, on_delete=models.CASCADE, related_name="review")
    #: Denormalised from the loop, for the listings.
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    flow_definition = models.ForeignKey(FlowDefinition, on_delete=models.CASCADE, related_name="loop_reviews")
    status = models.CharField(max_length=12, choices=ReviewStatus.choices, default=ReviewStatus.PENDING)
    #: The consolidated answer computed from the workers' answers when the last one arrived.
    proposed_answer = models.JSONField()
    #: The answer that became the loop's consolidated answer (accepted or corrected).
    final_answer = models.JSONField(null=True, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    #: Snapshots of who decided, as output.json records them: the person's public worker id, or
    #: the access key id of the API key that decided.
    reviewer_worker_id = models.CharField(max_length=16, blank=True)
    reviewer_access_key_id = models.CharField(max_length=20, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["organization", "status", "created_at"], name="review_org_status_created"),
            models.Index(fields=["flow_definition", "status", "created_at"], name="review_flow_status_created"),
        ]

    def __str__(self) -> str:
        return f"review {self.pk} of loop {self.loop_id} ({self.status})"
