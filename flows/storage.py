"""Object storage behind one small interface: ``s3://bucket/key`` on any S3-compatible endpoint,
or, when the organization maps the bucket to a local folder (``BucketMapping``), a file there.

boto3 stays inside this module. The endpoint and credentials come from boto3's standard
environment (``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``, ...); with a
custom endpoint the client uses path-style addressing, which every S3-compatible server speaks.

``put_object_atomic`` never leaves a partial object: a local file is written to a temporary
name in the same folder, flushed to disk and then linked to its final name, which succeeds only
if no file has that name yet (so a second writer cannot replace the first); S3 makes a PUT
atomic itself, and the PUT carries ``If-None-Match: *`` so that the first object stays.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")


class StorageError(Exception):
    """A location that cannot be used, or a store that refused (message safe to show)."""


@dataclass(frozen=True)
class S3Location:
    bucket: str
    key: str

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@dataclass(frozen=True)
class LocalLocation:
    uri: str
    path: Path


Location = S3Location | LocalLocation


def parse_s3_uri(uri: str) -> S3Location:
    parts = urlsplit(uri)
    if parts.scheme != "s3" or not _BUCKET.match(parts.netloc or ""):
        raise StorageError(f"{uri!r} is not an s3://bucket/key URI.")
    key = parts.path.lstrip("/")
    if not key:
        raise StorageError(f"{uri!r} names a bucket but no key.")
    return S3Location(parts.netloc, key)


def resolve(uri: str, mappings: dict[str, str]) -> Location:
    """Where ``uri`` lives: a file under the mapped folder when its bucket is in ``mappings``
    ({bucket: local folder}), else the S3 object. Keys that would leave the folder are refused."""
    loc = parse_s3_uri(uri)
    folder = mappings.get(loc.bucket)
    if folder is None:
        return loc
    root = Path(folder).resolve()
    path = (root / loc.key).resolve()
    if path != root and root not in path.parents:
        raise StorageError(f"{uri!r} leaves the folder mapped to bucket {loc.bucket}.")
    return LocalLocation(uri=uri, path=path)


# --- S3 -------------------------------------------------------------------------------------------

_client_lock = threading.Lock()
_clients: dict[str, Any] = {}


def _s3() -> Any:
    """One boto3 S3 client per process (boto3 clients are thread-safe), configured from the
    environment at first use."""
    with _client_lock:
        client = _clients.get("s3")
        if client is None:
            import boto3
            from botocore.config import Config

            custom = bool(os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL"))
            client = boto3.session.Session().client(
                "s3",
                region_name=os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or "us-east-1",
                config=Config(
                    s3={"addressing_style": "path" if custom else "auto"},
                    retries={"mode": "standard", "max_attempts": 3},
                    connect_timeout=5,
                    read_timeout=30,
                ),
            )
            _clients["s3"] = client
        return client


def reset_clients() -> None:
    """Forget the cached client (tests that change the endpoint environment)."""
    with _client_lock:
        _clients.clear()


def _s3_error(exc: Exception, loc: S3Location, action: str) -> StorageError:
    code = getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__)
    return StorageError(f"Could not {action} {loc.uri}: {code}: {exc}")


# --- The interface --------------------------------------------------------------------------------


def exists(loc: Location) -> bool:
    if isinstance(loc, LocalLocation):
        return loc.path.is_file()
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        _s3().head_object(Bucket=loc.bucket, Key=loc.key)
        return True
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise _s3_error(exc, loc, "check") from exc
    except BotoCoreError as exc:
        raise _s3_error(exc, loc, "check") from exc


def get(loc: Location) -> bytes:
    if isinstance(loc, LocalLocation):
        try:
            return loc.path.read_bytes()
        except OSError as exc:
            raise StorageError(f"Could not read {loc.uri}: {exc.strerror}") from exc
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return bytes(_s3().get_object(Bucket=loc.bucket, Key=loc.key)["Body"].read())
    except (ClientError, BotoCoreError) as exc:
        raise _s3_error(exc, loc, "read") from exc


def put_object_atomic(loc: Location, data: bytes, *, content_type: str = "application/json") -> bool:
    """Store ``data`` at ``loc`` unless an object is there already. Returns True if this call
    created it, False if it existed (its content is left as it is). Raises ``StorageError``."""
    if isinstance(loc, LocalLocation):
        return _put_local(loc, data)
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        _s3().put_object(Bucket=loc.bucket, Key=loc.key, Body=data, ContentType=content_type, IfNoneMatch="*")
        return True
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
            return False
        raise _s3_error(exc, loc, "write") from exc
    except BotoCoreError as exc:
        raise _s3_error(exc, loc, "write") from exc


def _put_local(loc: LocalLocation, data: bytes) -> bool:
    try:
        loc.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=loc.path.parent, prefix=".tmp-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            try:
                os.link(tmp, loc.path)
            except FileExistsError:
                return False
            _fsync_dir(loc.path.parent)
            return True
        finally:
            os.unlink(tmp)
    except OSError as exc:
        raise StorageError(f"Could not write {loc.uri} to {loc.path}: {exc.strerror or exc}") from exc


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
