"""First-run setup for `make run`: create the demo organization once, then print where to log in
and the boto3 credentials (every run, from var/demo-credentials.json)."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from workforce.models import Organization
from workforce.services import organization_create, public_pool_get_or_create

DEMO_ORG = "Demo"
DEMO_ADMIN = "admin@loupe.localhost"
#: The demo organization's bucket: output paths under s3://loupe-demo/ land in var/outputs/loupe-demo/.
DEMO_BUCKET = "loupe-demo"


def _outputs_root() -> Path:
    return Path(settings.LOUPE_OUTPUT_ROOTS[0]) if settings.LOUPE_OUTPUT_ROOTS else Path(settings.VAR_DIR) / "outputs"


class Command(BaseCommand):
    help = "Create the demo organization on the first run and print the credentials."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000")

    def handle(self, *args: Any, **opts: Any) -> None:
        public_pool_get_or_create()
        path = Path(settings.VAR_DIR) / "demo-credentials.json"
        creds: dict[str, str] | None = None
        if path.exists():
            creds = json.loads(path.read_text())
            if not Organization.objects.filter(name=creds.get("organization")).exists():
                creds = None  # the database was reset: make the demo again
        if creds is None:
            password = secrets.token_urlsafe(12)
            name = DEMO_ORG
            if Organization.objects.filter(name=name).exists():
                name = f"{DEMO_ORG}-{secrets.token_hex(3)}"
            created = organization_create(name=name, admin_email=DEMO_ADMIN, admin_password=password)
            org = created.organization
            creds = {
                "organization": org.name,
                "admin_email": created.admin.email,
                "admin_password": password,
                "account_id": org.account_id,
                "region": org.region,
                "access_key_id": created.api_key.access_key_id,
                "secret_access_key": created.api_key.secret_access_key,
                "private_workteam_arn": created.workteam.arn,
            }
            path.write_text(json.dumps(creds, indent=2))
            path.chmod(0o600)
        org = Organization.objects.get(name=creds["organization"])
        outputs = self._demo_bucket(org)
        url = opts["url"].rstrip("/")
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "Loupe is starting.",
                    f"  Portal:          {url}/accounts/login/",
                    f"  Admin login:     {creds['admin_email']} / {creds['admin_password']}",
                    "  boto3:",
                    f"    endpoint_url          = {url}",
                    f"    region_name           = {creds['region']}",
                    f"    aws_access_key_id     = {creds['access_key_id']}",
                    f"    aws_secret_access_key = {creds['secret_access_key']}",
                    f"    private workteam ARN  = {creds['private_workteam_arn']}",
                    f"  Outputs:         OutputConfig S3OutputPath s3://{DEMO_BUCKET}/... is written to {outputs}/",
                    "                   (map other buckets with `manage.py bucketmap`, or set AWS_ENDPOINT_URL_S3",
                    "                   and credentials to write to an S3 endpoint)",
                    f"  (saved in {path})",
                    "",
                ]
            )
        )

    @staticmethod
    def _demo_bucket(org: Organization) -> Path:
        """Map the demo bucket to a folder under the output root (once; kept if the user changed it)."""
        from flows.models import BucketMapping
        from flows.services.outputs import bucket_mapping_create

        existing = BucketMapping.objects.filter(organization=org, bucket=DEMO_BUCKET).first()
        if existing is not None:
            return Path(existing.local_path)
        folder = _outputs_root() / DEMO_BUCKET
        folder.mkdir(parents=True, exist_ok=True)
        return Path(bucket_mapping_create(organization=org, bucket=DEMO_BUCKET, local_path=str(folder)).local_path)
