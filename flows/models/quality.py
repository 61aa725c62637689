"""Worker quality per flow: reliability estimated from the flow's answers (crowd-kit), used as
the worker's weight when the flow consolidates by reliability."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models

from flows.models.definitions import FlowDefinition


class WorkerReliability(models.Model):
    """One worker's estimated reliability on one flow. Replaced as a whole by each estimate
    (``flows.services.results.flow_reliability_estimate``)."""

    flow_definition = models.ForeignKey(FlowDefinition, on_delete=models.CASCADE, related_name="worker_reliability")
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reliability")
    #: Estimated probability that the worker's answer to a discrete question is right.
    accuracy = models.FloatField()
    #: Weight in a weighted vote (log-odds; 0 for a worker no better than chance).
    weight = models.FloatField()
    #: The crowd-kit model that estimated it (``flows.consolidation.RELIABILITY_MODELS``).
    method = models.CharField(max_length=32)
    #: Discrete observations the estimate rests on.
    answers = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["flow_definition", "worker"], name="one_reliability_per_flow_worker"),
        ]

    def __str__(self) -> str:
        return f"worker reliability {self.pk}"
