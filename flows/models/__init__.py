from flows.models.definitions import (
    FlowDefinition,
    FlowDefinitionStatus,
    HumanTaskUi,
    HumanTaskUiStatus,
    Tag,
)
from flows.models.loops import TERMINAL_STATUSES, HumanLoop, HumanLoopStatus
from flows.models.tasks import Answer, Assignment, AssignmentStatus, Task, TaskStatus

__all__ = [
    "TERMINAL_STATUSES",
    "Answer",
    "Assignment",
    "AssignmentStatus",
    "FlowDefinition",
    "FlowDefinitionStatus",
    "HumanLoop",
    "HumanLoopStatus",
    "HumanTaskUi",
    "HumanTaskUiStatus",
    "Tag",
    "Task",
    "TaskStatus",
]
