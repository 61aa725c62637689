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


class WorkerQuality(models.Model):
    """One worker's measured quality on one flow, with the counts behind it (replaced as a whole
    by each run of ``flows.services.gold.flow_quality_compute``):

    * accuracy: the share of the worker's answers to the flow's gold items that match the known
      answer (``gold_correct`` of ``gold_answers``);
    * agreement: the share of the worker's answers to the flow's completed customer loops that
      agree with the loop's consolidated answer (``agreed`` of ``compared``).
    """

    flow_definition = models.ForeignKey(FlowDefinition, on_delete=models.CASCADE, related_name="worker_quality")
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quality")
    gold_answers = models.PositiveIntegerField(default=0)
    gold_correct = models.PositiveIntegerField(default=0)
    compared = models.PositiveIntegerField(default=0)
    agreed = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["flow_definition", "worker"], name="one_quality_per_flow_worker"),
        ]

    def __str__(self) -> str:
        return f"worker quality {self.pk}"

    @property
    def accuracy(self) -> float | None:
        return self.gold_correct / self.gold_answers if self.gold_answers else None

    @property
    def agreement(self) -> float | None:
        return self.agreed / self.compared if self.compared else None
