"""allauth adapters: sign-in by e-mail (settings), mandatory verification (settings), throttled
failed logins (``ACCOUNT_RATE_LIMITS``), and the organization's MFA rule on the way in."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

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
