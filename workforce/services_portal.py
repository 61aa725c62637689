"""Writes behind the portal's people pages: teams, members and roles, API keys, the MFA rule,
vendor offerings and subscriptions, the public pool opt-in, and the earnings ledger.

Each function owns its transaction, raises ``flows.errors`` errors (messages safe to show) and
announces changes to the organization's dashboards on commit (``flows.events.org_group``,
event ``people.changed``). Callers check the acting user's role (``workforce.permissions``).
"""

from __future__ import annotations

import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from flows import events, validation
from flows.errors import Conflict, InvalidInput, NotFound, WrongState
from flows.services.workteams import workteam_create
from workforce.models import (
    ApiKey,
    Crowd,
    Earning,
    Membership,
    Organization,
    Role,
    TeamMembership,
    User,
    VendorSubscription,
    Workforce,
    Workteam,
)
from workforce.services import api_key_create


def _announce(organization_id: int, what: str, **data: Any) -> None:
    events.publish_on_commit(
        events.org_group(organization_id), events.event_message("people.changed", {"what": what, **data})
    )


# --- Teams ---------------------------------------------------------------------------------------


def team_create(*, organization: Organization, name: str, description: str) -> Workteam:
    """A private work team in the organization's workforce (CreateWorkteam's rules: name pattern,
    at most 25 teams). Its OIDC member group is the team name, so that people signing in through
    the workforce's identity provider with that group land in it."""
    name = (name or "").strip()
    description = (description or "").strip() or f"Team {name}"
    team = workteam_create(
        organization=organization,
        name=name,
        description=description,
        member_definitions=[{"OidcMemberDefinition": {"Groups": [name[:63] or "team"]}}],
    )
    _announce(organization.pk, "team", workteam_id=team.pk)
    return team


def team_member_remove(*, workteam: Workteam, user_id: int) -> None:
    """Take a worker off a team (the work they hold stays theirs until submitted or expired)."""
    with transaction.atomic():
        deleted, _ = TeamMembership.objects.filter(workteam=workteam, user_id=user_id).delete()
        if not deleted:
            raise NotFound("That person is not a member of this team.")
        _announce(workteam.organization_id, "team_member", workteam_id=workteam.pk)


# --- Members and roles ---------------------------------------------------------------------------


def member_role_set(*, organization: Organization, user_id: int, role: str, acting_user: User) -> Membership:
    """Change a member's role. The organization keeps at least one admin: an admin cannot demote
    the last admin (``WrongState``)."""
    if role not in Role.values:
        raise InvalidInput(f"{role!r} is not a role; use one of {', '.join(Role.values)}.", field="role")
    with transaction.atomic():
        membership = Membership.objects.filter(organization=organization, user_id=user_id).first()
        if membership is None:
            raise NotFound("That person is not a member of this organization.")
        if membership.role == Role.ADMIN and role != Role.ADMIN:
            admins = Membership.objects.filter(organization=organization, role=Role.ADMIN).count()
            if admins <= 1:
                raise WrongState("The organization needs at least one admin: make someone else admin first.")
        membership.role = role
        membership.save(update_fields=["role"])
        _announce(organization.pk, "role", user_id=user_id)
    return membership


def member_add(*, organization: Organization, email: str, role: str) -> Membership:
    """Give an existing account a role in the organization (new people come by invitation)."""
    if role not in Role.values:
        raise InvalidInput(f"{role!r} is not a role; use one of {', '.join(Role.values)}.", field="role")
    user = User.objects.filter(email__iexact=(email or "").strip()).first()
    if user is None:
        raise NotFound(f"There is no account for {email}: invite them to a team instead.", field="email")
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(
            organization=organization, user=user, defaults={"role": role}
        )
        if not created:
            raise Conflict(f"{user.email} is already a member ({membership.get_role_display()}).", field="email")
        _announce(organization.pk, "member", user_id=user.pk)
    return membership


# --- API keys and the MFA rule ---------------------------------------------------------------------


def api_key_issue(*, organization: Organization, name: str, created_by: User) -> ApiKey:
    """A new API key; its secret is in the returned object only (show it once)."""
    name = (name or "").strip()
    if len(name) > 100:
        raise InvalidInput("A key name has at most 100 characters.", field="name")
    with transaction.atomic():
        key = api_key_create(organization=organization, name=name, created_by=created_by)
        _announce(organization.pk, "api_key")
    return key


def api_key_revoke(*, organization: Organization, key_id: int) -> ApiKey:
    """Revoke a key of the organization at once (requests signed with it fail from now on)."""
    with transaction.atomic():
        key = ApiKey.objects.filter(organization=organization, pk=key_id).first()
        if key is None:
            raise NotFound("There is no such API key.")
        if key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at"])
            _announce(organization.pk, "api_key")
    return key


