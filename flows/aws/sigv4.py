"""SigV4 verification of requests signed by boto3 (spec/a2i.md §5).

The canonical request is rebuilt from the request exactly as sent: the raw path (Daphne gives it
in the ASGI scope, which config/wsgi_bridge.py hands on as ``environ["asgi.scope"]``), the raw query string, the
headers named in ``SignedHeaders``, and the sha256 of the raw body. Both APIs sign with the
service name ``sagemaker``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from django.conf import settings
from django.db import connection
from django.http import HttpRequest

from flows import rawsql
from workforce.models import ApiKey, Organization

SERVICE = "sagemaker"
ALGORITHM = "AWS4-HMAC-SHA256"

_AUTH_RE = re.compile(
    r"AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)/(\d{8})/([^/,\s]+)/([^/,\s]+)/aws4_request\s*,\s*"
    r"SignedHeaders=([a-z0-9;\-]+)\s*,\s*Signature=([0-9a-f]{64})"
)


@dataclass
class AuthError(Exception):
    """A request that does not authenticate: ``code`` and ``status`` as AWS JSON services use them."""

    code: str
    message: str
    status: int = 403


def raw_path(request: HttpRequest) -> str:
    """The request path exactly as the client sent it (percent-encoding untouched)."""
    scope = request.META.get("asgi.scope")
    if scope is not None:
        raw = scope.get("raw_path")
        if raw:
            return raw.decode("latin-1").split("?", 1)[0]
    for key in ("RAW_URI", "REQUEST_URI"):
        value = request.META.get(key)
        if value:
            return str(value).split("?", 1)[0]
    # Re-quote the decoded path as botocore encodes a label: unreserved characters and "~" kept.
    path = request.META.get("SCRIPT_NAME", "") + request.META.get("PATH_INFO", "")
    return quote(path.encode("latin-1").decode("utf-8", "replace"), safe="/~")


def raw_query(request: HttpRequest) -> str:
    return str(request.META.get("QUERY_STRING", ""))


def _canonical_query(query: str) -> str:
    pairs = sorted(tuple(p.split("=", 1)) if "=" in p else (p, "") for p in query.split("&") if p)
    return "&".join(f"{k}={v}" for k, v in pairs)


def _header(request: HttpRequest, name: str) -> str | None:
    if name == "host":
        return request.META.get("HTTP_HOST")
    if name == "content-type":
        return request.META.get("CONTENT_TYPE")
    if name == "content-length":
        return request.META.get("CONTENT_LENGTH")
    return request.META.get("HTTP_" + name.upper().replace("-", "_"))


_KEY_FIELDS = tuple(f.attname for f in ApiKey._meta.concrete_fields)
_ORG_FIELDS = tuple(f.attname for f in Organization._meta.concrete_fields)


def key_lookup(access_key_id: str) -> ApiKey | None:
    """The active key with its organization, in one query (every signed request runs this)."""
    q = connection.ops.quote_name
    # Identifiers come from the models; the values go as parameters.
    sql = (
        f"SELECT {rawsql.columns(ApiKey, 'k', _KEY_FIELDS)}, {rawsql.columns(Organization, 'o', _ORG_FIELDS)} "  # noqa: S608
        f"FROM {q(ApiKey._meta.db_table)} k "
        f"JOIN {q(Organization._meta.db_table)} o ON o.{q('id')} = k.{q('organization_id')} "
        f"WHERE k.{q('access_key_id')} = %s AND k.{q('revoked_at')} IS NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [access_key_id])
        row = cursor.fetchone()
    if row is None:
        return None
    key = rawsql.instance(ApiKey, "k", row, 0, _KEY_FIELDS)
    key.organization = rawsql.instance(Organization, "o", row, len(_KEY_FIELDS), _ORG_FIELDS)
    return key


def _signing_key(secret: str, day: str, region: str) -> bytes:
    key = ("AWS4" + secret).encode("utf-8")
    for part in (day, region, SERVICE, "aws4_request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


def authenticate(request: HttpRequest, *, now: datetime | None = None) -> ApiKey:
    """Verify the request's SigV4 signature; return the (active) API key that signed it.

    Raises ``AuthError``: missing or malformed Authorization, wrong service in the scope, a date
    off by more than ``LOUPE_SIGV4_MAX_SKEW_SECONDS``, an unknown or revoked key, a bad signature.
    """
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header:
        raise AuthError(
            "MissingAuthenticationTokenException", "Missing Authentication Token: sign the request with SigV4."
        )
    m = _AUTH_RE.fullmatch(header.strip())
    if m is None:
        raise AuthError(
            "IncompleteSignatureException",
            "Authorization header requires Credential, SignedHeaders and Signature (AWS4-HMAC-SHA256).",
            400,
        )
    akid, day, region, service, signed, signature = m.groups()
    if service != SERVICE:
        raise AuthError(
            "InvalidSignatureException", f"Credential should be scoped to correct service: '{SERVICE}'.", 403
        )
    amz_date = request.META.get("HTTP_X_AMZ_DATE", "")
    try:
        when = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise AuthError("IncompleteSignatureException", "X-Amz-Date must be given as YYYYMMDDTHHMMSSZ.", 400) from None
    if not amz_date.startswith(day):
        raise AuthError("InvalidSignatureException", "Credential date does not match X-Amz-Date.", 403)
    now = now or datetime.now(UTC)
    skew = abs((now - when).total_seconds())
    if skew > settings.LOUPE_SIGV4_MAX_SKEW_SECONDS:
        raise AuthError(
            "InvalidSignatureException",
            f"Signature expired: {amz_date} is more than {settings.LOUPE_SIGV4_MAX_SKEW_SECONDS // 60} minutes "
            f"away from the server time {now:%Y%m%dT%H%M%SZ}.",
            403,
        )
    names = signed.split(";")
    if "host" not in names:
        raise AuthError("InvalidSignatureException", "The host header must be signed.", 403)
    lines = []
    for name in names:
        value = _header(request, name)
        if value is None:
            raise AuthError("InvalidSignatureException", f"Signed header {name} is missing from the request.", 403)
        lines.append(f"{name}:{' '.join(value.split())}\n")
    canonical = "\n".join(
        [
            request.method or "GET",
            quote(raw_path(request), safe="/~"),
            _canonical_query(raw_query(request)),
            "".join(lines),
            signed,
            hashlib.sha256(request.body).hexdigest(),
        ]
    )
    scope = f"{day}/{region}/{SERVICE}/aws4_request"
    to_sign = "\n".join([ALGORITHM, amz_date, scope, hashlib.sha256(canonical.encode("utf-8")).hexdigest()])
    key = key_lookup(akid)
    if key is None:
        raise AuthError("UnrecognizedClientException", "The security token included in the request is invalid.")
    expected = hmac.new(_signing_key(key.secret_access_key, day, region), to_sign.encode("utf-8"), hashlib.sha256)
    if not hmac.compare_digest(expected.hexdigest(), signature):
        raise AuthError(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method.",
        )
    return key


def looks_signed(request: HttpRequest) -> bool:
    return str(request.META.get("HTTP_AUTHORIZATION", "")).startswith(ALGORITHM)
