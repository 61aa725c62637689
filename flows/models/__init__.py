from flows.models.definitions import (
    FlowDefinition,
    FlowDefinitionStatus,
    HumanTaskUi,
    HumanTaskUiStatus,
    Tag,
)
from flows.models.loops import TERMINAL_STATUSES, HumanLoop, HumanLoopStatus
from flows.models.outputs import BucketMapping, OutputWrite
from flows.models.quality import WorkerQuality, WorkerReliability
from flows.models.tasks import Answer, Assignment, AssignmentStatus, Task, TaskStatus
from flows.models.webhooks import DeliveryStatus, Webhook, WebhookDelivery

__all__ = [
    "TERMINAL_STATUSES",
    "Answer",
    "Assignment",
    "AssignmentStatus",
    "BucketMapping",
    "DeliveryStatus",
    "FlowDefinition",
    "FlowDefinitionStatus",
    "HumanLoop",
    "HumanLoopStatus",
    "HumanTaskUi",
    "HumanTaskUiStatus",
    "OutputWrite",
    "Tag",
    "Task",
    "TaskStatus",
    "Webhook",
    "WebhookDelivery",
    "WorkerQuality",
    "WorkerReliability",
]
