"""The portal end to end, in Chromium against the real server (``manage.py serve``): a team lead
invites a worker; the worker opens the e-mailed link, sets a password, signs in, sees the work,
claims it, submits it in the sandboxed task frame; the team lead's page updates without a reload.
"""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from flows.models import Answer, FlowDefinition, HumanLoopStatus
from tests.conftest import Org, make_org
from tests.live import ROOT, LiveServer
from tests.reviews.portal_factories import PASSWORD, click_flow, loops_factory, person_factory
from workforce.models import Role

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture
def mail_dir() -> Iterator[Path]:
    relative = f"var/mail-e2e-{uuid.uuid4().hex[:10]}"
    path = ROOT / relative
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _invitation_link(mail_dir: Path, email: str) -> str:
    for f in sorted(mail_dir.glob("*")):
        text = f.read_text(errors="replace")
        if f"To: {email}" in text:
            match = re.search(r"https?://\S+/invitations/[A-Za-z0-9_\-]+/", text)
            assert match, text
            return match.group(0)
    raise AssertionError(f"No mail to {email} in {mail_dir}: {[p.name for p in mail_dir.glob('*')]}")


@pytest.mark.django_db(transaction=True)
def test_lead_invites_worker_who_claims_and_submits_while_lead_page_updates_live(mail_dir: Path) -> None:
    # given an organization with a team lead, and a flow on its default team with one loop waiting
    org = make_org()
    lead = person_factory(org, role=Role.TEAM_LEAD)
    flow = click_flow(org)
    (loop,) = loops_factory(org, flow, 1)
    worker_email = f"new-worker-{uuid.uuid4().hex[:8]}@portal.test"
    server = LiveServer(extra_env={"EMAIL_URL": f"filemail:///{mail_dir.relative_to(ROOT)}"})
    try:
        # Playwright's sync API runs an event loop in this thread: no ORM calls inside this block.
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            _lead_and_worker(browser, server.url, org, lead.email, flow, worker_email, mail_dir)
            browser.close()
    finally:
        server.stop()

    answer = Answer.objects.select_related("worker").get(loop=loop)
    assert answer.worker.email == worker_email
    assert answer.answer_content == {"label": "cat"}
    loop.refresh_from_db()
    assert loop.status == HumanLoopStatus.COMPLETED


def _lead_and_worker(
    browser: Browser, base: str, org: Org, lead_email: str, flow: FlowDefinition, worker_email: str, mail_dir: Path
) -> None:
    lead_page = browser.new_context().new_page()
    worker_page = browser.new_context().new_page()

    # when the team lead signs in and invites the worker to the default team
    lead_page.goto(f"{base}/accounts/login/")
    lead_page.fill("input[name=login]", lead_email)
    lead_page.fill("input[name=password]", PASSWORD)
    lead_page.click("button[type=submit]")
    lead_page.goto(f"{base}/org/{org.account_id}/")
    lead_page.fill("#invite-email", worker_email)
    lead_page.select_option("#invite-team", str(org.workteam.pk))
    lead_page.click("#invite-send")
    expect(lead_page.locator("#invitations")).to_contain_text(worker_email)
    expect(lead_page.locator(f'#progress tr[data-flow="{flow.name}"] td.open')).to_have_text("1")
    lead_page.evaluate("window.__notReloaded = true")

    # and the worker opens the e-mailed link, sets a password and signs in
    link = _invitation_link(mail_dir, worker_email)
    assert link.startswith(base)
    worker_page.goto(link)
    expect(worker_page.locator("h1")).to_contain_text(org.workteam.name)
    worker_page.fill("#id_password1", "Str0ng-new-pass!")
    worker_page.fill("#id_password2", "Str0ng-new-pass!")
    worker_page.click("#create-account")
    worker_page.wait_for_url(re.compile(r".*/accounts/login/.*"))
    worker_page.fill("input[name=login]", worker_email)
    worker_page.fill("input[name=password]", "Str0ng-new-pass!")
    worker_page.click("button[type=submit]")

    # then the worker sees the work
    worker_page.wait_for_url(f"{base}/")
    expect(worker_page.locator(f'#work-rows tr[data-flow-id="{flow.pk}"] td.count')).to_have_text("1")

    # when they start working, the task arrives in the sandboxed frame, and they submit it
    worker_page.click("#start-working")
    frame = worker_page.frame_locator("#task-frame")
    expect(frame.locator("#question")).to_contain_text("picture")
    expect(worker_page.locator("#time-left")).to_contain_text("Time left")
    # the team lead sees the task in progress without reloading
    expect(lead_page.locator(f'#progress tr[data-flow="{flow.name}"] td.in-progress')).to_have_text("1")
    frame.locator("#answer-yes").click()

    # then the session waits for more work, and the team lead's page shows the answer live
    expect(worker_page.locator("#waiting")).to_be_visible()
    expect(lead_page.locator(f'#progress tr[data-flow="{flow.name}"] td.done')).to_have_text("1")
    expect(lead_page.locator(f'#workers tr[data-worker="{worker_email}"] td.answers')).to_have_text("1")
    expect(lead_page.locator(f'#invitations tr[data-email="{worker_email}"] td.state')).to_have_text("accepted")
    assert lead_page.evaluate("window.__notReloaded") is True
