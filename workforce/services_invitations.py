"""Invitations to work teams: send, revoke, accept. Each function owns its transaction.

A token is 32 random bytes (URL-safe); only its SHA-256 is stored. An invitation is used once
(``accepted_at``), ends at ``expires_at`` and can be revoked (``revoked_at``); the accept is a
conditional UPDATE on all three, so two accepts of one token racing each other cannot both win.
The e-mail is sent through Django's e-mail backend after the transaction commits.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from flows import events
from flows.errors import InvalidInput, NotFound, WrongState
from workforce.models import Invitation, Membership, Role, TeamMembership, User, Workteam

#: How long an invitation link works.
INVITATION_TTL = timedelta(days=7)
ACCEPT_PATH = "/invitations/{token}/"


@dataclass(frozen=True)
class SentInvitation:
    invitation: Invitation
    #: The token as e-mailed (never stored); returned so that callers can show or test the link.
    token: str
    accept_url: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _accept_url(token: str, base_url: str) -> str:
    base = (settings.LOUPE_PUBLIC_URL or base_url or "").rstrip("/")
    return base + ACCEPT_PATH.format(token=token)


def _announce(invitation: Invitation, state: str) -> None:
    """On commit, tell the organization's dashboards (team leads) that an invitation changed."""
    events.publish_on_commit(
        events.org_group(invitation.organization_id),
        events.event_message(
            "invitation.changed",
            {"invitation_id": invitation.pk, "workteam_id": invitation.workteam_id, "state": state},
        ),
    )


def _send_invitation_mail(*, to: str, subject: str, body: str) -> None:
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=False)


def invitation_create(
    *, workteam: Workteam, email: str, invited_by: User | None, base_url: str = "", ttl: timedelta = INVITATION_TTL
) -> SentInvitation:
    """Invite ``email`` to ``workteam`` (a team of the inviter's organization; the caller checks
    the inviter's role). Raises ``InvalidInput`` for a malformed address, ``WrongState`` if the
    person is in the team already. Pending invitations to the same address and team are revoked:
    only the newest link works. The e-mail names the team and the organization and links to the
    accept page (``LOUPE_PUBLIC_URL``, else ``base_url``)."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput(f"{email or 'An empty value'} is not a valid e-mail address.", field="email") from None
    organization = workteam.organization
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        if TeamMembership.objects.filter(workteam=workteam, user__email__iexact=email).exists():
            raise WrongState(f"{email} is already a member of team {workteam.name}.", field="email")
        Invitation.objects.filter(
            workteam=workteam, email=email, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=now)
        invitation = Invitation.objects.create(
            organization=organization,
            workteam=workteam,
            email=email,
            token_hash=token_hash(token),
            invited_by=invited_by,
            expires_at=now + ttl,
        )
        url = _accept_url(token, base_url)
        context = {
            "team": workteam,
            "organization": organization,
            "accept_url": url,
            "expires_at": invitation.expires_at,
            "invited_by": invited_by,
        }
        subject = f"Join team {workteam.name} of {organization.name} on Loupe"
        body = render_to_string("reviews/email/invitation.txt", context)
        transaction.on_commit(partial(_send_invitation_mail, to=email, subject=subject, body=body))
        _announce(invitation, "pending")
    return SentInvitation(invitation=invitation, token=token, accept_url=url)


def invitation_revoke(*, invitation: Invitation) -> Invitation:
    """Revoke a pending invitation. ``WrongState`` if it was accepted already; revoking twice is
    harmless."""
    with transaction.atomic():
        updated = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        invitation.refresh_from_db()
        if not updated and invitation.accepted_at is not None:
            raise WrongState("This invitation was accepted already: it can no longer be revoked.")
        if updated:
            _announce(invitation, "revoked")
    return invitation


def invitation_for_token(token: str) -> Invitation:
    """The usable invitation for ``token``. ``NotFound`` for an unknown token, ``WrongState`` (with
    the reason) for one used, revoked or expired."""
    invitation = (
        Invitation.objects.select_related("workteam", "organization").filter(token_hash=token_hash(token or "")).first()
    )
    if invitation is None:
        raise NotFound("This invitation link is not valid.")
    state = invitation.state
    if state == "accepted":
        raise WrongState("This invitation has been used already. Sign in to reach your work.")
    if state == "revoked":
        raise WrongState("This invitation was withdrawn. Ask your team lead for a new one.")
    if state == "expired":
        raise WrongState("This invitation has expired. Ask your team lead for a new one.")
    return invitation


def _consume(invitation: Invitation, user: User) -> None:
    """Mark the invitation used (conditionally: the loser of a race gets WrongState) and add the
    user to the team and, as a worker, to the organization. Call inside a transaction."""
    now = timezone.now()
    won = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
    ).update(accepted_at=now, accepted_by=user)
    if not won:
        raise WrongState("This invitation has been used, withdrawn or has expired.")
    Membership.objects.get_or_create(organization=invitation.organization, user=user, defaults={"role": Role.WORKER})
    TeamMembership.objects.get_or_create(workteam=invitation.workteam, user=user)
    _announce(invitation, "accepted")


def invitation_accept_new_account(*, token: str, password: str) -> User:
    """Accept by creating the account for the invited address with ``password``. The link came
    by e-mail to that address, so the address is verified. ``WrongState`` if an account with the
    address exists (sign in and accept instead); ``InvalidInput`` for a weak password."""
    invitation = invitation_for_token(token)
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise WrongState("An account with this e-mail address exists: sign in to accept the invitation.")
    user = User(email=invitation.email)
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), field="password") from None
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=invitation.email, password=password)
            EmailAddress.objects.create(user=user, email=invitation.email, verified=True, primary=True)
            _consume(invitation, user)
    except IntegrityError:
        # The same link submitted twice at once: the first created the account.
        raise WrongState("An account with this e-mail address exists: sign in to accept the invitation.") from None
    return user


def invitation_accept_existing(*, token: str, user: User) -> Invitation:
    """Accept as the signed-in ``user`` (whoever holds the link may join with their own account)."""
    invitation = invitation_for_token(token)
    if not user.is_active:
        raise WrongState("This account is disabled.")
    with transaction.atomic():
        _consume(invitation, user)
    invitation.refresh_from_db()
    return invitation
