"""`manage.py bootstrap_demo` (what `make run` runs first): the demo organization once, its
credentials, and its output bucket mapped to a folder, so outputs land without any S3."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

from flows.models import BucketMapping
from workforce.models import Organization


@pytest.mark.django_db
def test_the_demo_is_made_once_with_its_bucket_mapped(tmp_path: Path) -> None:
    outputs = tmp_path / "outputs"
    with override_settings(VAR_DIR=tmp_path, LOUPE_OUTPUT_ROOTS=[str(outputs)]):
        first = io.StringIO()
        call_command("bootstrap_demo", "--url", "http://127.0.0.1:8000", stdout=first)
        again = io.StringIO()
        call_command("bootstrap_demo", "--url", "http://127.0.0.1:8000", stdout=again)
    creds = json.loads((tmp_path / "demo-credentials.json").read_text())
    org = Organization.objects.get(name=creds["organization"])
    mapping = BucketMapping.objects.get(organization=org)
    assert (mapping.bucket, Path(mapping.local_path)) == ("loupe-demo", outputs / "loupe-demo")
    assert (outputs / "loupe-demo").is_dir()
    assert f"s3://loupe-demo/... is written to {outputs / 'loupe-demo'}/" in first.getvalue()
    assert creds["access_key_id"] in first.getvalue()
    # a second run keeps the organization, the credentials and the one mapping
    assert Organization.objects.filter(name=creds["organization"]).count() == 1
    assert BucketMapping.objects.filter(organization=org).count() == 1
    assert creds["secret_access_key"] in again.getvalue()
