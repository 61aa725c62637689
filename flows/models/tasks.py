"""Tasks (the TaskCount replicas of a loop), who touched them, and the answers.

Invariants held by the database:
* one task per (loop, replica index);
* a worker is assigned at most once per loop (``Assignment`` unique on (worker, loop)), so no
  worker answers one loop twice, even after releasing a task;
* one answer per task and per (loop, worker).
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q

from flows.models.definitions import FlowDefinition
from flows.models.loops import HumanLoop


class TaskStatus(models.TextChoices):
    OPEN = "open"
    LEASED = "leased"
    SUBMITTED = "submitted"
    #: Withdrawn: the loop stopped, expired or was deleted before anyone answered this replica.
    CLOSED = "closed"


class Task(models.Model):
    loop = models.ForeignKey(HumanLoop, on_delete=models.CASCADE, related_name="tasks")
    #: Denormalised from the loop so that the claim query reads one table.
    flow_definition = models.ForeignKey(FlowDefinition, on_delete=models.CASCADE, related_name="tasks")
    index = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=12, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="held_tasks"
    )
    leased_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["loop", "index"], name="one_task_per_replica"),
            models.CheckConstraint(
                condition=Q(status="leased", worker__isnull=False, lease_expires_at__isnull=False)
                | ~Q(status="leased"),
                name="leased_task_has_holder",
            ),
        ]
        indexes: ClassVar = [
            # The claim: oldest open task of the worker's flows.
            models.Index(fields=["flow_definition", "id"], condition=Q(status="open"), name="task_open_by_flow"),
            # The claim over several flows: open tasks in id order, however many were done before.
            models.Index(fields=["id"], condition=Q(status="open"), name="task_open_by_id"),
            # The lease reaper.
            models.Index(fields=["lease_expires_at"], condition=Q(status="leased"), name="task_leased_expiry"),
        ]

    def __str__(self) -> str:
        return f"task {self.loop_id}/{self.index}"


class AssignmentStatus(models.TextChoices):
    ACTIVE = "active"
    SUBMITTED = "submitted"
    RELEASED = "released"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class Assignment(models.Model):
    """One worker's hold on one task of a loop. Unique per (worker, loop): the index starts with
    the worker so that the claim's "not touched this loop" test is a cheap index probe."""

    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments")
    loop = models.ForeignKey(HumanLoop, on_delete=models.CASCADE, related_name="assignments")
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="assignments")
    status = models.CharField(max_length=12, choices=AssignmentStatus.choices, default=AssignmentStatus.ACTIVE)
    accepted_at = models.DateTimeField()
    lease_expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["worker", "loop"], name="worker_once_per_loop"),
        ]

    def __str__(self) -> str:
        return f"assignment of loop {self.loop_id} to worker {self.worker_id}"


class Answer(models.Model):
    loop = models.ForeignKey(HumanLoop, on_delete=models.CASCADE, related_name="answers")
    task = models.OneToOneField(Task, on_delete=models.CASCADE, related_name="answer")
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="answers")
    answer_content = models.JSONField()
    acceptance_time = models.DateTimeField()
    submission_time = models.DateTimeField()
    time_spent_seconds = models.FloatField()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["loop", "worker"], name="one_answer_per_loop_worker"),
        ]
        indexes: ClassVar = [models.Index(fields=["loop", "submission_time"], name="answer_loop_time")]

    def __str__(self) -> str:
        return f"answer to loop {self.loop_id} by worker {self.worker_id}"
