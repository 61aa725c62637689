"""Map an organization's S3 bucket to a local folder (outputs land there instead of S3).

manage.py bucketmap --org ORG --bucket BUCKET --path /srv/loupe/outputs/ORG   # add
manage.py bucketmap --org ORG --delete --bucket BUCKET                          # remove
manage.py bucketmap --org ORG                                                   # list
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from flows.errors import LoupeError
from flows.selectors.results import bucket_mappings_for_organization
from flows.services.outputs import bucket_mapping_create, bucket_mapping_delete
from workforce.models import Organization


class Command(BaseCommand):
    help = "List, add or delete an organization's bucket-to-folder mappings."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="Organization name or 12-digit account id.")
        parser.add_argument("--bucket", help="S3 bucket name.")
        parser.add_argument("--path", help="Absolute folder under one of LOUPE_OUTPUT_ROOTS.")
        parser.add_argument("--delete", action="store_true", help="Remove the bucket's mapping.")
        parser.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: Any, **opts: Any) -> None:
        org = (
            Organization.objects.filter(name=opts["org"]).first()
            or Organization.objects.filter(account_id=opts["org"]).first()
        )
        if org is None:
            raise CommandError(f"There is no organization {opts['org']!r}.")
        try:
            if opts["delete"]:
                if not opts["bucket"]:
                    raise CommandError("--delete needs --bucket.")
                bucket_mapping_delete(organization=org, bucket=opts["bucket"])
            elif opts["bucket"] or opts["path"]:
                if not (opts["bucket"] and opts["path"]):
                    raise CommandError("Adding a mapping needs both --bucket and --path.")
                bucket_mapping_create(organization=org, bucket=opts["bucket"], local_path=opts["path"])
        except LoupeError as exc:
            raise CommandError(exc.message) from None
        rows = [{"bucket": m.bucket, "local_path": m.local_path} for m in bucket_mappings_for_organization(org)]
        if opts["json"]:
            self.stdout.write(json.dumps(rows))
        else:
            for row in rows:
                self.stdout.write(f"s3://{row['bucket']} -> {row['local_path']}")
