"""What an engineer defines: task UIs, flow definitions, and tags on either.

Deletion is soft (``deleted_at``) so that loops already started keep their template and flow, as
A2I promises; names are unique among the rows not deleted, so a name can be reused afterwards.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import Q

from flows import arns
from workforce.models import Organization, Workteam


class HumanTaskUiStatus(models.TextChoices):
    ACTIVE = "Active"
    DELETING = "Deleting"


class HumanTaskUi(models.Model):
    """A worker task template (Liquid + HTML + crowd elements). Immutable once created."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="task_uis")
    name = models.CharField(max_length=63)
    template = models.TextField()
    content_sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=HumanTaskUiStatus.choices, default=HumanTaskUiStatus.ACTIVE)
    #: The pre-built UI this template came from, if any ("" for a pasted template).
    prebuilt = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organization", "name"], condition=Q(deleted_at__isnull=True), name="unique_live_task_ui_name"
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["organization", "created_at"], name="task_ui_org_created")]

    def __str__(self) -> str:
        return self.name

    @property
    def arn(self) -> str:
        return arns.human_task_ui_arn(self.organization.region, self.organization.account_id, self.name)


class FlowDefinitionStatus(models.TextChoices):
    INITIALIZING = "Initializing"
    ACTIVE = "Active"
    FAILED = "Failed"
    DELETING = "Deleting"


class FlowDefinition(models.Model):
    """A human review workflow: which UI, which team, how many workers, where results go."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="flow_definitions")
    name = models.CharField(max_length=63)
    status = models.CharField(max_length=16, choices=FlowDefinitionStatus.choices, default=FlowDefinitionStatus.ACTIVE)
    failure_reason = models.CharField(max_length=1024, blank=True)
    human_task_ui = models.ForeignKey(HumanTaskUi, on_delete=models.PROTECT, related_name="flow_definitions")
    workteam = models.ForeignKey(Workteam, on_delete=models.PROTECT, related_name="flow_definitions")
    #: The WorkteamArn as the caller gave it (vendor and public teams live in other accounts).
    workteam_arn = models.CharField(max_length=256)
    task_title = models.CharField(max_length=128)
    task_description = models.CharField(max_length=255)
    task_count = models.PositiveSmallIntegerField()
    task_availability_lifetime_seconds = models.PositiveIntegerField(null=True, blank=True)
    task_time_limit_seconds = models.PositiveIntegerField(default=3600)
    task_keywords = models.JSONField(null=True, blank=True)
    #: PublicWorkforceTaskPrice.AmountInUsd as given ({"Dollars","Cents","TenthFractionsOfACent"}).
    public_price = models.JSONField(null=True, blank=True)
    #: Loupe extension: at most this many tasks of the flow leased at once (None: no limit).
    max_concurrent_task_count = models.PositiveIntegerField(null=True, blank=True)
    output_s3_path = models.CharField(max_length=1024)
    kms_key_id = models.CharField(max_length=2048, blank=True)
    role_arn = models.CharField(max_length=2048)
    request_source = models.CharField(max_length=64, blank=True)
    #: HumanLoopActivationConditions exactly as the caller sent it (a JSON string), or None.
    # None (not given) and "" (given, empty) differ: DescribeFlowDefinition returns what was sent.
    activation_conditions = models.TextField(null=True, blank=True)  # noqa: DJ001
    #: Loupe extension: how answers are consolidated ({"method": ...}).
    consolidation = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organization", "name"], condition=Q(deleted_at__isnull=True), name="unique_live_flow_name"
            ),
            models.CheckConstraint(condition=Q(task_count__gte=1, task_count__lte=3), name="flow_task_count_1_3"),
        ]
        indexes: ClassVar = [models.Index(fields=["organization", "created_at"], name="flow_org_created")]

    def __str__(self) -> str:
        return self.name

    @property
    def arn(self) -> str:
        return arns.flow_definition_arn(self.organization.region, self.organization.account_id, self.name)


class Tag(models.Model):
    """A tag on a SageMaker resource, keyed by the resource's ARN (AddTags / ListTags / DeleteTags)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="tags")
    resource_arn = models.CharField(max_length=256)
    key = models.CharField(max_length=128)
    value = models.CharField(max_length=256, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["resource_arn", "key"], name="unique_tag_key_per_resource"),
        ]
        ordering: ClassVar = ["id"]

    def __str__(self) -> str:
        return f"{self.key}={self.value}"
