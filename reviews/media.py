"""Media access for task templates: what ``grant_read_access`` turns a reference into.

Two kinds of objects:

* **S3** (``s3://bucket/key``, and the path-style ``http(s)://s3[.region].amazonaws.com/bucket/key``
  and virtual-hosted ``https://bucket.s3[.region].amazonaws.com/key`` URLs AWS's built-in
  templates build): a short-lived presigned GET URL from boto3. The endpoint comes from boto3's
  standard ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL`` environment variables, credentials
  from the usual chain. URLs are path-style, so they keep the ``/<bucket>/<key>`` path that
  templates may read back (spec/crowd-elements.md §3).
* **Local**: ``file:///<absolute path>`` inside the organization's media folder
  ``<MEDIA_ROOT>/<account id>/``, or ``s3://<bucket>/<key>`` of a bucket the organization maps to
  a local folder (``BucketMapping``, the same mapping output writing uses): a signed, expiring
  Loupe URL ``/task-media/<token>/<name>``.
  The token names the object and who may read it: the worker holding a task (checked again on
  every read: a worker reads only the objects of a task they still hold), an engineer of the
  organization (preview), or the organization itself (RenderUiTemplate called with an API key).

Other http(s) URLs pass through unchanged; anything else is refused with a clear message.
"""

from __future__ import annotations

import mimetypes
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from django.conf import settings
from django.core import signing
from django.utils import timezone

from reviews.rendering import MediaAccessError, MediaSigner

__all__ = [
    "LocalObject",
    "MediaScope",
    "MediaSigner",
    "S3Object",
    "media_read",
    "media_root_for",
    "media_signer_for_organization",
    "media_signer_for_task",
    "media_signer_for_user",
    "parse_reference",
    "s3_presign_get",
]

_SALT = "loupe.reviews.media"
_DEFAULT_TTL_SECONDS = 900


def media_ttl_seconds() -> int:
    """How long a granted URL stays valid."""
    return int(getattr(settings, "LOUPE_MEDIA_URL_TTL_SECONDS", _DEFAULT_TTL_SECONDS))


# --- References -----------------------------------------------------------------------------


@dataclass(frozen=True)
class S3Object:
    bucket: str
    key: str


@dataclass(frozen=True)
class LocalObject:
    path: Path


_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")
_PATH_STYLE_HOST = re.compile(r"^s3(?:[.-][a-z0-9-]+)?(?:\.dualstack)?(?:\.[a-z0-9-]+)?\.amazonaws\.com(?:\.cn)?$")
_VIRTUAL_HOST = re.compile(
    r"^(?P<bucket>[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])\.s3(?:[.-][a-z0-9-]+)?(?:\.dualstack)?\.amazonaws\.com(?:\.cn)?$"
)


def parse_reference(reference: str) -> S3Object | LocalObject | str:
    """Classify a ``grant_read_access`` input: an S3 object, a local file, or (a str) a URL to
    pass through unchanged. Raises ``MediaAccessError`` for anything it cannot serve."""
    ref = reference.strip()
    parts = urlsplit(ref)
    scheme = parts.scheme.lower()
    if scheme == "s3":
        bucket, key = parts.netloc, parts.path.lstrip("/")
        if not _BUCKET.match(bucket) or not key:
            raise MediaAccessError(f"{_short(ref)} is not an s3://bucket/key URI.")
        return S3Object(bucket, key)
    if scheme in ("http", "https"):
        host = (parts.hostname or "").lower()
        if _PATH_STYLE_HOST.match(host):
            bucket, _, key = parts.path.lstrip("/").partition("/")
            if _BUCKET.match(bucket) and key:
                return S3Object(bucket, unquote(key))
            raise MediaAccessError(f"{_short(ref)} does not name an S3 bucket and key.")
        virtual = _VIRTUAL_HOST.match(host)
        if virtual and parts.path.lstrip("/"):
            return S3Object(virtual.group("bucket"), unquote(parts.path.lstrip("/")))
        return ref
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise MediaAccessError(f"{_short(ref)}: file URIs must name a local absolute path (file:///...).")
        return LocalObject(Path(unquote(parts.path)))
    if scheme == "data":
        return ref
    raise MediaAccessError(
        f"{_short(ref)} is not an s3:// URI, an S3 URL, an http(s) URL or a file:/// path of this organization's media."
    )


def _short(text: str, limit: int = 200) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


