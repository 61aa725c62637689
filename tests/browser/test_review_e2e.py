"""The review stage in Chromium against the real server: a team lead keeps the reviews page open;
a worker's answer (worker REST API) makes a review appear there without a reload; the lead opens
it, is told when the corrected answer is not valid JSON, corrects it, and the loop completes with
the corrected answer."""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import Page, expect, sync_playwright

from flows.models import HumanLoopStatus
from reviews.models import LoopReview, ReviewStatus
from reviews.services import flow_review_set
from tests.browser.test_portal_e2e import CHROMIUM_ARGS
from tests.conftest import make_org
from tests.live import LiveServer
from tests.reviews.portal_factories import PASSWORD, click_flow, loops_factory, member_of, person_factory
from workforce.models import Role


@pytest.mark.django_db(transaction=True)
def test_a_team_lead_corrects_an_answer_in_the_browser() -> None:
    # given a flow with review on, one loop, a worker (with a token) and a team lead
    org = make_org()
    flow = click_flow(org)
    flow_review_set(organization=org.organization, flow=flow, enabled=True)
    (loop,) = loops_factory(org, flow, 1)
    lead = person_factory(org, role=Role.TEAM_LEAD)
    worker = member_of(org.workteam, person_factory(org))
    server = LiveServer()
    try:
        token = requests.post(
            f"{server.url}/api/v1/worker/token", json={"email": worker.email, "password": PASSWORD}, timeout=30
        ).json()["token"]
        # Playwright's sync API runs an event loop in this thread: no ORM calls inside this block.
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_context().new_page()
            _review_in_browser(page, server.url, lead.email, token, loop.name)
            browser.close()
    finally:
        server.stop()
    # then the loop completed with the corrected answer
    loop.refresh_from_db()
    assert loop.status == HumanLoopStatus.COMPLETED
    assert loop.consolidated_answer == {"answerContent": {"label": "fox"}, "confidence": 1.0, "method": "review"}
    review = LoopReview.objects.get(loop=loop)
    assert review.status == ReviewStatus.CORRECTED
    assert review.reviewer_id == lead.pk
    assert review.note == "a fox, not a cat"


def _review_in_browser(page: Page, base: str, lead_email: str, token: str, loop_name: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", lead_email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{base}/reviews/")
    expect(page.locator("#pending-count")).to_have_text("0")
    page.wait_for_timeout(500)  # the page's WebSocket is connected
    # when the worker answers through the worker API
    auth = {"Authorization": f"Token {token}"}
    claimed = requests.post(f"{base}/api/v1/worker/tasks/claim", json={}, headers=auth, timeout=30)
    assert claimed.status_code == 200, claimed.text
    submitted = requests.post(
        f"{base}/api/v1/worker/tasks/{claimed.json()['task_id']}/submit",
        json={"answerContent": {"label": "cat"}},
        headers=auth,
        timeout=30,
    )
    assert submitted.status_code == 200, submitted.text
    # then the review appears without a reload
    expect(page.locator("#pending-count")).to_have_text("1", timeout=15000)
    page.click(f"text={loop_name}")
    expect(page.locator("#loop-status")).to_have_text("InProgress")
    expect(page.locator("#proposed-answer")).to_contain_text('"label": "cat"')
    expect(page.locator("#answer")).to_have_value('{\n  "label": "cat"\n}')
    # a broken correction is refused on the page
    page.fill("#answer", '{"label": "fox"')
    expect(page.locator("#answer-error")).to_contain_text("not valid JSON")
    page.click("#correct")
    expect(page.locator("#answer-error")).to_be_visible()
    expect(page.locator("#loop-status")).to_have_text("InProgress")
    # when the lead corrects it properly
    page.fill("#answer", '{"label": "fox"}')
    expect(page.locator("#answer-error")).to_be_hidden()
    page.fill("#correct-note", "a fox, not a cat")
    page.click("#correct")
    expect(page.locator(".messages")).to_contain_text("Corrected")
    expect(page.locator("#loop-status")).to_have_text("Completed")
    expect(page.locator("#review-status")).to_have_text("corrected")
    expect(page.locator("#final-answer")).to_contain_text('"label": "fox"')
