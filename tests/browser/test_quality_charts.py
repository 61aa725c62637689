"""The team lead's worker-quality charts in Chromium: the inline SVG renders (bars with their
numbers, the worker under the threshold in red) under the portal's Content-Security-Policy, with
no violation reported and nothing fetched from elsewhere."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import sync_playwright

from tests.browser.test_portal_e2e import CHROMIUM_ARGS
from tests.conftest import make_org
from tests.reviews.portal_factories import PASSWORD, person_factory
from tests.reviews.test_quality_page import CAT, DOG, scored_flow
from workforce.models import Role

pytestmark = pytest.mark.django_db(transaction=True)

WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation',
  e => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def test_quality_chart_renders_under_the_csp(live_server_url: str) -> None:
    org = make_org()
    scored_flow(org, {"good@chart.test": [CAT, CAT], "poor@chart.test": [DOG, CAT]})
    lead = person_factory(org, role=Role.TEAM_LEAD)
    # Playwright's sync API runs an event loop in this thread: no ORM calls inside this block.
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page()
        console: list[str] = []
        requests: list[str] = []
        page.on("console", lambda m: console.append(m.text))
        page.on("request", lambda r: requests.append(r.url))
        page.add_init_script(WATCH_CSP)
        page.goto(f"{live_server_url}/accounts/login/")
        page.fill("input[name=login]", lead.email)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/login" not in url)
        page.goto(f"{live_server_url}/org/{org.account_id}/#quality")
        svg = page.locator('figure[data-measure="accuracy"] svg')
        svg.wait_for(state="visible")
        box = svg.bounding_box()
        assert box is not None
        assert box["width"] > 300
        assert box["height"] > 40
        bars: list[dict[str, Any]] = page.eval_on_selector_all(
            'figure[data-measure="accuracy"] g.bar',
            """gs => gs.map(g => ({worker: g.dataset.worker, below: g.classList.contains('below'),
                  width: g.querySelector('rect').getBBox().width,
                  fill: getComputedStyle(g.querySelector('rect')).fill,
                  text: g.querySelectorAll('text')[1].textContent}))""",
        )
        assert [b["worker"] for b in bars] == ["good@chart.test", "poor@chart.test"]
        assert [b["below"] for b in bars] == [False, True]
        assert bars[0]["width"] == pytest.approx(340)
        assert bars[1]["width"] == pytest.approx(170)
        assert bars[1]["fill"] == "rgb(192, 57, 43)"
        assert [b["text"] for b in bars] == ["100% n=2", "50% n=2"]
        assert page.locator("table.quality-table tbody tr").count() == 2
        violations = page.evaluate("window.__cspViolations")
        browser.close()
    assert violations == []
    assert not [m for m in console if "Content Security Policy" in m or "Refused to" in m]
    assert all(u.startswith(live_server_url) or u.startswith("data:") for u in requests), requests
