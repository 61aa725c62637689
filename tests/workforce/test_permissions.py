"""Role checks and the DRF permission classes, role by role against every capability, in one
organization and across two."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from rest_framework.test import APIRequestFactory

from tests.conftest import make_org
from tests.reviews.portal_factories import person_factory
from workforce.models import Role
from workforce.permissions import (
    ADMIN_ROLES,
    DASHBOARD_ROLES,
    ENGINEER_ROLES,
    TEAM_LEAD_ROLES,
    IsOrgAdmin,
    IsOrgEngineer,
    IsOrgMember,
    IsOrgTeamLead,
    organization_for,
)

# capability -> (permission class, roles that hold it)
TABLE = {
    "admin": (IsOrgAdmin, {"admin"}),
    "engineer": (IsOrgEngineer, {"admin", "engineer"}),
    "team_lead": (IsOrgTeamLead, {"admin", "team_lead"}),
    "member": (IsOrgMember, {"admin", "engineer", "team_lead", "worker"}),
}


@pytest.mark.django_db
@pytest.mark.parametrize("capability", sorted(TABLE))
def test_permission_classes_role_by_role_and_across_organizations(capability: str) -> None:
    org, other = make_org(), make_org()
    permission, holders = TABLE[capability]
    people = {role: person_factory(org, role=role) for role in Role.values}
    view = SimpleNamespace(kwargs={"account_id": org.account_id})
    other_view = SimpleNamespace(kwargs={"account_id": other.account_id})
    factory = APIRequestFactory()
    for role, user in people.items():
        for method in ("get", "post", "put", "patch", "delete"):
            request = getattr(factory, method)("/")
            request.user = user
            assert permission().has_permission(request, view) is (role in holders), (capability, role, method)
            # a role in one organization opens nothing in another
            assert permission().has_permission(request, other_view) is False
    anonymous = factory.get("/")
    anonymous.user = AnonymousUser()
    assert permission().has_permission(anonymous, view) is False
    unknown = SimpleNamespace(kwargs={"account_id": "000000000000"})
    request = factory.get("/")
    request.user = org.admin
    assert permission().has_permission(request, unknown) is False


def test_role_sets_nest_as_documented() -> None:
    assert ADMIN_ROLES < ENGINEER_ROLES
    assert ADMIN_ROLES < TEAM_LEAD_ROLES
    assert ENGINEER_ROLES | TEAM_LEAD_ROLES == DASHBOARD_ROLES
    assert Role.WORKER not in DASHBOARD_ROLES


@pytest.mark.django_db
def test_organization_for_is_404_without_the_role_and_for_inactive_users() -> None:
    org = make_org()
    engineer = person_factory(org, role=Role.ENGINEER)
    assert organization_for(engineer, org.account_id, ENGINEER_ROLES) == org.organization
    with pytest.raises(Http404):
        organization_for(engineer, org.account_id, ADMIN_ROLES)
    with pytest.raises(Http404):
        organization_for(engineer, make_org().account_id, ENGINEER_ROLES)
    engineer.is_active = False
    engineer.save(update_fields=["is_active"])
    with pytest.raises(Http404):
        organization_for(engineer, org.account_id, ENGINEER_ROLES)
