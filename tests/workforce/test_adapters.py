"""Sign-in: by e-mail, verified addresses only, failed logins throttled, the MFA rule on the way in."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.test import Client

from tests.conftest import make_org
from tests.reviews.portal_factories import PASSWORD, member_of, person_factory
from workforce.models import User

LOGIN = "/accounts/login/"


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    cache.clear()


@pytest.mark.django_db
def test_sign_in_by_email_lands_on_the_portal_home() -> None:
    user = person_factory()
    response = Client().post(LOGIN, {"login": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_unverified_address_cannot_sign_in() -> None:
    user = User.objects.create_user(email="unverified@portal.test", password=PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    client = Client()
    response = client.post(LOGIN, {"login": user.email, "password": PASSWORD})
    # allauth sends a verification e-mail and does not log in
    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 302)
    assert response.status_code == 200 or "confirm-email" in response["Location"]


@pytest.mark.django_db
def test_failed_logins_are_throttled() -> None:
    user = person_factory()
    client = Client()
    pages = [client.post(LOGIN, {"login": user.email, "password": "wrong"}).content for _ in range(5)]
    assert not any(b"Too many failed login attempts" in page for page in pages)
    # five failures per address in five minutes, then refused even with the right password
    right = client.post(LOGIN, {"login": user.email, "password": PASSWORD})
    assert b"Too many failed login attempts" in right.content
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_members_of_an_mfa_organization_go_to_totp_setup_after_sign_in() -> None:
    org = make_org()
    worker = member_of(org.workteam, person_factory())
    org.organization.mfa_required = True
    org.organization.save(update_fields=["mfa_required"])
    response = Client().post(LOGIN, {"login": worker.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"
