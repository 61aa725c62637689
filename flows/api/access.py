"""Who may call the engineer-facing REST API, and on behalf of which organization.

Callers are an organization's API key (``Authorization: Api-Key <id>:<secret>`` or a SigV4
signature: the principal carries ``.organization``), or a signed-in member whose role in the
organization is admin or engineer. Team leads and workers are refused (403). A person who is an
engineer or admin of several organizations names one with the ``Loupe-Organization`` header (its
12-digit account id).
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import NotAuthenticated, PermissionDenied, ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from workforce.models import Membership, Organization, Role

ENGINEER_ROLES = (Role.ADMIN, Role.ENGINEER)
#: Reads team leads share with engineers (worker quality).
QUALITY_ROLES = (Role.ADMIN, Role.ENGINEER, Role.TEAM_LEAD)
ORGANIZATION_HEADER = "Loupe-Organization"


def _key_organization(user: Any) -> Organization | None:
    """The organization of an API-key principal (REST key or SigV4), None for a person."""
    if getattr(user, "api_key", None) is not None:
        org = user.organization
        return org if isinstance(org, Organization) else None
    return None


def _member_organization(request: Request, roles: tuple[str, ...] = ENGINEER_ROLES) -> Organization:
    user = request.user
    memberships = list(
        Membership.objects.select_related("organization").filter(user_id=int(user.pk or 0), role__in=roles)
    )
    if not memberships:
        if Role.TEAM_LEAD in roles:
            raise PermissionDenied(
                "This API is for an organization's engineers, admins and team leads (or its API keys)."
            )
        raise PermissionDenied("This API is for an organization's engineers and admins (or its API keys).")
    wanted = request.headers.get(ORGANIZATION_HEADER)
    if wanted:
        for membership in memberships:
            if membership.organization.account_id == wanted.strip():
                return membership.organization
        raise PermissionDenied(f"You are not an engineer or admin of the organization with account id {wanted}.")
    if len(memberships) > 1:
        raise ValidationError(
            {
                ORGANIZATION_HEADER: [
                    "You are an engineer or admin of several organizations: name one with the "
                    f"{ORGANIZATION_HEADER} header (its account id)."
                ]
            }
        )
    return memberships[0].organization


def caller_organization(request: Request, roles: tuple[str, ...] = ENGINEER_ROLES) -> Organization:
    """The organization a request acts for (cached on the request), for an API key or a member
    holding one of ``roles``. Raises PermissionDenied."""
    cached = getattr(request, "_loupe_organization", None)
    if cached is not None:
        return cached
    org = _key_organization(request.user)
    if org is None:
        if not getattr(request.user, "is_authenticated", False) or request.user.pk is None:
            raise NotAuthenticated("Send an organization's API key, or sign in as one of its engineers or admins.")
        org = _member_organization(request, roles)
    request._loupe_organization = org  # type: ignore[attr-defined]
    return org


class IsOrganizationEngineer(BasePermission):
    """An API key, or an admin/engineer member. Resolves the organization once per request."""

    message = "This API is for an organization's engineers and admins (or its API keys)."

    def has_permission(self, request: Request, view: Any) -> bool:
        caller_organization(request)
        return True


class IsOrganizationEngineerOrTeamLead(BasePermission):
    """An API key, or an admin, engineer or team lead member (reads of worker quality)."""

    message = "This API is for an organization's engineers, admins and team leads (or its API keys)."

    def has_permission(self, request: Request, view: Any) -> bool:
        caller_organization(request, QUALITY_ROLES)
        return True
