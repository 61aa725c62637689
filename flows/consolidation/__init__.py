"""Consolidation: pure functions over plain data (no ORM, no I/O) that turn a loop's answers
into one. ``consolidate`` is the entry point; ``reliability`` estimates worker weights."""

from flows.consolidation.common import ConsolidationError, FieldResult, Vote
from flows.consolidation.dispatch import (
    METHODS,
    RELIABILITY_MODELS,
    WorkerAnswer,
    consolidate,
    consolidate_field,
    infer_kind,
    uses_reliability,
    validate_settings,
)

__all__ = [
    "METHODS",
    "RELIABILITY_MODELS",
    "ConsolidationError",
    "FieldResult",
    "Vote",
    "WorkerAnswer",
    "consolidate",
    "consolidate_field",
    "infer_kind",
    "uses_reliability",
    "validate_settings",
]
