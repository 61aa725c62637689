"""taskui's pre-built review UIs (reviews/prebuilt/) run on these elements: each renders with its
example input, loads without errors and submits; the bounding-box review starts from the model's
boxes, unmodified until the reviewer changes them."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from reviews.prebuilt import PrebuiltUi, prebuilt_list
from reviews.rendering import template_render

from .conftest import Site
from .test_samples import interact

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("item", prebuilt_list(), ids=lambda i: i.id)
def test_prebuilt_ui_loads_and_submits(page: Page, site: Site, item: PrebuiltUi) -> None:
    result = template_render(content=item.template, task_input=item.example_input)
    assert result.ok, result.errors
    page.goto(site.write(f"prebuilt-{item.id}.html", result.html))
    page.wait_for_function("window.__readyCount > 0")
    interact(page, item.id)
    page.locator("[data-testid=crowd-submit], crowd-button[form-action=submit]").locator("visible=true").first.click()
    page.wait_for_function("window.__answers.length > 0", timeout=5000)
    answer = page.evaluate("window.__answers[0]")
    assert answer
    if item.id == "bounding-box-review":
        boxes = [
            {k: round(d[k]) if k != "label" else d[k] for k in ("height", "label", "left", "top", "width")}
            for d in item.example_input["detections"]
        ]
        assert answer["annotatedResult"]["boundingBoxes"] == boxes
        assert answer["annotatedResult"]["initialValueModified"] is False
