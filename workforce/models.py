"""Organizations, people and who may work on what.

Invariants held by the database: one membership per (organization, user); one private workforce
per organization; work team names unique per organization; a worker once per team.
"""

from __future__ import annotations

import secrets
import string
import uuid
from typing import Any, ClassVar

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q

from flows import arns

_ALNUM_LOWER = string.ascii_lowercase + string.digits


def new_worker_id() -> str:
    """A stable, opaque worker id: 16 lowercase alphanumerics, as A2I's output.json shows."""
    return "".join(secrets.choice(_ALNUM_LOWER) for _ in range(16))


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person: engineer, team lead, admin or worker. Signs in with an e-mail address."""

    username = None  # type: ignore[assignment]
    email = models.EmailField("e-mail address", unique=True)
    worker_id = models.CharField(max_length=16, unique=True, default=new_worker_id, editable=False)
    sub = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    public_pool_opt_in = models.BooleanField(default=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = UserManager()  # type: ignore[assignment,misc]

    def __str__(self) -> str:
        return self.email


class Organization(models.Model):
    """A customer (or a vendor, or the public pool's owner). Carries the 12-digit account id."""

    name = models.CharField(max_length=100, unique=True)
    account_id = models.CharField(max_length=12, unique=True)
    region = models.CharField(max_length=32)
    mfa_required = models.BooleanField(default=False)
    #: True for the single system organization that owns the public pool.
    is_public_pool = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["is_public_pool"], condition=Q(is_public_pool=True), name="one_public_pool_org"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    ENGINEER = "engineer", "Engineer"
    TEAM_LEAD = "team_lead", "Team lead"
    WORKER = "worker", "Worker"


class Membership(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organization", "user"], name="one_membership_per_org_user"),
        ]

    def __str__(self) -> str:
        return f"membership {self.pk}"


class ApiKey(models.Model):
    """An access key pair for SigV4 and the REST API.

    The secret is kept as issued because SigV4 verification needs it as an HMAC key (AWS keeps it
    the same way); it is shown once at creation and never logged.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, blank=True)
    access_key_id = models.CharField(max_length=20, unique=True)
    secret_access_key = models.CharField(max_length=40)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.access_key_id

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class WorkforceKind(models.TextChoices):
    PRIVATE = "private", "Private"
    PUBLIC = "public", "Public"


class Workforce(models.Model):
    """The pool a team's workers come from. One private workforce per organization (A2I: one per
    account and Region); the public pool's is owned by the public-pool organization."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="workforces")
    kind = models.CharField(max_length=8, choices=WorkforceKind.choices, default=WorkforceKind.PRIVATE)
    name = models.CharField(max_length=63)
    status = models.CharField(max_length=16, default="Active")
    cognito_config = models.JSONField(null=True, blank=True)
    #: The OIDC configuration as given (ClientSecret included, never returned by the API).
    oidc_config = models.JSONField(null=True, blank=True)
    source_ip_config = models.JSONField(null=True, blank=True)
    vpc_config = models.JSONField(null=True, blank=True)
    ip_address_type = models.CharField(max_length=16, blank=True, default="ipv4")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organization"], name="one_workforce_per_org"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def arn(self) -> str:
        return arns.workforce_arn(self.organization.region, self.organization.account_id, self.name)


class Crowd(models.TextChoices):
    PRIVATE = "private", "Private"
    VENDOR = "vendor", "Vendor"
    PUBLIC = "public", "Public"


class Workteam(models.Model):
    """A team of workers. Private teams belong to the organization's workforce; a vendor team is a
    private team of a vendor organization offered to subscribers; the public team is the pool."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="workteams")
    workforce = models.ForeignKey(Workforce, on_delete=models.PROTECT, related_name="workteams")
    name = models.CharField(max_length=63)
    crowd = models.CharField(max_length=8, choices=Crowd.choices, default=Crowd.PRIVATE)
    description = models.CharField(max_length=200)
    member_definitions = models.JSONField(default=list)
    notification_configuration = models.JSONField(null=True, blank=True)
    worker_access_configuration = models.JSONField(null=True, blank=True)
    #: Vendor offering (crowd=vendor): what subscribers see.
    marketplace_title = models.CharField(max_length=200, blank=True)
    marketplace_description = models.CharField(max_length=200, blank=True)
    listing_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    members = models.ManyToManyField(User, through="TeamMembership", related_name="workteams")

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organization", "name"], name="unique_workteam_name_per_org"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def arn(self) -> str:
        return arns.workteam_arn(self.organization.region, self.organization.account_id, self.crowd, self.name)


class TeamMembership(models.Model):
    workteam = models.ForeignKey(Workteam, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="team_memberships")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["workteam", "user"], name="one_membership_per_team_user"),
        ]

    def __str__(self) -> str:
        return f"team membership {self.pk}"


class VendorSubscription(models.Model):
    """A customer organization subscribed to a vendor's team (ListSubscribedWorkteams)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="subscriptions")
    workteam = models.ForeignKey(Workteam, on_delete=models.CASCADE, related_name="subscriptions")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organization", "workteam"], name="one_subscription_per_org_team"),
        ]

    def __str__(self) -> str:
        return f"vendor subscription {self.pk}"


class Invitation(models.Model):
    """An e-mailed invitation to join a work team. Single use, expiring, revocable.

    Only the SHA-256 of the token is stored: the token itself exists in the e-mail alone. An
    invitation is usable while ``accepted_at`` and ``revoked_at`` are empty and ``expires_at`` is
    in the future (``workforce.services_invitations``).
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    workteam = models.ForeignKey(Workteam, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["organization", "created_at"], name="invitation_org_created")]

    def __str__(self) -> str:
        return f"{self.email} -> {self.workteam_id}"

    @property
    def state(self) -> str:
        from django.utils import timezone

        if self.accepted_at is not None:
            return "accepted"
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"


class Earning(models.Model):
    """One accepted public-pool answer in a worker's earnings ledger (one row per answer).

    ``amount_mills`` is the flow's PublicWorkforceTaskPrice in thousandths of a US dollar
    (Dollars * 1000 + Cents * 10 + TenthFractionsOfACent).
    """

    worker = models.ForeignKey(User, on_delete=models.PROTECT, related_name="earnings")
    answer = models.OneToOneField("flows.Answer", on_delete=models.PROTECT, related_name="earning")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    flow_definition = models.ForeignKey("flows.FlowDefinition", on_delete=models.PROTECT, related_name="+")
    amount_mills = models.PositiveIntegerField()
    earned_at = models.DateTimeField()

    class Meta:
        indexes: ClassVar = [models.Index(fields=["worker", "earned_at"], name="earning_worker_time")]

    def __str__(self) -> str:
        return f"{self.worker_id}: {self.amount_mills}"