# --- S3 -------------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _s3_client(endpoint: str | None, region: str) -> Any:
    """An S3 client, or None when no credentials are configured (botocore would then hand out
    unsigned URLs silently)."""
    import boto3
    from botocore.config import Config

    # boto3 reads AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL itself; the endpoint is part of the cache
    # key only so that a changed environment gets a new client.
    session = boto3.session.Session()
    if session.get_credentials() is None:
        return None
    return session.client(
        "s3",
        region_name=region,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )


def _region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or settings.LOUPE_REGION


def s3_presign_get(obj: S3Object, *, expires_in: int) -> str:
    """A presigned GET URL for ``obj``, valid ``expires_in`` seconds. Signing is local (no call
    to S3), so a missing object shows up as a 404 when the page loads it."""
    from botocore.exceptions import BotoCoreError, NoCredentialsError

    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    client = _s3_client(endpoint, _region())
    if client is None:
        raise MediaAccessError("no AWS credentials are configured on the server to sign S3 URLs.")
    try:
        url = client.generate_presigned_url(
            "get_object", Params={"Bucket": obj.bucket, "Key": obj.key}, ExpiresIn=expires_in
        )
    except NoCredentialsError as exc:
        raise MediaAccessError("no AWS credentials are configured on the server to sign S3 URLs.") from exc
    except BotoCoreError as exc:
        raise MediaAccessError(f"could not sign s3://{obj.bucket}/{obj.key}: {exc}") from exc
    return str(url)


# --- Local objects --------------------------------------------------------------------------


def media_root_for(account_id: str) -> Path:
    """The folder an organization's local media lives in."""
    return (Path(settings.MEDIA_ROOT) / account_id).resolve()


def _inside(root: Path, path: Path) -> Path:
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError) as exc:
        raise MediaAccessError(f"{_short(str(path))} cannot be resolved.") from exc
    if not resolved.is_relative_to(root):
        raise MediaAccessError(f"{_short(str(path))} is outside this organization's media folder.")
    return resolved


@dataclass(frozen=True)
class MediaScope:
    """Who a local media URL is for. ``kind`` is ``task`` (a worker's leased task), ``user`` (an
    engineer previewing) or ``org`` (an API-key caller of RenderUiTemplate)."""

    kind: str
    organization_id: int
    account_id: str
    task_id: int | None = None
    user_id: int | None = None

    def as_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"k": self.kind, "o": self.organization_id, "a": self.account_id}
        if self.task_id is not None:
            payload["t"] = self.task_id
        if self.user_id is not None:
            payload["u"] = self.user_id
        return payload

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> MediaScope:
        return cls(
            kind=str(payload["k"]),
            organization_id=int(payload["o"]),
            account_id=str(payload["a"]),
            task_id=int(payload["t"]) if "t" in payload else None,
            user_id=int(payload["u"]) if "u" in payload else None,
        )


def local_media_url(*, scope: MediaScope, relative_path: str, bucket: str | None = None) -> str:
    """``/task-media/<token>/<file name>``. ``relative_path`` is under the organization's media
    folder, or, with ``bucket``, the key of an object of a bucket the organization maps to a local
    folder (``flows.models.BucketMapping``)."""
    payload: dict[str, Any] = {**scope.as_payload(), "p": relative_path}
    if bucket is not None:
        payload["b"] = bucket
    token = signing.dumps(payload, salt=_SALT, compress=True)
    name = quote(relative_path.rsplit("/", 1)[-1] or "object")
    return f"/task-media/{token}/{name}"


def _bucket_mappings(organization_id: int) -> dict[str, str]:
    from flows.models import BucketMapping

    return dict(BucketMapping.objects.filter(organization_id=organization_id).values_list("bucket", "local_path"))


def _mapped_path(mappings: dict[str, str], obj: S3Object) -> Path | None:
    """The local file of ``obj`` when its bucket is mapped to a folder, else None."""
    from flows import storage

    if obj.bucket not in mappings:
        return None
    try:
        location = storage.resolve(f"s3://{obj.bucket}/{obj.key}", mappings)
    except storage.StorageError as exc:
        raise MediaAccessError(str(exc)) from exc
    return getattr(location, "path", None)


