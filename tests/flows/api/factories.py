"""Clients and members for the REST API tests (factories, not fixtures files)."""

from __future__ import annotations

import itertools
from typing import Any

from rest_framework.test import APIClient

from tests.conftest import Org
from workforce.models import Membership, Organization, Role, User

_seq = itertools.count(1)


def key_client(org: Org) -> APIClient:
    """A client sending the organization's API key."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=org.api_key_header)
    return client


def member_factory(organization: Organization, role: str = Role.ENGINEER, email: str | None = None) -> User:
    user = User.objects.create_user(email=email or f"member-{next(_seq)}@example.test", password="pw-Member-123!")
    Membership.objects.create(organization=organization, user=user, role=role)
    return user


def session_client(user: User, **headers: Any) -> APIClient:
    """A client signed in as ``user`` (session authentication)."""
    client = APIClient()
    client.force_login(user)
    if headers:
        client.credentials(**headers)
    return client


def problem_of(response: Any) -> dict[str, Any]:
    """The problem body of an error response, after checking that it is one."""
    assert response["Content-Type"].startswith("application/problem+json"), response["Content-Type"]
    body = response.json()
    assert body["status"] == response.status_code
    assert body["title"]
    assert body["detail"]
    assert body["code"]
    return body  # type: ignore[no-any-return]
