"""The organization MFA rule: who must set up TOTP before using Loupe."""

from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator

from workforce.models import Membership, User


def mfa_setup_required(user: Any) -> bool:
    """True when ``user`` belongs to an organization that requires MFA and has no TOTP yet."""
    if not isinstance(user, User) or not user.is_authenticated:
        return False
    if not Membership.objects.filter(user_id=user.pk, organization__mfa_required=True).exists():
        return False
    return not Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists()
