"""Browser tests of Loupe's crowd elements (static/crowd/): one Chromium per test module, a fresh
context per test, pages served by a tiny local HTTP server over a temp dir that links static/crowd.

Every request that would leave 127.0.0.1 is intercepted: external images get a local placeholder
(and are counted as handled), anything else external is aborted and recorded as a violation.
Console errors and uncaught page errors are collected and asserted empty by the `page` fixture.
"""

from __future__ import annotations

import io
import json
import struct
import threading
import wave
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Browser, Page, Route, sync_playwright

REPO = Path(__file__).resolve().parents[3]
STATIC_CROWD = REPO / "static" / "crowd"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PHOTO_SIZE = (400, 300)
BIG_SIZE = (1600, 1200)


def png_bytes(size: tuple[int, int], seed: int = 0) -> bytes:
    im = Image.new("RGB", size, (200, 210, 220))
    d = ImageDraw.Draw(im)
    for i in range(0, size[0], 40):
        d.line([(i, 0), (i, size[1])], fill=(150 + seed % 100, 160, 170))
    d.rectangle([size[0] // 4, size[1] // 4, size[0] // 2, size[1] // 2], fill=(90, 120, 200))
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


def wav_bytes() -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(struct.pack("<" + "h" * 800, *([0] * 800)))
    return buf.getvalue()


MEDIA_BUCKET = "/loupe-bench/"


class _Handler(SimpleHTTPRequestHandler):
    """Static files of the site, plus any object under /loupe-bench/ (what the test signer turns
    s3://loupe-bench/... into): a WAV for audio names, a PNG for everything else."""

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        if self.path.startswith(MEDIA_BUCKET):
            audio = self.path.lower().endswith((".mp3", ".wav", ".ogg"))
            body = WAV if audio else PHOTO_PNG
            self.send_response(200)
            self.send_header("Content-Type", "audio/wav" if audio else "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def end_headers(self) -> None:
        csp = getattr(self.server, "frame_csp", "")
        if csp and self.path.startswith("/frame/"):
            self.send_header("Content-Security-Policy", csp)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


PHOTO_PNG = png_bytes(PHOTO_SIZE)
WAV = wav_bytes()


@dataclass
class Site:
    root: Path
    base_url: str
    placeholder_png: bytes
    server: ThreadingHTTPServer

    def set_frame_csp(self, csp: str) -> None:
        """Serve pages under /frame/ with this Content-Security-Policy header."""
        self.server.frame_csp = csp  # type: ignore[attr-defined]

    def write(self, name: str, html: str) -> str:
        (self.root / name).write_text(html, encoding="utf-8")
        return f"{self.base_url}/{name}"


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("crowd-site")
    (root / "static").mkdir()
    (root / "static" / "crowd").symlink_to(STATIC_CROWD)
    media = root / "media"
    media.mkdir()
    (media / "photo.png").write_bytes(png_bytes(PHOTO_SIZE))
    (media / "big.png").write_bytes(png_bytes(BIG_SIZE, seed=7))
    (media / "clip.wav").write_bytes(wav_bytes())
    (root / "frame").mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(
            root=root,
            base_url=f"http://127.0.0.1:{server.server_address[1]}",
            placeholder_png=png_bytes((64, 48)),
            server=server,
        )
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@dataclass
class Guard:
    """What the page tried to do that a test must see: external requests and errors."""

    site: Site
    violations: list[str] = field(default_factory=list)
    handled: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    allow_console: list[str] = field(default_factory=list)

    def route(self, route: Route) -> None:
        req = route.request
        url = req.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about"):
            route.continue_()
            return
        if parts.hostname == "127.0.0.1" and url.startswith(self.site.base_url):
            route.continue_()
            return
        if req.resource_type in ("image", "media") or parts.path.lower().endswith((".png", ".jpg", ".jpeg", ".gif")):
            self.handled.append(url)
            route.fulfill(status=200, content_type="image/png", body=self.site.placeholder_png)
            return
        if parts.hostname == "platform.twitter.com":
            # the tweet templates' widget script cannot work offline; the task works with the plain quote
            self.handled.append(url)
            route.fulfill(status=200, content_type="text/javascript", body="/* offline */")
            return
        self.violations.append(url)
        route.abort()

    def console(self, msg: Any) -> None:
        if msg.type == "error" and not any(a in msg.text for a in self.allow_console):
            self.errors.append(f"console: {msg.text}")

    def page_error(self, exc: Any) -> None:
        self.errors.append(f"pageerror: {exc}")


INIT_SCRIPT = """
window.__answers = [];
window.__readyCount = 0;
document.addEventListener('crowd-submit', function (e) { window.__answers.push(e.detail.answerContent); });
document.addEventListener('all-crowd-elements-ready', function () { window.__readyCount++; });
document.addEventListener('securitypolicyviolation', function (e) {
  console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI);
});
"""


@pytest.fixture
def guard(site: Site) -> Guard:
    return Guard(site=site)


@pytest.fixture
def page(browser: Browser, guard: Guard) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.route("**/*", guard.route)
    context.add_init_script(INIT_SCRIPT)
    pg = context.new_page()
    pg.on("console", guard.console)
    pg.on("pageerror", guard.page_error)
    try:
        yield pg
        assert guard.errors == [], guard.errors
        assert guard.violations == [], guard.violations
    finally:
        context.close()


def crowd_page(body: str, head: str = "") -> str:
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        '<script src="/static/crowd/crowd-html-elements.js"></script>'
        f"{head}</head><body>{body}</body></html>"
    )


def open_page(page: Page, site: Site, body: str, name: str = "t.html", head: str = "") -> None:
    page.goto(site.write(name, crowd_page(body, head)))
    page.wait_for_function("window.__readyCount > 0")


def submit(page: Page, locator: str = "[data-testid=crowd-submit]") -> dict[str, Any]:
    """Click the visible Submit button and return the answerContent the form delivered."""
    before = page.evaluate("window.__answers.length")
    page.locator(locator).locator("visible=true").first.click()
    page.wait_for_function(f"window.__answers.length > {before}")
    return page.evaluate("window.__answers[window.__answers.length - 1]")


def try_submit(page: Page, locator: str = "[data-testid=crowd-submit]") -> int:
    """Click Submit; return how many answers were delivered so far (after a short wait)."""
    page.locator(locator).locator("visible=true").first.click()
    page.wait_for_timeout(150)
    return page.evaluate("window.__answers.length")


def canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))
