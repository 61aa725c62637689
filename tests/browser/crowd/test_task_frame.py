"""The elements inside a task frame like the one reviews/taskframe.py serves: a sandboxed iframe
(opaque origin) with the frame's real Content-Security-Policy and taskui's frame-bridge.js. The
answer must reach the parent page by postMessage, with no CSP violation and no console error."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from bench.render import DEFAULT_SAMPLES
from reviews.rendering import template_render
from reviews.taskframe import content_security_policy

from .conftest import PHOTO_SIZE, Site
from .test_samples import LocalSigner, task_input

pytestmark = pytest.mark.browser

OUTER = """<!doctype html><html><body style="margin:0">
<iframe id="f" sandbox="allow-scripts allow-forms" src="/frame/{name}"
  style="width:1240px;height:760px;border:0"></iframe>
<script>
  window.__msgs = [];
  addEventListener('message', function (e) {
    if (e.source === document.getElementById('f').contentWindow) window.__msgs.push(e.data);
  });
</script></body></html>"""


def frame_page(page: Page, site: Site, sample: str) -> None:
    site.set_frame_csp(content_security_policy(self_origin=site.base_url, media_origins=()))
    content = (DEFAULT_SAMPLES / sample).read_text(encoding="utf-8")
    result = template_render(content=content, task_input=task_input(site, sample), media=LocalSigner(site.base_url))
    assert result.ok, result.errors
    head = (
        '<meta charset="utf-8"><meta name="loupe-frame-token" content="token-1">'
        '<script src="/static/crowd/frame-bridge.js"></script>'
    )
    name = sample.replace("/", "-")
    (site.root / "frame" / name).write_text(
        f"<!DOCTYPE html><html><head>{head}</head><body>{result.html}</body></html>", encoding="utf-8"
    )
    page.goto(site.write(f"outer-{name}", OUTER.replace("{name}", name)))
    page.frame_locator("#f").locator("[data-testid=crowd-submit]").first.wait_for()


def answer_from_parent(page: Page) -> dict:
    page.wait_for_function("window.__msgs.length > 0")
    msgs = page.evaluate("window.__msgs")
    assert len(msgs) == 1
    assert msgs[0]["source"] == "loupe-task-frame"
    assert msgs[0]["type"] == "submit"
    assert msgs[0]["token"] == "token-1"
    return msgs[0]["answerContent"]


def test_bounding_box_in_the_sandboxed_frame_posts_its_answer_to_the_parent(page: Page, site: Site) -> None:
    frame_page(page, site, "images/bounding-box.liquid.html")
    frame = page.frame_locator("#f")
    canvas = frame.locator("canvas.upper-canvas")
    frame.locator("crowd-bounding-box").evaluate(
        "el => new Promise(r => { const t = () => el.viewer.loaded ? r(0) : setTimeout(t, 20); t(); })"
    )
    box = canvas.bounding_box()
    assert box
    sx = box["width"] / PHOTO_SIZE[0]
    page.mouse.move(box["x"] + 20 * sx, box["y"] + 30 * sx)
    page.mouse.down()
    page.mouse.move(box["x"] + 120 * sx, box["y"] + 90 * sx, steps=4)
    page.mouse.up()
    frame.locator("[data-testid=crowd-submit]").first.click()
    answer = answer_from_parent(page)
    boxes = answer["annotatedResult"]["boundingBoxes"]
    assert len(boxes) == 1
    assert abs(boxes[0]["left"] - 20) <= 1
    assert abs(boxes[0]["width"] - 100) <= 1
    assert answer["annotatedResult"]["inputImageProperties"] == {"height": PHOTO_SIZE[1], "width": PHOTO_SIZE[0]}
    # the frame never sees the parent: the bridge is the only way out
    assert page.evaluate("window.__answers") == []


def test_segmentation_mask_export_works_under_the_frame_policy(page: Page, site: Site) -> None:
    frame_page(page, site, "images/semantic-segmentation.liquid.html")
    frame = page.frame_locator("#f")
    frame.locator("crowd-semantic-segmentation").evaluate(
        "el => new Promise(r => { const t = () => el.viewer.loaded ? r(0) : setTimeout(t, 20); t(); })"
    )
    box = frame.locator("canvas.upper-canvas").bounding_box()
    assert box
    page.mouse.move(box["x"] + 30, box["y"] + 30)
    page.mouse.down()
    page.mouse.move(box["x"] + 90, box["y"] + 40, steps=4)
    page.mouse.up()
    frame.locator("[data-testid=crowd-submit]").first.click()
    result = answer_from_parent(page)["annotatedResult"]
    assert result["labeledImage"]["pngImageData"].startswith("iVBOR")
    assert result["labelMappings"] == {
        "Bird": {"color": "#2ca02c"},
        "Cat": {"color": "#1f77b4"},
        "Dog": {"color": "#ff7f0e"},
    }


def test_moderation_review_in_the_frame(page: Page, site: Site) -> None:
    frame_page(page, site, "images/rekognition_detect_moderation.liquid.html")
    frame = page.frame_locator("#f")
    frame.locator(".choice.cat", has_text="Suggestive").click()
    frame.locator("[data-testid=crowd-submit]").first.click()
    assert answer_from_parent(page) == {
        "AWS/Rekognition/DetectModerationLabels/Image/V3": {
            "moderationLabels": [{"name": "Suggestive", "parentName": ""}]
        }
    }
