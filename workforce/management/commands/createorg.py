from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from workforce.services import OrganizationExists, organization_create


class Command(BaseCommand):
    help = "Create an organization with its admin, private workforce, default team and an API key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--admin-password")
        parser.add_argument("--json", action="store_true", help="Print the result as one JSON object.")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            created = organization_create(
                name=opts["name"], admin_email=opts["admin_email"], admin_password=opts["admin_password"]
            )
        except (OrganizationExists, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        org = created.organization
        result = {
            "organization": org.name,
            "account_id": org.account_id,
            "region": org.region,
            "access_key_id": created.api_key.access_key_id,
            "secret_access_key": created.api_key.secret_access_key,
            "private_workteam_arn": created.workteam.arn,
            "admin_email": created.admin.email,
        }
        if opts["json"]:
            self.stdout.write(json.dumps(result))
        else:
            for key, value in result.items():
                self.stdout.write(f"{key}: {value}")