def organization_mfa_set(*, organization: Organization, required: bool) -> Organization:
    """Require (or stop requiring) TOTP for every member; members without it are sent to set it up
    before anything else (``workforce.middleware.MfaRequiredMiddleware``)."""
    with transaction.atomic():
        Organization.objects.filter(pk=organization.pk).update(mfa_required=bool(required))
        organization.mfa_required = bool(required)
        _announce(organization.pk, "mfa")
    return organization


# --- Vendors -------------------------------------------------------------------------------------


def vendor_team_offer(
    *, organization: Organization, name: str, marketplace_title: str, marketplace_description: str
) -> Workteam:
    """The vendor ``organization`` offers a new team (crowd ``vendor``) to subscribers. Its members
    join by invitation like any team's."""
    name = (name or "").strip()
    title = (marketplace_title or "").strip()
    if not title:
        raise InvalidInput("A vendor offering needs a marketplace title.", field="marketplace_title")
    if len(title) > 200 or len(marketplace_description or "") > 200:
        raise InvalidInput("The title and description have at most 200 characters each.", field="marketplace_title")
    with transaction.atomic():
        workforce = Workforce.objects.filter(organization=organization).first()
        if workforce is None:
            raise WrongState("The organization has no private workforce.")
        team = Workteam(
            organization=organization,
            workforce=workforce,
            name=name,
            crowd=Crowd.VENDOR,
            description=title,
            marketplace_title=title,
            marketplace_description=(marketplace_description or "").strip(),
            listing_id="prodview-" + secrets.token_hex(6),
        )
        validation.workteam_name(name)
        try:
            with transaction.atomic():
                team.save(force_insert=True)
        except IntegrityError:
            raise Conflict(f"A work team named {name} already exists.", field="name") from None
        _announce(organization.pk, "team", workteam_id=team.pk)
    return team


def vendor_subscribe(*, organization: Organization, workteam_id: int) -> VendorSubscription:
    """The customer ``organization`` subscribes to a vendor team. Its flows may then name the
    team's ARN; the vendor's workers see that customer's work for those flows only."""
    team = Workteam.objects.filter(pk=workteam_id, crowd=Crowd.VENDOR).first()
    if team is None:
        raise NotFound("There is no such vendor offering.")
    if team.organization_id == organization.pk:
        raise InvalidInput("An organization cannot subscribe to its own offering.")
    with transaction.atomic():
        subscription, created = VendorSubscription.objects.get_or_create(organization=organization, workteam=team)
        if created:
            _announce(organization.pk, "subscription", workteam_id=team.pk)
    return subscription


def vendor_unsubscribe(*, organization: Organization, workteam_id: int) -> None:
    """End a subscription. Flows that still use the team keep it, but its workers stop seeing
    the work (``flows.selectors.work.flows_for_worker`` requires the subscription)."""
    with transaction.atomic():
        deleted, _ = VendorSubscription.objects.filter(organization=organization, workteam_id=workteam_id).delete()
        if not deleted:
            raise NotFound("There is no such subscription.")
        _announce(organization.pk, "subscription", workteam_id=workteam_id)


# --- Public pool and earnings ----------------------------------------------------------------------


def public_pool_opt_in_set(*, user: User, opt_in: bool) -> User:
    """A worker joins (or leaves) the public pool: flows on the public team become visible."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(public_pool_opt_in=bool(opt_in))
        user.public_pool_opt_in = bool(opt_in)
    return user


def price_mills(price: dict[str, Any] | None) -> int:
    """PublicWorkforceTaskPrice.AmountInUsd in thousandths of a dollar (0 for no price)."""
    if not price:
        return 0
    return (
        int(price.get("Dollars", 0) or 0) * 1000
        + int(price.get("Cents", 0) or 0) * 10
        + int(price.get("TenthFractionsOfACent", 0) or 0)
    )


def format_usd(mills: int) -> str:
    """1234 -> '$1.234' (prices go down to a tenth of a cent)."""
    dollars, rest = divmod(int(mills), 1000)
    return f"${dollars}.{rest:03d}"


def earnings_record(*, answer: Any) -> Earning | None:
    """Write the ledger row for ``answer`` (a ``flows.models.Answer``) when its flow is on the
    public team and has a price; None otherwise. Idempotent: one row per answer, so the work
    service and the portal may both call it. Runs in the caller's transaction if there is one."""
    from flows.models import FlowDefinition

    flow = (
        FlowDefinition.objects.select_related("workteam")
        .only("pk", "organization_id", "public_price", "workteam__crowd")
        .filter(pk=answer.loop.flow_definition_id)
        .first()
    )
    if flow is None or flow.workteam.crowd != Crowd.PUBLIC:
        return None
    amount = price_mills(flow.public_price)
    if amount <= 0:
        return None
    with transaction.atomic():
        earning, _ = Earning.objects.get_or_create(
            answer_id=answer.pk,
            defaults={
                "worker_id": answer.worker_id,
                "organization_id": flow.organization_id,
                "flow_definition_id": flow.pk,
                "amount_mills": amount,
                "earned_at": answer.submission_time,
            },
        )
    return earning
