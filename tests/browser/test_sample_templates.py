"""Every sample template of a2i-task-uis/ through the preview page, in Chromium, against a live
server whose S3 endpoint is moto's server mode: it renders, loads our crowd elements, loads its
media (presigned S3 objects and signed local files) and nothing else, with no console error and
no request leaving the machine."""

from __future__ import annotations

import io
import json
import os
import struct
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from django.conf import settings
from moto.server import ThreadedMotoServer
from PIL import Image
from playwright.sync_api import Browser, Page, Route, sync_playwright

from bench.render import DEFAULT_SAMPLES, SAMPLE_INPUT, sample_templates
from tests.browser.test_sandbox import ADMIN_PASSWORD, CHROMIUM_ARGS, sign_in
from tests.conftest import make_org
from tests.live import LiveServer, free_port

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: The one sample whose task is a third-party page in an <iframe> (a YouTube embed): the frame
#: policy refuses nested frames, by design (spec/crowd-elements.md §4.6).
NESTED_FRAME_SAMPLES = {"video/video-classification-youtube.liquid.html"}


def png(size: tuple[int, int] = (320, 240)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (120, 160, 200)).save(buf, format="PNG")
    return buf.getvalue()


def wav() -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(struct.pack("<" + "h" * 800, *([0] * 800)))
    return buf.getvalue()


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    s3 = boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
    )
    s3.create_bucket(Bucket="loupe-bench")
    # CORS, as A2I requires on input buckets: the frame's origin is opaque.
    s3.put_bucket_cors(
        Bucket="loupe-bench",
        CORSConfiguration={"CORSRules": [{"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}]},
    )
    for key in ("forms/page-1.png", "images/pool.jpg"):
        s3.put_object(Bucket="loupe-bench", Key=key, Body=png(), ContentType="image/png")
    try:
        yield endpoint
    finally:
        server.stop()


@pytest.fixture(scope="module")
def server(s3_endpoint: str, django_db_setup: None, django_db_blocker: Any) -> Iterator[LiveServer]:
    with django_db_blocker.unblock():
        live = LiveServer(
            extra_env={
                "AWS_ENDPOINT_URL_S3": s3_endpoint,
                "AWS_ACCESS_KEY_ID": "t",
                "AWS_SECRET_ACCESS_KEY": "t",
                "AWS_DEFAULT_REGION": "us-east-1",
            },
            worker=False,
        )
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def local_input(account_id: str) -> dict[str, Any]:
    """SAMPLE_INPUT with every s3:// object swapped for a local file of the organization (signed
    /task-media/ URLs), except the built-in aiServiceRequest objects, which stay on S3."""
    root = Path(settings.MEDIA_ROOT) / account_id
    root.mkdir(parents=True, exist_ok=True)
    image, audio = root / "photo.png", root / "clip.wav"
    image.write_bytes(png())
    audio.write_bytes(wav())

    def swap(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: (v if k == "aiServiceRequest" else swap(v, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [swap(v, key) for v in value]
        if isinstance(value, str) and value.startswith("s3://"):
            return (audio if "audio" in key.lower() else image).as_uri()
        return value

    return swap(SAMPLE_INPUT)


def test_every_sample_template_loads_in_the_real_frame(browser: Browser, server: LiveServer, s3_endpoint: str) -> None:
    org = make_org()
    task_input = json.dumps(local_input(org.account_id))
    local_netlocs = {urlsplit(server.url).netloc, urlsplit(s3_endpoint).netloc}
    escaped: list[str] = []
    console: list[tuple[str, str]] = []
    failed: list[tuple[str, str, str]] = []
    current = {"name": ""}

    def route(r: Route) -> None:
        if urlsplit(r.request.url).netloc in local_netlocs or r.request.url.startswith(("data:", "blob:")):
            r.continue_()
        else:
            escaped.append(f"{current['name']}: {r.request.url}")
            r.abort()

    context = browser.new_context()
    page: Page = context.new_page()
    page.route("**/*", route)
    page.on("console", lambda m: console.append((current["name"], m.text)) if m.type == "error" else None)
    page.on("pageerror", lambda e: console.append((current["name"], f"uncaught: {e}")))
    page.on("requestfailed", lambda r: failed.append((current["name"], r.url, r.failure or "")))
    try:
        sign_in(page, server.url, org.admin.email, ADMIN_PASSWORD)
        page.goto(f"{server.url}/task-uis/preview/")
        page.fill("#input", task_input)
        problems: dict[str, Any] = {}
        for path in sample_templates(DEFAULT_SAMPLES):
            name = str(path.relative_to(DEFAULT_SAMPLES))
            current["name"] = name
            before = page.locator("#task-frame").get_attribute("src")
            page.fill("#template", path.read_text(encoding="utf-8"))
            page.click("#render")
            page.wait_for_function(
                "(before) => document.getElementById('task-frame').getAttribute('src') !== before"
                " || document.getElementById('errors').textContent !== ''",
                arg=before,
            )
            errors = page.locator("#errors").text_content()
            if errors:
                problems[name] = errors
                continue
            handle = page.locator("#task-frame").element_handle()
            assert handle is not None
            frame = handle.content_frame()
            assert frame is not None
            src = page.locator("#task-frame").get_attribute("src")
            frame.wait_for_url(f"{server.url}{src}", wait_until="load")
            try:
                defined = frame.evaluate("() => !!customElements.get('crowd-form')")
            except Exception as exc:  # a template that navigates its frame away
                problems[name] = f"frame navigated: {exc}"
                continue
            if not defined:
                problems[name] = "crowd elements not defined"
        page.wait_for_timeout(300)
    finally:
        context.close()

    assert problems == {}
    assert escaped == []
    unexpected = [(name, text) for name, text in console if name not in NESTED_FRAME_SAMPLES]
    assert unexpected == []
    assert [f for f in failed if f[0] not in NESTED_FRAME_SAMPLES and "ERR_ABORTED" not in f[2]] == []
