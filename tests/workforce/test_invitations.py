"""Invitations: the e-mail, single use, expiry, revocation, new and existing accounts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from flows.errors import InvalidInput, NotFound, WrongState
from tests.conftest import make_org
from tests.reviews.portal_factories import PASSWORD, person_factory
from workforce.models import Invitation, Membership, Role, TeamMembership, User
from workforce.services_invitations import (
    invitation_accept_existing,
    invitation_accept_new_account,
    invitation_create,
    invitation_for_token,
    invitation_revoke,
    token_hash,
)

NEW_PASSWORD = "Another-Str0ng-pass"


@pytest.fixture(autouse=True)
def _locmem_mail(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.LOUPE_PUBLIC_URL = "https://loupe.example"


@pytest.mark.django_db(transaction=True)
def test_the_email_names_team_and_organization_and_links_the_accept_page() -> None:
    # given a team
    org = make_org()
    # when the team lead invites someone
    sent = invitation_create(workteam=org.workteam, email=" New.Person@Portal.test ", invited_by=org.admin)
    # then one e-mail goes to the (normalised) address after commit, naming team and organization
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.person@portal.test"]
    assert org.workteam.name in message.subject
    assert org.organization.name in message.subject
    assert org.organization.name in message.body
    assert f'"{org.workteam.name}"' in message.body
    assert f"https://loupe.example/invitations/{sent.token}/" in message.body
    # and only the token's hash is stored
    stored = Invitation.objects.get(pk=sent.invitation.pk)
    assert stored.token_hash == token_hash(sent.token)
    assert not Invitation.objects.filter(token_hash=sent.token).exists()


@pytest.mark.django_db
def test_no_email_while_the_transaction_is_open() -> None:
    org = make_org()
    invitation_create(workteam=org.workteam, email="a@portal.test", invited_by=org.admin)
    # the test's transaction never commits, so the e-mail is never sent
    assert mail.outbox == []


@pytest.mark.django_db
def test_bad_address_and_existing_member_are_refused() -> None:
    org = make_org()
    with pytest.raises(InvalidInput):
        invitation_create(workteam=org.workteam, email="not-an-address", invited_by=org.admin)
    member = person_factory(org)
    TeamMembership.objects.create(workteam=org.workteam, user=member)
    with pytest.raises(WrongState):
        invitation_create(workteam=org.workteam, email=member.email.upper(), invited_by=org.admin)
    assert Invitation.objects.count() == 0


@pytest.mark.django_db
def test_accepting_creates_a_verified_worker_in_the_team_and_the_link_works_once() -> None:
    # given an invitation to a new address
    org = make_org()
    sent = invitation_create(workteam=org.workteam, email="fresh@portal.test", invited_by=org.admin)
    # when it is accepted with a password
    user = invitation_accept_new_account(token=sent.token, password=NEW_PASSWORD)
    # then the account exists, verified, a worker of the organization, in the team
    assert user.check_password(NEW_PASSWORD)
    assert user.emailaddress_set.get().verified
    assert Membership.objects.get(organization=org.organization, user=user).role == Role.WORKER
    assert TeamMembership.objects.filter(workteam=org.workteam, user=user).exists()
    # and the link is spent, for anyone
    with pytest.raises(WrongState, match="used already"):
        invitation_for_token(sent.token)
    other = person_factory()
    with pytest.raises(WrongState):
        invitation_accept_existing(token=sent.token, user=other)
    assert not TeamMembership.objects.filter(user=other).exists()


@pytest.mark.django_db
def test_weak_password_creates_nothing_and_the_link_still_works() -> None:
    org = make_org()
    sent = invitation_create(workteam=org.workteam, email="weak@portal.test", invited_by=org.admin)
    with pytest.raises(InvalidInput):
        invitation_accept_new_account(token=sent.token, password="123")
    assert not User.objects.filter(email="weak@portal.test").exists()
    assert invitation_for_token(sent.token).pk == sent.invitation.pk


@pytest.mark.django_db
def test_expired_revoked_and_unknown_tokens_cannot_be_used() -> None:
    org = make_org()
    expired = invitation_create(
        workteam=org.workteam, email="late@portal.test", invited_by=org.admin, ttl=timedelta(seconds=-1)
    )
    with pytest.raises(WrongState, match="expired"):
        invitation_accept_new_account(token=expired.token, password=NEW_PASSWORD)
    revoked = invitation_create(workteam=org.workteam, email="gone@portal.test", invited_by=org.admin)
    invitation_revoke(invitation=revoked.invitation)
    with pytest.raises(WrongState, match="withdrawn"):
        invitation_accept_new_account(token=revoked.token, password=NEW_PASSWORD)
    with pytest.raises(NotFound):
        invitation_for_token("no-such-token")
    assert not User.objects.filter(email__in=["late@portal.test", "gone@portal.test"]).exists()


@pytest.mark.django_db
def test_a_new_invitation_revokes_the_pending_one_and_accepted_ones_cannot_be_revoked() -> None:
    org = make_org()
    first = invitation_create(workteam=org.workteam, email="twice@portal.test", invited_by=org.admin)
    second = invitation_create(workteam=org.workteam, email="twice@portal.test", invited_by=org.admin)
    first.invitation.refresh_from_db()
    assert first.invitation.state == "revoked"
    invitation_accept_new_account(token=second.token, password=NEW_PASSWORD)
    with pytest.raises(WrongState):
        invitation_revoke(invitation=second.invitation)
    second.invitation.refresh_from_db()
    assert second.invitation.state == "accepted"


@pytest.mark.django_db
def test_existing_account_joins_after_signing_in_through_the_page() -> None:
    # given an invitation to someone who already has an account (engineer in another organization)
    org, other = make_org(), make_org()
    existing = person_factory(other, role=Role.ENGINEER)
    sent = invitation_create(workteam=org.workteam, email=existing.email, invited_by=org.admin)
    client = Client()
    url = f"/invitations/{sent.token}/"
    # when they open the link signed out, they are asked to sign in (no password form works)
    page = client.get(url)
    assert page.status_code == 200
    assert b"sign-in-to-accept" in page.content
    assert b"id_password1" not in page.content
    # and once signed in, they accept
    assert client.login(email=existing.email, password=PASSWORD)
    assert b"Join the team" in client.get(url).content
    response = client.post(url)
    # then they are in the team and a worker of the organization; their other role is untouched
    assert response.status_code == 302
    assert TeamMembership.objects.filter(workteam=org.workteam, user=existing).exists()
    assert Membership.objects.get(organization=org.organization, user=existing).role == Role.WORKER
    assert Membership.objects.get(organization=other.organization, user=existing).role == Role.ENGINEER
    assert client.get(url).status_code == 410


@pytest.mark.django_db
def test_accept_page_creates_the_account_then_sends_to_sign_in() -> None:
    org = make_org()
    sent = invitation_create(workteam=org.workteam, email="page@portal.test", invited_by=org.admin)
    client = Client()
    url = f"/invitations/{sent.token}/"
    assert b"id_password1" in client.get(url).content
    mismatch = client.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"})
    assert mismatch.status_code == 400
    assert not User.objects.filter(email="page@portal.test").exists()
    response = client.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert client.login(email="page@portal.test", password=NEW_PASSWORD)


@pytest.mark.django_db
def test_expired_link_page_says_so() -> None:
    org = make_org()
    sent = invitation_create(workteam=org.workteam, email="old@portal.test", invited_by=org.admin)
    Invitation.objects.filter(pk=sent.invitation.pk).update(expires_at=timezone.now())
    response = Client().get(f"/invitations/{sent.token}/")
    assert response.status_code == 410
    assert b"expired" in response.content


@pytest.mark.django_db
def test_team_lead_sends_and_revokes_from_the_dashboard_with_csrf() -> None:
    org = make_org()
    lead = person_factory(org, role=Role.TEAM_LEAD)
    client = Client()
    client.force_login(lead)
    response = client.post(
        f"/org/{org.account_id}/invitations/new/", {"email": "via-page@portal.test", "team_id": org.workteam.pk}
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get(email="via-page@portal.test")
    assert invitation.invited_by == lead
    assert invitation.organization == org.organization
    assert b"via-page@portal.test" in client.get(f"/org/{org.account_id}/").content
    client.post(f"/org/{org.account_id}/invitations/{invitation.pk}/revoke/")
    invitation.refresh_from_db()
    assert invitation.state == "revoked"
    # a form posted without the CSRF token is refused
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(lead)
    refused = strict.post(
        f"/org/{org.account_id}/invitations/new/", {"email": "csrf@portal.test", "team_id": org.workteam.pk}
    )
    assert refused.status_code == 403
    assert not Invitation.objects.filter(email="csrf@portal.test").exists()


@pytest.mark.django_db
def test_a_team_of_another_organization_cannot_be_named_in_an_invitation() -> None:
    org, other = make_org(), make_org()
    lead = person_factory(org, role=Role.TEAM_LEAD)
    client = Client()
    client.force_login(lead)
    response = client.post(
        f"/org/{org.account_id}/invitations/new/", {"email": "sneak@portal.test", "team_id": other.workteam.pk}
    )
    assert response.status_code == 404
    assert not Invitation.objects.filter(email="sneak@portal.test").exists()
