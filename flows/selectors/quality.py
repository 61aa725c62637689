"""Reads of worker quality (``WorkerQuality``, computed by ``flows.services.gold``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flows.models import FlowDefinition, WorkerQuality
from workforce.models import Organization


@dataclass(frozen=True)
class WorkerQualityRow:
    flow_name: str
    worker_id: str
    email: str
    gold_answers: int
    gold_correct: int
    compared: int
    agreed: int
    updated_at: datetime

    @property
    def accuracy(self) -> float | None:
        return self.gold_correct / self.gold_answers if self.gold_answers else None

    @property
    def agreement(self) -> float | None:
        return self.agreed / self.compared if self.compared else None


def _rows(qs: object) -> list[WorkerQualityRow]:
    return [
        WorkerQualityRow(
            flow_name=q.flow_definition.name,
            worker_id=q.worker.worker_id,
            email=q.worker.email,
            gold_answers=q.gold_answers,
            gold_correct=q.gold_correct,
            compared=q.compared,
            agreed=q.agreed,
            updated_at=q.updated_at,
        )
        for q in qs  # type: ignore[attr-defined]
    ]


def worker_quality_for_flow(flow: FlowDefinition) -> list[WorkerQualityRow]:
    """The flow's workers with their counts, by public worker id."""
    qs = (
        WorkerQuality.objects.filter(flow_definition=flow)
        .select_related("worker", "flow_definition")
        .order_by("worker__worker_id")
    )
    return _rows(qs)


def worker_quality_by_flow(organization: Organization) -> dict[str, list[WorkerQualityRow]]:
    """Every live flow of the organization that has scores, by flow name (sorted)."""
    qs = (
        WorkerQuality.objects.filter(
            flow_definition__organization=organization, flow_definition__deleted_at__isnull=True
        )
        .select_related("worker", "flow_definition")
        .order_by("flow_definition__name", "worker__worker_id")
    )
    out: dict[str, list[WorkerQualityRow]] = {}
    for row in _rows(qs):
        out.setdefault(row.flow_name, []).append(row)
    return out
