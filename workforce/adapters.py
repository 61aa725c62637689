"""allauth adapters: sign-in by e-mail (settings), mandatory verification (settings), throttled
failed logins (``ACCOUNT_RATE_LIMITS``), and the organization's MFA rule on the way in."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from workforce import oidc
from workforce.mfa import mfa_setup_required


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        """Self sign-up (public-pool workers) unless ``LOUPE_OPEN_SIGNUP`` is off; invited people
        always get in through their invitation link."""
        return bool(getattr(settings, "LOUPE_OPEN_SIGNUP", True))

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        """Members of an organization that requires MFA, without TOTP yet, set it up first."""
        if mfa_setup_required(request.user):
            return reverse("mfa_activate_totp")
        return super().get_login_redirect_url(request)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Workers of a workforce with an OIDC identity provider sign in through it; their teams
    follow the IdP's groups on every sign-in (workforce/oidc.py)."""

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return oidc.workforce_for_provider_id(sociallogin.account.provider) is not None

    def save_user(self, request: HttpRequest, sociallogin: SocialLogin, form: Any = None) -> Any:
        user = super().save_user(request, sociallogin, form)
        self._sync_teams(sociallogin)
        return user

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        super().pre_social_login(request, sociallogin)
        if sociallogin.is_existing:
            self._sync_teams(sociallogin)

    @staticmethod
    def _sync_teams(sociallogin: SocialLogin) -> None:
        workforce = oidc.workforce_for_provider_id(sociallogin.account.provider)
        if workforce is None or sociallogin.user.pk is None:
            return
        data = sociallogin.account.extra_data or {}
        claims = {**(data.get("id_token") or {}), **(data.get("userinfo") or {})}
        oidc.oidc_memberships_sync(user=sociallogin.user, workforce=workforce, groups=oidc.groups_from_claims(claims))