class _ScopedSigner:
    """Grants for one viewer. Bucket mappings are read once per signer (one render)."""

    def __init__(self, *, scope: MediaScope, ttl: int) -> None:
        self.scope = scope
        self.ttl = ttl
        self._mappings: dict[str, str] | None = None

    def _mapping(self) -> dict[str, str]:
        if self._mappings is None:
            self._mappings = _bucket_mappings(self.scope.organization_id) if self.scope.organization_id else {}
        return self._mappings

    def grant(self, reference: str) -> str:
        target = parse_reference(reference)
        if isinstance(target, str):
            return target
        if isinstance(target, S3Object):
            mapped = _mapped_path(self._mapping(), target)
            if mapped is None:
                return s3_presign_get(target, expires_in=self.ttl)
            if not mapped.is_file():
                raise MediaAccessError(f"s3://{target.bucket}/{target.key} does not exist in its mapped folder.")
            return local_media_url(scope=self.scope, relative_path=target.key, bucket=target.bucket)
        root = media_root_for(self.scope.account_id)
        path = _inside(root, target.path)
        if not path.is_file():
            raise MediaAccessError(f"{_short(str(target.path))} does not exist in this organization's media folder.")
        return local_media_url(scope=self.scope, relative_path=path.relative_to(root).as_posix())


def media_signer_for_task(*, task: Any, worker: Any) -> MediaSigner:
    """The signer for a worker's frame: local URLs stay readable while ``worker`` holds ``task``."""
    org = task.loop.organization
    scope = MediaScope(
        kind="task", organization_id=org.pk, account_id=org.account_id, task_id=task.pk, user_id=worker.pk
    )
    return _ScopedSigner(scope=scope, ttl=media_ttl_seconds())


def media_signer_for_user(*, organization: Any, user: Any) -> MediaSigner:
    """The signer for an engineer's preview: readable while ``user`` is an engineer or admin."""
    scope = MediaScope(
        kind="user", organization_id=organization.pk, account_id=organization.account_id, user_id=user.pk
    )
    return _ScopedSigner(scope=scope, ttl=media_ttl_seconds())


def media_signer_for_organization(*, organization: Any) -> MediaSigner:
    """The signer for RenderUiTemplate called with the organization's API key."""
    scope = MediaScope(kind="org", organization_id=organization.pk, account_id=organization.account_id)
    return _ScopedSigner(scope=scope, ttl=media_ttl_seconds())


# --- Reading a local object back --------------------------------------------------------------


class MediaDenied(Exception):
    """The token is bad or expired, or its holder may no longer read the object."""

    def __init__(self, message: str, *, status: int = 403) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def media_read(token: str) -> Path:
    """The file a ``/task-media/`` token grants, after checking the signature, its age, and that
    its holder may still read it. Raises ``MediaDenied``."""
    try:
        payload = signing.loads(token, salt=_SALT, max_age=media_ttl_seconds())
    except signing.SignatureExpired as exc:
        raise MediaDenied("This media link has expired.", status=410) from exc
    except signing.BadSignature as exc:
        raise MediaDenied("This media link is not valid.") from exc
    try:
        scope = MediaScope.from_payload(payload)
        relative = str(payload["p"])
    except (KeyError, TypeError, ValueError) as exc:
        raise MediaDenied("This media link is not valid.") from exc
    _check_scope(scope)
    bucket = payload.get("b")
    try:
        if bucket is not None:
            # Resolved again: a mapping removed since the grant no longer serves anything.
            mapped = _mapped_path(_bucket_mappings(scope.organization_id), S3Object(str(bucket), relative))
            if mapped is None:
                raise MediaDenied("The object no longer exists.", status=404)
            path = mapped
        else:
            root = media_root_for(scope.account_id)
            path = _inside(root, root / relative)
    except MediaAccessError as exc:
        raise MediaDenied("This media link is not valid.") from exc
    if not path.is_file():
        raise MediaDenied("The object no longer exists.", status=404)
    return path


def _check_scope(scope: MediaScope) -> None:
    from flows.models import Task, TaskStatus
    from workforce.models import Membership, Role

    if scope.kind == "task":
        if scope.task_id is None or scope.user_id is None:
            raise MediaDenied("This media link is not valid.")
        held = Task.objects.filter(
            pk=scope.task_id,
            worker_id=scope.user_id,
            status=TaskStatus.LEASED,
            lease_expires_at__gt=timezone.now(),
            loop__organization_id=scope.organization_id,
        ).exists()
        if not held:
            raise MediaDenied("This object belongs to a task you no longer hold.")
        return
    if scope.kind == "user":
        if scope.user_id is None:
            raise MediaDenied("This media link is not valid.")
        allowed = Membership.objects.filter(
            organization_id=scope.organization_id,
            user_id=scope.user_id,
            user__is_active=True,
            role__in=(Role.ADMIN, Role.ENGINEER),
        ).exists()
        if not allowed:
            raise MediaDenied("You may not read this organization's media.")
        return
    if scope.kind == "org":
        return
    raise MediaDenied("This media link is not valid.")


def guess_content_type(path: Path) -> str:
    content_type, _ = mimetypes.guess_type(path.name)
    return content_type or "application/octet-stream"
