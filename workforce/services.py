"""Writes for organizations, keys and people. Each function owns its transaction."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import IntegrityError, transaction

from flows.arns import PUBLIC_CROWD_ACCOUNT
from workforce.models import (
    ApiKey,
    Crowd,
    Membership,
    Organization,
    Role,
    TeamMembership,
    User,
    Workforce,
    WorkforceKind,
    Workteam,
)

DEFAULT_WORKFORCE_NAME = "default"
DEFAULT_WORKTEAM_NAME = "default"
PUBLIC_POOL_ORG_NAME = "Loupe public pool"

_KEY_ALPHABET = string.ascii_uppercase + string.digits
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"


class OrganizationExists(Exception):
    pass


@dataclass(frozen=True)
class CreatedOrganization:
    organization: Organization
    admin: User
    api_key: ApiKey
    workteam: Workteam


def _new_account_id() -> str:
    while True:
        candidate = str(secrets.randbelow(9 * 10**11) + 10**11)
        if candidate != PUBLIC_CROWD_ACCOUNT and not Organization.objects.filter(account_id=candidate).exists():
            return candidate


def api_key_create(*, organization: Organization, name: str = "", created_by: User | None = None) -> ApiKey:
    """Issue a new access key pair. The secret is returned once, in the object."""
    return ApiKey.objects.create(
        organization=organization,
        name=name,
        access_key_id="LK" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(18)),
        secret_access_key="".join(secrets.choice(_SECRET_ALPHABET) for _ in range(40)),
        created_by=created_by,
    )


def user_get_or_create_verified(*, email: str, password: str | None) -> tuple[User, bool]:
    """Return the user for ``email`` (created if new, with a verified primary address).

    An existing user's password is left alone unless they have none usable yet.
    """
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    created = user is None
    if user is None:
        user = User.objects.create_user(email=email, password=password)
    elif password and not user.has_usable_password():
        user.set_password(password)
        user.save(update_fields=["password"])
    EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user, created


@transaction.atomic
def organization_create(*, name: str, admin_email: str, admin_password: str | None = None) -> CreatedOrganization:
    """Create an organization with its private workforce, a default private work team, an admin
    and a first API key."""
    name = name.strip()
    if not name:
        raise ValueError("The organization name must not be empty.")
    if Organization.objects.filter(name=name).exists():
        raise OrganizationExists(f"An organization named {name!r} already exists.")
    try:
        with transaction.atomic():
            org = Organization.objects.create(name=name, account_id=_new_account_id(), region=settings.LOUPE_REGION)
    except IntegrityError as exc:
        raise OrganizationExists(f"An organization named {name!r} already exists.") from exc
    workforce = Workforce.objects.create(organization=org, name=DEFAULT_WORKFORCE_NAME, kind=WorkforceKind.PRIVATE)
    team = Workteam.objects.create(
        organization=org,
        workforce=workforce,
        name=DEFAULT_WORKTEAM_NAME,
        crowd=Crowd.PRIVATE,
        description=f"The private team of {name}",
    )
    admin, _ = user_get_or_create_verified(email=admin_email, password=admin_password)
    Membership.objects.create(organization=org, user=admin, role=Role.ADMIN)
    key = api_key_create(organization=org, name="initial", created_by=admin)
    return CreatedOrganization(organization=org, admin=admin, api_key=key, workteam=team)


@transaction.atomic
def public_pool_get_or_create() -> Workteam:
    """The public pool's team (ARN ``...:394669845002:workteam/public-crowd/default``)."""
    org, _ = Organization.objects.get_or_create(
        is_public_pool=True,
        defaults={"name": PUBLIC_POOL_ORG_NAME, "account_id": PUBLIC_CROWD_ACCOUNT, "region": settings.LOUPE_REGION},
    )
    workforce, _ = Workforce.objects.get_or_create(
        organization=org, defaults={"name": DEFAULT_WORKFORCE_NAME, "kind": WorkforceKind.PUBLIC}
    )
    team, _ = Workteam.objects.get_or_create(
        organization=org,
        name="default",
        defaults={"workforce": workforce, "crowd": Crowd.PUBLIC, "description": "The public pool"},
    )
    return team


@transaction.atomic
def worker_add(
    *, organization: Organization, email: str, password: str, workteam: Workteam | None = None
) -> tuple[User, Workteam]:
    """Add a verified worker to one of the organization's teams (its default team if none)."""
    team = workteam or Workteam.objects.get(organization=organization, name=DEFAULT_WORKTEAM_NAME)
    if team.organization_id != organization.pk:
        raise ValueError("That team belongs to another organization.")
    user, _ = user_get_or_create_verified(email=email, password=password)
    Membership.objects.get_or_create(organization=organization, user=user, defaults={"role": Role.WORKER})
    TeamMembership.objects.get_or_create(workteam=team, user=user)
    return user, team
