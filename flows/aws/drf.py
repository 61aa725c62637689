"""REST calls signed with SigV4 (DESIGN.md "Contracts"): the same keys, the same verifier."""

from __future__ import annotations

from rest_framework import authentication, exceptions
from rest_framework.request import Request

from flows.aws import sigv4
from workforce.authentication import ApiKeyPrincipal
from workforce.models import ApiKey


class SigV4Authentication(authentication.BaseAuthentication):
    """``Authorization: AWS4-HMAC-SHA256 Credential=...`` signed for the service ``sagemaker``."""

    def authenticate(self, request: Request) -> tuple[ApiKeyPrincipal, ApiKey] | None:
        django_request = request._request
        if not sigv4.looks_signed(django_request):
            return None
        try:
            key = sigv4.authenticate(django_request)
        except sigv4.AuthError as exc:
            raise exceptions.AuthenticationFailed(f"{exc.code}: {exc.message}") from None
        return ApiKeyPrincipal(api_key=key), key

    def authenticate_header(self, request: Request) -> str:
        return sigv4.ALGORITHM
