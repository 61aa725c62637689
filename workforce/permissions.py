"""Who may do what, by role in an organization.

Roles (``workforce.models.Role``) and what they open:

==============  ===========================================================================
admin           everything below, plus members and roles, API keys, the MFA rule, vendors
engineer        the engineer console (task UIs, flow definitions, loops), template preview
team_lead       teams, members, invitations, progress dashboards
worker          the worker portal (work comes from team membership, not from this role)
==============  ===========================================================================

Every check is made against one organization: a role in organization A opens nothing in B. Pages
answer 404 (not 403) when the check fails, so they do not reveal what exists elsewhere.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from workforce.models import Membership, Organization, Role, User

#: The roles each capability needs; admin holds every capability.
ADMIN_ROLES: frozenset[str] = frozenset({Role.ADMIN})
ENGINEER_ROLES: frozenset[str] = frozenset({Role.ADMIN, Role.ENGINEER})
TEAM_LEAD_ROLES: frozenset[str] = frozenset({Role.ADMIN, Role.TEAM_LEAD})
#: Who may watch an organization's dashboards (progress pushed over WebSockets).
DASHBOARD_ROLES: frozenset[str] = frozenset({Role.ADMIN, Role.ENGINEER, Role.TEAM_LEAD})
MEMBER_ROLES: frozenset[str] = frozenset(Role.values)


def role_in(user: Any, organization: Organization | int) -> str | None:
    """``user``'s role in ``organization`` (an object or a pk), or None for a non-member."""
    if not isinstance(user, User) or not user.is_active:
        return None
    org_id = organization.pk if isinstance(organization, Organization) else organization
    return Membership.objects.filter(user_id=user.pk, organization_id=org_id).values_list("role", flat=True).first()


def has_role(user: Any, organization: Organization | int, roles: frozenset[str]) -> bool:
    return role_in(user, organization) in roles


def is_admin(user: Any, organization: Organization | int) -> bool:
    return has_role(user, organization, ADMIN_ROLES)


def is_engineer(user: Any, organization: Organization | int) -> bool:
    return has_role(user, organization, ENGINEER_ROLES)


def is_team_lead(user: Any, organization: Organization | int) -> bool:
    return has_role(user, organization, TEAM_LEAD_ROLES)


def organization_for(user: Any, account_id: str, roles: frozenset[str]) -> Organization:
    """The organization with ``account_id`` if ``user`` holds one of ``roles`` in it; else 404."""
    if not isinstance(user, User) or not user.is_active:
        raise Http404("No such organization.")
    membership = (
        Membership.objects.select_related("organization")
        .filter(user_id=user.pk, organization__account_id=account_id, role__in=list(roles))
        .first()
    )
    if membership is None:
        raise Http404("No such organization.")
    return membership.organization


def memberships_of(user: Any) -> list[Membership]:
    """The user's memberships with their organizations, oldest first (for navigation)."""
    if not isinstance(user, User) or not user.is_active:
        return []
    return list(Membership.objects.select_related("organization").filter(user_id=user.pk).order_by("pk"))


class _OrgRole(BasePermission):
    """DRF: the request's user holds one of ``roles`` in the organization the view names
    (``view.get_organization()``, or ``view.kwargs["account_id"]``)."""

    roles: frozenset[str] = frozenset()

    def has_permission(self, request: Request, view: Any) -> bool:
        org = view.get_organization() if hasattr(view, "get_organization") else None
        if org is None:
            account_id = getattr(view, "kwargs", {}).get("account_id")
            if account_id is None:
                return False
            org = Organization.objects.filter(account_id=account_id).first()
            if org is None:
                return False
        return has_role(request.user, org, self.roles)


class IsOrgAdmin(_OrgRole):
    roles = ADMIN_ROLES


class IsOrgEngineer(_OrgRole):
    roles = ENGINEER_ROLES


class IsOrgTeamLead(_OrgRole):
    roles = TEAM_LEAD_ROLES


class IsOrgMember(_OrgRole):
    roles = MEMBER_ROLES
