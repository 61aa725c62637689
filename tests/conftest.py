"""Shared fixtures: a live server (the real `manage.py serve`), organizations, boto3 clients."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.live import LiveServer
from workforce.models import ApiKey, Organization, User, Workteam
from workforce.services import organization_create

IN_CI = os.environ.get("CI", "").lower() == "true"


def _retry_flush_on_deadlock() -> None:
    """Transactional tests end with a flush (TRUNCATE on PostgreSQL). The session's live server
    runs housekeeping every couple of seconds (row locks), and PostgreSQL may pick either side as
    a deadlock victim: the flush is retried, as housekeeping retries on its next tick."""
    import time as _time

    from django.core.management.base import CommandError
    from django.test import testcases

    original = testcases.TransactionTestCase._fixture_teardown

    def _fixture_teardown(self: Any) -> None:
        for attempt in range(5):
            try:
                return original(self)
            except CommandError as exc:
                if "deadlock" not in repr(exc.__cause__).lower() or attempt == 4:
                    raise
                _time.sleep(0.2 * (attempt + 1))

    testcases.TransactionTestCase._fixture_teardown = _fixture_teardown  # type: ignore[method-assign]


_retry_flush_on_deadlock()


@pytest.fixture(scope="session")
def live_server_url(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    """Base URL of a live Loupe server on the test database. Tests that use it must commit
    their data (``@pytest.mark.django_db(transaction=True)``) for the server to see it."""
    from moto.server import ThreadedMotoServer

    from tests.live import free_port

    # Its background worker writes outputs to s3:// paths: to moto on 127.0.0.1, never to AWS.
    moto_port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
    moto.start()
    s3_env = {
        "AWS_ENDPOINT_URL_S3": f"http://127.0.0.1:{moto_port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    with django_db_blocker.unblock():
        server = LiveServer(extra_env=s3_env)
    try:
        yield server.url
    finally:
        server.stop()
        moto.stop()


@dataclass
class Org:
    organization: Organization
    admin: User
    api_key: ApiKey
    workteam: Workteam

    @property
    def account_id(self) -> str:
        return self.organization.account_id

    @property
    def region(self) -> str:
        return self.organization.region

    @property
    def api_key_header(self) -> str:
        return f"Api-Key {self.api_key.access_key_id}:{self.api_key.secret_access_key}"

    def boto3_client(self, service: str, endpoint_url: str, **config: Any) -> Any:
        return boto3.client(
            service,
            endpoint_url=endpoint_url,
            region_name=self.region,
            aws_access_key_id=self.api_key.access_key_id,
            aws_secret_access_key=self.api_key.secret_access_key,
            config=Config(retries={"mode": "standard", "max_attempts": 3}, **config),
        )


_org_counter = 0


def make_org(name: str | None = None) -> Org:
    global _org_counter
    _org_counter += 1
    name = name or f"org-{os.getpid()}-{_org_counter}"
    created = organization_create(
        name=name, admin_email=f"admin-{_org_counter}@{name}.test", admin_password="pw-Admin-123!"
    )
    return Org(created.organization, created.admin, created.api_key, created.workteam)


@pytest.fixture
def org(db: None) -> Org:
    return make_org()


@pytest.fixture
def other_org(db: None) -> Org:
    return make_org()
