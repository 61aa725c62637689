from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from workforce.models import Organization, Workteam
from workforce.services import worker_add


class Command(BaseCommand):
    help = "Add a verified worker to a work team of an organization (its default team if --team is not given)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="Organization name")
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--team", help="Work team name (default: the organization's default team)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        org = Organization.objects.filter(name=opts["org"]).first()
        if org is None:
            raise CommandError(f"No organization named {opts['org']!r}.")
        team = None
        if opts["team"]:
            team = Workteam.objects.filter(organization=org, name=opts["team"]).first()
            if team is None:
                raise CommandError(f"No work team named {opts['team']!r} in {org.name!r}.")
        user, team = worker_add(organization=org, email=opts["email"], password=opts["password"], workteam=team)
        result = {
            "organization": org.name,
            "email": user.email,
            "worker_id": user.worker_id,
            "workteam": team.name,
            "workteam_arn": team.arn,
        }
        if opts["json"]:
            self.stdout.write(json.dumps(result))
        else:
            for key, value in result.items():
                self.stdout.write(f"{key}: {value}")
