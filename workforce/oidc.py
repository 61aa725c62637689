"""OpenID Connect sign-in per workforce.

A2I lets a private workforce sign its workers in through the customer's own OIDC identity
provider (CreateWorkforce/UpdateWorkforce ``OidcConfig``), and a work team is a set of the IdP's
groups (``OidcMemberDefinition.Groups``). Loupe maps each such workforce to an allauth
``openid_connect`` app (provider id ``workforce-<pk>``, sign-in at
``/accounts/oidc/workforce-<pk>/login/``). On every sign-in the worker's team memberships in that
workforce are set from the ``groups`` claim: a team whose OIDC groups meet the worker's groups
has them as a member; the others do not.
"""

from __future__ import annotations

from typing import Any

from allauth.socialaccount.models import SocialApp
from django.db import transaction

from workforce.models import Membership, Role, TeamMembership, User, Workforce, Workteam

PROVIDER = "openid_connect"
PROVIDER_PREFIX = "workforce-"


def provider_id_for(workforce: Workforce) -> str:
    return f"{PROVIDER_PREFIX}{workforce.pk}"


def workforce_for_provider_id(provider_id: str) -> Workforce | None:
    if not provider_id.startswith(PROVIDER_PREFIX):
        return None
    pk = provider_id[len(PROVIDER_PREFIX) :]
    if not pk.isdigit():
        return None
    return Workforce.objects.select_related("organization").filter(pk=int(pk)).first()


def workforce_oidc_sync(*, workforce: Workforce) -> SocialApp | None:
    """Make the workforce's sign-in app match its OidcConfig (created, updated, or removed).

    Precondition: called inside the transaction that saved ``workforce``.
    """
    provider_id = provider_id_for(workforce)
    config = workforce.oidc_config
    if not config:
        SocialApp.objects.filter(provider=PROVIDER, provider_id=provider_id).delete()
        return None
    overrides = {
        "authorization_endpoint": config["AuthorizationEndpoint"],
        "token_endpoint": config["TokenEndpoint"],
        "userinfo_endpoint": config["UserInfoEndpoint"],
        "jwks_uri": config["JwksUri"],
        "end_session_endpoint": config.get("LogoutEndpoint", ""),
        "issuer": config["Issuer"],
    }
    settings: dict[str, Any] = {
        "server_url": config["Issuer"],
        "openid_configuration_overrides": overrides,
    }
    if config.get("Scope"):
        settings["scope"] = config["Scope"].split()
    if config.get("AuthenticationRequestExtraParams"):
        settings["auth_params"] = dict(config["AuthenticationRequestExtraParams"])
    app, _ = SocialApp.objects.update_or_create(
        provider=PROVIDER,
        provider_id=provider_id,
        defaults={
            "name": f"{workforce.organization.name} ({workforce.name})",
            "client_id": config["ClientId"],
            "secret": config.get("ClientSecret", ""),
            "settings": settings,
        },
    )
    return app


def workforce_oidc_remove(*, provider_id: str) -> None:
    SocialApp.objects.filter(provider=PROVIDER, provider_id=provider_id).delete()


def groups_from_claims(claims: dict[str, Any]) -> set[str]:
    """The IdP's groups for the user: the ``groups`` claim (a list, or one string)."""
    raw = claims.get("groups") or claims.get("cognito:groups") or []
    if isinstance(raw, str):
        raw = [raw]
    return {str(g) for g in raw if isinstance(g, str | int)}


def _team_groups(team: Workteam) -> set[str]:
    groups: set[str] = set()
    for member in team.member_definitions or []:
        oidc = (member or {}).get("OidcMemberDefinition") or {}
        groups.update(str(g) for g in oidc.get("Groups") or [])
    return groups


@transaction.atomic
def oidc_memberships_sync(*, user: User, workforce: Workforce, groups: set[str]) -> list[Workteam]:
    """Set ``user``'s teams in ``workforce`` from their IdP groups; returns the teams they are in.

    The user becomes a worker of the organization (an existing, higher role is kept).
    """
    teams = list(Workteam.objects.filter(workforce=workforce))
    wanted = [t for t in teams if _team_groups(t) & groups]
    Membership.objects.get_or_create(organization=workforce.organization, user=user, defaults={"role": Role.WORKER})
    TeamMembership.objects.filter(user=user, workteam__in=[t for t in teams if t not in wanted]).delete()
    for team in wanted:
        TeamMembership.objects.get_or_create(workteam=team, user=user)
    return wanted
