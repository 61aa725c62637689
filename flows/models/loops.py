"""Human loops: one request for human review of one input."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import Q

from flows import arns
from flows.models.definitions import FlowDefinition
from workforce.models import Organization


class HumanLoopStatus(models.TextChoices):
    IN_PROGRESS = "InProgress"
    STOPPING = "Stopping"
    COMPLETED = "Completed"
    FAILED = "Failed"
    STOPPED = "Stopped"


TERMINAL_STATUSES = frozenset({HumanLoopStatus.COMPLETED, HumanLoopStatus.FAILED, HumanLoopStatus.STOPPED})


class HumanLoop(models.Model):
    """A loop: TaskCount tasks over one input. Names are unique per organization among loops
    not deleted (DeleteHumanLoop is soft: the row stays for its tasks, answers and output)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="human_loops")
    flow_definition = models.ForeignKey(FlowDefinition, on_delete=models.PROTECT, related_name="human_loops")
    name = models.CharField(max_length=63)
    #: InputContent exactly as sent (JSON text of an object, up to 3 MiB).
    input_content = models.TextField()
    #: sha256 of input_content, to tell a retried StartHumanLoop from a conflicting one cheaply.
    input_sha256 = models.CharField(max_length=64)
    content_classifiers = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=HumanLoopStatus.choices, default=HumanLoopStatus.IN_PROGRESS)
    failure_reason = models.CharField(max_length=1024, blank=True)
    failure_code = models.CharField(max_length=32, blank=True)
    #: The output.json URI, set when the loop completes (A2I's HumanLoopOutput.OutputS3Uri).
    output_uri = models.CharField(max_length=2048, blank=True)
    #: True once output.json has landed at output_uri.
    output_written = models.BooleanField(default=False)
    #: Loupe extension: the consolidated answer (plain JSON), set at completion.
    consolidated_answer = models.JSONField(null=True, blank=True)
    #: Snapshot of the flow's TaskCount at start.
    task_count = models.PositiveSmallIntegerField()
    #: When the tasks stop being available (TaskAvailabilityLifetimeInSeconds), or None.
    expires_at = models.DateTimeField(null=True, blank=True)
    #: Built-in request sources and any-model activation: the evaluation record (Loupe keeps it
    #: for output.json's inputContent.humanTaskActivationConditionResults).
    activation_results = models.JSONField(null=True, blank=True)
    #: Gold item (``flows.services.gold``): a loop with a known answer mixed into the flow's work
    #: to score workers. Its name is reserved (``gold.<hex>``, never a valid A2I loop name); it
    #: is left out of A2I's and REST's loop reads, exports and usage, and writes no output.json.
    is_gold = models.BooleanField(default=False)
    #: The gold item's known answer (an answerContent object).
    gold_answer = models.JSONField(null=True, blank=True)
    #: The loop name workers see for a gold item (looks like a customer loop's name).
    gold_alias = models.CharField(max_length=63, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organization", "name"], condition=Q(deleted_at__isnull=True), name="unique_live_loop_name"
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["flow_definition", "created_at"], name="loop_flow_created"),
            models.Index(fields=["status", "expires_at"], name="loop_status_expires"),
            # Output writes not landed yet (housekeeping resumes them): a handful of rows.
            models.Index(
                fields=["completed_at"],
                condition=Q(status="Completed", output_written=False, is_gold=False),
                name="loop_output_pending",
            ),
            models.Index(fields=["flow_definition", "id"], condition=Q(is_gold=True), name="loop_gold_by_flow"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def arn(self) -> str:
        return arns.human_loop_arn(self.organization.region, self.organization.account_id, self.name)

    @property
    def worker_name(self) -> str:
        """The loop name shown to workers: a gold item's alias, so nothing tells it apart."""
        return self.gold_alias if self.is_gold and self.gold_alias else self.name

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES
