"""Bucket mappings: an organization's ``s3://<bucket>`` written to a local folder instead of S3."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction

from flows.errors import InUse, InvalidInput, NotFound
from flows.models import BucketMapping
from workforce.models import Organization

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")


def output_roots() -> list[Path]:
    """The folders (``LOUPE_OUTPUT_ROOTS``) under which mapped folders must lie: the server's
    operator decides where organizations may have files written."""
    return [Path(p).resolve() for p in settings.LOUPE_OUTPUT_ROOTS]


def _check_path(local_path: str) -> Path:
    if not isinstance(local_path, str) or not local_path.strip():
        raise InvalidInput("localPath is required.", field="localPath")
    path = Path(local_path.strip())
    if not path.is_absolute():
        raise InvalidInput("localPath must be an absolute path.", field="localPath")
    resolved = path.resolve()
    roots = output_roots()
    if not any(resolved == root or root in resolved.parents for root in roots):
        allowed = ", ".join(str(r) for r in roots)
        raise InvalidInput(f"localPath must lie under one of the output roots: {allowed}.", field="localPath")
    try:
        resolved.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidInput(f"localPath {resolved} cannot be created: {exc.strerror}.", field="localPath") from None
    if not resolved.is_dir():
        raise InvalidInput(f"localPath {resolved} is not a folder.", field="localPath")
    return resolved


def bucket_mapping_create(*, organization: Organization, bucket: str, local_path: str) -> BucketMapping:
    """Map ``s3://<bucket>`` to a folder. Raises ``InvalidInput`` (bad name, path outside the
    output roots) or ``InUse`` (the bucket is mapped already)."""
    if not isinstance(bucket, str) or not _BUCKET.match(bucket):
        raise InvalidInput(
            "bucket must be an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens.", field="bucket"
        )
    path = _check_path(local_path)
    try:
        with transaction.atomic():
            return BucketMapping.objects.create(organization=organization, bucket=bucket, local_path=str(path))
    except IntegrityError:
        raise InUse(f"Bucket {bucket} is mapped already; delete the mapping first.", field="bucket") from None


def bucket_mapping_delete(*, organization: Organization, bucket: str) -> None:
    deleted, _ = BucketMapping.objects.filter(organization=organization, bucket=bucket).delete()
    if not deleted:
        raise NotFound(f"Bucket {bucket} is not mapped.", field="bucket")
