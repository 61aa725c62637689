"""The two commands' building blocks: createorg/addworker contracts and the live server."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request

import pytest
from django.core.management import call_command

from tests.live import ROOT
from workforce.models import Membership, Organization, TeamMembership, User


@pytest.mark.django_db
def test_createorg_prints_the_contract_json(capsys: pytest.CaptureFixture[str]) -> None:
    # when
    call_command("createorg", "--name", "Acme", "--admin-email", "boss@acme.test", "--json")
    # then
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {
        "organization",
        "account_id",
        "region",
        "access_key_id",
        "secret_access_key",
        "private_workteam_arn",
        "admin_email",
    }
    org = Organization.objects.get(name="Acme")
    assert out["account_id"] == org.account_id
    assert len(org.account_id) == 12
    assert org.account_id.isdigit()
    assert (
        out["private_workteam_arn"] == f"arn:aws:sagemaker:{org.region}:{org.account_id}:workteam/private-crowd/default"
    )
    assert out["admin_email"] == "boss@acme.test"
    assert Membership.objects.get(organization=org, user__email="boss@acme.test").role == "admin"


@pytest.mark.django_db
def test_createorg_refuses_a_duplicate_name() -> None:
    call_command("createorg", "--name", "Acme", "--admin-email", "boss@acme.test", "--json")
    with pytest.raises(Exception, match="already exists"):
        call_command("createorg", "--name", "Acme", "--admin-email", "other@acme.test", "--json")
    assert Organization.objects.filter(name="Acme").count() == 1


@pytest.mark.django_db
def test_addworker_adds_a_verified_worker_to_the_team(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("createorg", "--name", "Acme", "--admin-email", "boss@acme.test", "--json")
    capsys.readouterr()
    # when
    call_command("addworker", "--org", "Acme", "--email", "Worker@Acme.test", "--password", "pw-W0rker!", "--json")
    # then
    out = json.loads(capsys.readouterr().out)
    user = User.objects.get(email="worker@acme.test")
    assert user.check_password("pw-W0rker!")
    assert user.emailaddress_set.get().verified  # type: ignore[attr-defined]
    assert TeamMembership.objects.filter(user=user, workteam__name="default").exists()
    assert out["worker_id"] == user.worker_id
    assert len(user.worker_id) == 16


@pytest.mark.django_db
def test_addworker_unknown_org_is_a_clear_error() -> None:
    with pytest.raises(Exception, match="No organization named 'Nope'"):
        call_command("addworker", "--org", "Nope", "--email", "w@x.test", "--password", "pw-W0rker!")


def test_createorg_from_the_command_line_exits_nonzero_on_missing_arguments() -> None:
    proc = subprocess.run([sys.executable, "manage.py", "createorg"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode != 0
    assert "--name" in proc.stderr


@pytest.mark.django_db(transaction=True)
def test_live_server_serves_the_openapi_schema(live_server_url: str) -> None:
    with urllib.request.urlopen(f"{live_server_url}/api/schema/?format=json") as resp:
        schema = json.load(resp)
    assert schema["openapi"].startswith("3.")
