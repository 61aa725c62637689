"""REST authentication: an organization's API key, or a worker's token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.crypto import constant_time_compare
from rest_framework import authentication, exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.request import Request

from workforce.models import ApiKey, Organization


@dataclass
class ApiKeyPrincipal:
    """Who a request authenticated with an API key is: the organization, through one key."""

    api_key: ApiKey

    is_authenticated: bool = True
    is_anonymous: bool = False
    is_staff: bool = False
    is_superuser: bool = False
    pk: Any = None

    @property
    def organization(self) -> Organization:
        return self.api_key.organization

    def __str__(self) -> str:
        return f"api-key:{self.api_key.access_key_id}"


def api_key_lookup(access_key_id: str) -> ApiKey | None:
    return (
        ApiKey.objects.select_related("organization")
        .filter(access_key_id=access_key_id, revoked_at__isnull=True)
        .first()
    )


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """``Authorization: Api-Key <access key id>:<secret>``."""

    keyword = "Api-Key"

    def authenticate(self, request: Request) -> tuple[ApiKeyPrincipal, ApiKey] | None:
        header = authentication.get_authorization_header(request).decode("latin1")
        if not header.startswith(self.keyword + " "):
            return None
        credentials = header[len(self.keyword) + 1 :].strip()
        akid, sep, secret = credentials.partition(":")
        if not sep or not akid or not secret:
            raise exceptions.AuthenticationFailed("Api-Key credentials must be '<access key id>:<secret>'.")
        key = api_key_lookup(akid)
        if key is None or not constant_time_compare(key.secret_access_key, secret):
            raise exceptions.AuthenticationFailed("Invalid API key.")
        return ApiKeyPrincipal(api_key=key), key

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class WorkerTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <token>`` for workers (token from POST /api/v1/worker/token)."""

    keyword = "Token"

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        """DRF's lookup (token and its user, one query) in hand-written SQL: every worker API
        call runs it, and the ORM's query building costs more than the query (``flows.rawsql``)."""
        from django.db import connection
        from rest_framework.authtoken.models import Token

        from flows import rawsql
        from workforce.models import User

        sql = (
            f"SELECT {rawsql.columns(Token, 'k')}, {rawsql.columns(User, 'u')} FROM {rawsql.table(Token)} k "
            f"INNER JOIN {rawsql.table(User)} u ON u.id = k.user_id WHERE k.{rawsql.q('key')} = %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [key])
            row = cursor.fetchone()
        if row is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        token = rawsql.instance(Token, "k", row)
        user = rawsql.instance(User, "u", row, rawsql.width(Token))
        token.user = user
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return user, token
