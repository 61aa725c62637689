"""Image annotation tools, drawn with the mouse as a worker would; answers in natural-image pixels
(spec/crowd-elements.md §1.8, §2.4)."""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from .conftest import PHOTO_SIZE, Site, open_page, submit

pytestmark = pytest.mark.browser

PHOTO = "/media/photo.png"


def tool_page(page: Page, site: Site, tag: str, extra: str = "", labels: str = "['Dog', 'Cat']") -> None:
    open_page(
        page,
        site,
        f"""<crowd-form><{tag} id="tool" name="annotatedResult" src="{PHOTO}" header="Mark the animals"
        labels="{labels}" {extra}><short-instructions>Draw.</short-instructions>
        <full-instructions header="How">More.</full-instructions></{tag}></crowd-form>""",
    )
    page.wait_for_function("document.getElementById('tool').viewer && document.getElementById('tool').viewer.loaded")


class Canvas:
    """Maps natural-image pixels to screen points through the tool's canvas.upper-canvas."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.refresh()

    def refresh(self) -> None:
        r = self.page.evaluate(
            "(() => { const r = document.getElementById('tool').shadowRoot"
            ".querySelector('canvas.upper-canvas').getBoundingClientRect();"
            " return {x: r.left, y: r.top, w: r.width, h: r.height}; })()"
        )
        self.x, self.y, self.w, self.h = r["x"], r["y"], r["w"], r["h"]
        self.scale = self.w / PHOTO_SIZE[0]

    def at(self, nx: float, ny: float) -> tuple[float, float]:
        self.refresh()
        return self.x + nx * self.scale, self.y + ny * self.scale

    def click(self, nx: float, ny: float) -> None:
        self.page.mouse.click(*self.at(nx, ny))

    def drag(self, a: tuple[float, float], b: tuple[float, float]) -> None:
        self.page.mouse.move(*self.at(*a))
        self.page.mouse.down()
        self.page.mouse.move(*self.at(*b), steps=6)
        self.page.mouse.up()


def pick_label(page: Page, name: str) -> None:
    page.locator("#tool .labels .choice", has_text=name).click()


IMG = {"height": PHOTO_SIZE[1], "width": PHOTO_SIZE[0]}


def test_bounding_box_drawn_by_dragging_gives_natural_pixel_boxes(page: Page, site: Site) -> None:
    tool_page(page, site, "crowd-bounding-box")
    c = Canvas(page)
    # the drawing canvas lies exactly over the displayed image
    img = page.evaluate(
        "(() => { const r = document.getElementById('tool').shadowRoot.querySelector('.stage img')"
        ".getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()"
    )
    assert img == [c.x, c.y, c.w, c.h]
    c.drag((50, 40), (250, 190))
    pick_label(page, "Cat")
    c.drag((390, 290), (300, 220))  # drawn right-to-left, bottom-to-top
    answer = submit(page)
    assert answer == {
        "annotatedResult": {
            "boundingBoxes": [
                {"height": 150, "label": "Dog", "left": 50, "top": 40, "width": 200},
                {"height": 70, "label": "Cat", "left": 300, "top": 220, "width": 90},
            ],
            "inputImageProperties": IMG,
        }
    }


def test_bounding_box_starts_from_initial_value_and_tracks_modification(page: Page, site: Site) -> None:
    initial = 'initial-value=\'[{"label": "Dog", "left": 100, "top": 60, "width": 120, "height": 80}]\''
    tool_page(page, site, "crowd-bounding-box", initial)
    untouched = page.evaluate("document.getElementById('tool').value")
    assert untouched == {
        "boundingBoxes": [{"height": 80, "label": "Dog", "left": 100, "top": 60, "width": 120}],
        "initialValueModified": False,
        "inputImageProperties": IMG,
    }
    c = Canvas(page)
    # move the model's box by dragging its body, then pull its lower-right handle
    c.drag((160, 100), (170, 105))
    c.drag((230, 145), (250, 170))
    answer = submit(page)
    assert answer == {
        "annotatedResult": {
            "boundingBoxes": [{"height": 105, "label": "Dog", "left": 110, "top": 65, "width": 140}],
            "initialValueModified": True,
            "inputImageProperties": IMG,
        }
    }


def test_bounding_box_zoom_and_pan_keep_natural_coordinates(page: Page, site: Site) -> None:
    tool_page(page, site, "crowd-bounding-box")
    page.locator("#tool .tb [data-act=zoom-in]").click()
    c = Canvas(page)
    assert c.scale == 2
    # pan with the middle button: the image moves on screen, natural coordinates do not change
    page.mouse.move(*c.at(200, 150))
    page.mouse.down(button="middle")
    page.mouse.move(*c.at(180, 140), steps=3)
    page.mouse.up(button="middle")
    c.refresh()
    c.drag((120, 90), (180, 130))
    box = submit(page)["annotatedResult"]["boundingBoxes"]
    assert box == [{"height": 40, "label": "Dog", "left": 120, "top": 90, "width": 60}]


def test_bounding_box_delete_undo_and_labels_property(page: Page, site: Site) -> None:
    tool_page(page, site, "crowd-bounding-box", labels="['placeholder']")
    page.evaluate("tool.labels = []; tool.labels = tool.labels.concat(['Boat']); 0")
    expect(page.locator("#tool .labels .choice")).to_have_count(1)
    c = Canvas(page)
    c.drag((10, 10), (60, 50))
    c.drag((100, 100), (150, 160))
    c.click(125, 130)  # select the second box
    page.locator("#tool .vp").press("Delete")
    page.locator("#tool .vp").press("Control+z")
    page.locator("#tool .shapes li", has_text="#1").locator(".del").click()
    value = page.evaluate("tool.value")
    assert value["boundingBoxes"] == [{"height": 60, "label": "Boat", "left": 100, "top": 100, "width": 50}]
    # the copy returned by _submittableValue can be edited without changing the answer
    page.evaluate("tool._submittableValue.boundingBoxes[0].label = 'changed'; 0")
    assert submit(page)["annotatedResult"]["boundingBoxes"][0]["label"] == "Boat"


def test_keypoints_are_placed_by_clicking_and_moved_by_dragging(page: Page, site: Site) -> None:
    tool_page(page, site, "crowd-keypoint", labels="['Item A', 'Item B']")
    c = Canvas(page)
    c.click(30, 40)
    pick_label(page, "Item B")
    c.click(200, 100)
    c.drag((30, 40), (35, 48))
    assert submit(page) == {
        "annotatedResult": {
            "inputImageProperties": IMG,
            "keypoints": [{"label": "Item A", "x": 35, "y": 48}, {"label": "Item B", "x": 200, "y": 100}],
        }
    }


def test_polygon_click_points_close_on_first_refuse_crossing_and_undo(page: Page, site: Site) -> None:
    tool_page(page, site, "crowd-polygon", labels="['Bird']")
    c = Canvas(page)
    c.click(100, 100)
    c.click(200, 100)
    c.click(200, 200)
    c.click(150, 50)  # would cross the first edge: refused
    expect(page.locator("#tool .foot .err")).to_contain_text("may not cross")
    c.click(120, 220)
    page.locator("#tool .vp").press("Control+z")  # undo the last point while drawing
    page.locator("#tool .vp").press("Control+Shift+z")  # and redo it
    c.click(100, 100)  # click the first point to close
    answer = submit(page)
    assert answer == {
        "annotatedResult": {
            "inputImageProperties": IMG,
            "polygons": [
                {
                    "label": "Bird",
                    "vertices": [
                        {"x": 100, "y": 100},
                        {"x": 200, "y": 100},
                        {"x": 200, "y": 200},
                        {"x": 120, "y": 220},
                    ],
                }
            ],
        }
    }


def test_polygon_vertex_drag_adjusts_the_shape(page: Page, site: Site) -> None:
    vertices = '[{"x": 10, "y": 10}, {"x": 90, "y": 10}, {"x": 50, "y": 80}]'
    initial = f'initial-value=\'[{{"label": "Bird", "vertices": {vertices}}}]\''
    tool_page(page, site, "crowd-polygon", initial, labels="['Bird']")
    c = Canvas(page)
    c.drag((50, 80), (60, 95))
    result = submit(page)["annotatedResult"]
    assert result["polygons"] == [
        {"label": "Bird", "vertices": [{"x": 10, "y": 10}, {"x": 90, "y": 10}, {"x": 60, "y": 95}]}
    ]
    assert result["initialValueModified"] is True


def test_polyline_enter_finishes_the_path(page: Page, site: Site) -> None:
    tool_page(page, site, "crowd-polyline", "label-colors=\"['#d62728','#0000FF']\"", labels="['car', 'bus', 'bike']")
    c = Canvas(page)
    pick_label(page, "bus")
    c.click(300, 61)
    c.click(355, 98)
    c.click(390, 140)
    page.locator("#tool .vp").press("Enter")
    answer = submit(page)
    assert answer == {
        "annotatedResult": {
            "inputImageProperties": IMG,
            "polylines": [
                {"label": "bus", "vertices": [{"x": 300, "y": 61}, {"x": 355, "y": 98}, {"x": 390, "y": 140}]}
            ],
        }
    }
    swatches = page.evaluate(
        "Array.from(tool.shadowRoot.querySelectorAll('.labels .sw')).map(s => getComputedStyle(s).backgroundColor)"
    )
    assert swatches == ["rgb(214, 39, 40)", "rgb(0, 0, 255)", "rgb(31, 119, 180)"]


def test_line_is_drawn_by_dragging_and_has_two_vertices(page: Page, site: Site) -> None:
    tool_page(page, site, "crowd-line", labels="['pedestrian']")
    c = Canvas(page)
    c.drag((81, 45), (82, 270))
    c.click(10, 10)
    c.click(20, 30)  # click the start, click the end
    answer = submit(page)
    assert answer["annotatedResult"]["lines"] == [
        {"label": "pedestrian", "vertices": [{"x": 81, "y": 45}, {"x": 82, "y": 270}]},
        {"label": "pedestrian", "vertices": [{"x": 10, "y": 10}, {"x": 20, "y": 30}]},
    ]


def decode_png(data: str) -> Image.Image:
    raw = base64.b64decode(data)
    assert raw[:8] == b"\x89PNG\r\n\x1a\n"
    return Image.open(io.BytesIO(raw)).convert("RGBA")


def colours(im: Image.Image) -> set[tuple[int, int, int, int]]:
    return {c for _, c in im.getcolors(maxcolors=1 << 16) or []}


def hexc(rgb: tuple[int, ...]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb[:3])


def test_semantic_segmentation_paints_a_png_mask_in_label_colours(page: Page, site: Site) -> None:
    tool_page(page, site, "crowd-semantic-segmentation", labels="['Cat', 'Dog', 'Bird']")
    page.locator("#tool .bsz").fill("10")
    c = Canvas(page)
    c.drag((50, 50), (150, 50))
    pick_label(page, "Dog")
    c.drag((200, 200), (200, 260))
    result: dict[str, Any] = submit(page)["annotatedResult"]
    assert result["inputImageProperties"] == IMG
    assert result["labelMappings"] == {
        "Bird": {"color": "#2ca02c"},
        "Cat": {"color": "#1f77b4"},
        "Dog": {"color": "#ff7f0e"},
    }
    assert not result["labeledImage"]["pngImageData"].startswith("data:")
    im = decode_png(result["labeledImage"]["pngImageData"])
    assert im.size == PHOTO_SIZE
    painted = {hexc(col) for col in colours(im) if col[3]}
    assert painted == {"#1f77b4", "#ff7f0e"}
    assert all(col[3] in (0, 255) for col in colours(im))
    assert hexc(im.getpixel((100, 50))) == "#1f77b4"
    assert hexc(im.getpixel((200, 230))) == "#ff7f0e"
    assert im.getpixel((300, 100))[3] == 0


def test_instance_segmentation_gives_each_instance_its_own_colour(page: Page, site: Site) -> None:
    tool_page(page, site, "crowd-instance-segmentation", labels="['Cat', 'Dog']")
    page.locator("#tool .bsz").fill("8")
    c = Canvas(page)
    c.drag((40, 40), (80, 40))
    page.locator("#tool .tb [data-act=add-instance]").click()
    c.drag((40, 120), (80, 120))
    pick_label(page, "Dog")
    c.drag((300, 200), (340, 200))
    result = submit(page)["annotatedResult"]
    assert result["instances"] == [
        {"color": "#1f77b4", "label": "Cat"},
        {"color": "#ff7f0e", "label": "Cat"},
        {"color": "#2ca02c", "label": "Dog"},
    ]
    im = decode_png(result["labeledImage"]["pngImageData"])
    assert im.size == PHOTO_SIZE
    assert [hexc(im.getpixel(p)) for p in [(60, 40), (60, 120), (320, 200)]] == ["#1f77b4", "#ff7f0e", "#2ca02c"]
    assert {hexc(col) for col in colours(im) if col[3]} == {"#1f77b4", "#ff7f0e", "#2ca02c"}


def test_polygon_may_start_inside_another(page: Page, site: Site) -> None:
    vertices = '[{"x": 10, "y": 10}, {"x": 390, "y": 10}, {"x": 390, "y": 290}, {"x": 10, "y": 290}]'
    tool_page(
        page, site, "crowd-polygon", f'initial-value=\'[{{"label": "Bird", "vertices": {vertices}}}]\'', "['Bird']"
    )
    c = Canvas(page)
    c.click(100, 100)
    c.click(150, 100)
    c.click(150, 150)
    page.locator("#tool .vp").press("Enter")
    polygons = submit(page)["annotatedResult"]["polygons"]
    assert polygons[1] == {
        "label": "Bird",
        "vertices": [{"x": 100, "y": 100}, {"x": 150, "y": 100}, {"x": 150, "y": 150}],
    }
    assert len(polygons) == 2
