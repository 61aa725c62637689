"""Pre-built task UIs for the built-in review types: a Liquid template and an example input each.

Offered when an engineer creates a task UI (REST API, console) and on the preview page
(``/task-uis/preview/?prebuilt=<id>``). The templates live in ``reviews/prebuilt/``; the example
inputs use small inline SVG images (``data:`` URLs) so that a preview shows a picture without any
bucket, and keep the shapes the real callers send (A2I's built-in Textract and Rekognition
inputs; ``taskObject`` plus labels for custom models).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["PrebuiltUi", "prebuilt_get", "prebuilt_ids", "prebuilt_list"]

_DIR = Path(__file__).resolve().parent / "prebuilt"


@dataclass(frozen=True)
class PrebuiltUi:
    id: str
    title: str
    description: str
    #: The A2I built-in task type this UI serves, or "" for custom models.
    task_type: str
    example_input: dict[str, Any] = field(hash=False)

    @property
    def template(self) -> str:
        return _template_text(self.id)


@cache
def _template_text(prebuilt_id: str) -> str:
    return (_DIR / f"{prebuilt_id}.liquid.html").read_text(encoding="utf-8")


def _svg_data_url(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


_STREET = _svg_data_url(
    '<svg xmlns="http://www.w3.org/2000/svg" width="640" height="427" viewBox="0 0 640 427">'
    '<rect width="640" height="427" fill="#cfe3f3"/><rect y="300" width="640" height="127" fill="#6b6b6b"/>'
    '<rect x="70" y="230" width="190" height="80" rx="18" fill="#c0392b"/>'
    '<circle cx="110" cy="312" r="22" fill="#222"/><circle cx="222" cy="312" r="22" fill="#222"/>'
    '<rect x="402" y="150" width="46" height="160" rx="20" fill="#2d6a4f"/>'
    '<circle cx="425" cy="125" r="26" fill="#f1c27d"/></svg>'
)
_CAT = _svg_data_url(
    '<svg xmlns="http://www.w3.org/2000/svg" width="480" height="360" viewBox="0 0 480 360">'
    '<rect width="480" height="360" fill="#fdf3e1"/><ellipse cx="240" cy="230" rx="110" ry="80" fill="#e59d4b"/>'
    '<circle cx="240" cy="130" r="60" fill="#e59d4b"/><polygon points="190,90 200,40 225,80" fill="#e59d4b"/>'
    '<polygon points="290,90 280,40 255,80" fill="#e59d4b"/><circle cx="218" cy="125" r="8" fill="#222"/>'
    '<circle cx="262" cy="125" r="8" fill="#222"/></svg>'
)
_POOL = _svg_data_url(
    '<svg xmlns="http://www.w3.org/2000/svg" width="600" height="400" viewBox="0 0 600 400">'
    '<rect width="600" height="400" fill="#8fd3f4"/><rect y="280" width="600" height="120" fill="#f4e1a6"/>'
    '<rect x="250" y="120" width="70" height="140" rx="30" fill="#f1c27d"/>'
    '<rect x="250" y="190" width="70" height="30" fill="#1d3557"/></svg>'
)
_FORM = _svg_data_url(
    '<svg xmlns="http://www.w3.org/2000/svg" width="850" height="1100" viewBox="0 0 850 1100">'
    '<rect width="850" height="1100" fill="#fff"/>'
    '<text x="60" y="90" font-family="sans-serif" font-size="36">Application form</text>'
    '<text x="60" y="200" font-family="sans-serif" font-size="24">Full name:</text>'
    '<text x="260" y="200" font-family="sans-serif" font-size="24">Jane Doe</text>'
    '<text x="60" y="280" font-family="sans-serif" font-size="24">Date of birth:</text>'
    '<text x="260" y="280" font-family="sans-serif" font-size="24">1990-04-12</text></svg>'
)


def _kv_blocks() -> list[dict[str, Any]]:
    def geometry(left: float, top: float, width: float, height: float) -> dict[str, Any]:
        return {
            "boundingBox": {"width": width, "height": height, "left": left, "top": top},
            "polygon": [
                {"x": left, "y": top},
                {"x": left + width, "y": top},
                {"x": left + width, "y": top + height},
                {"x": left, "y": top + height},
            ],
        }

    blocks: list[dict[str, Any]] = []
    pairs = [
        ("Full name:", "Jane Doe", 0.158, 0.07, 0.305, 0.11, 96.5, 91.2),
        ("Date of birth:", "1990-04-12", 0.231, 0.07, 0.305, 0.14, 95.1, 62.4),
    ]
    for n, (key, value, top, kleft, vleft, vwidth, kconf, vconf) in enumerate(pairs, start=1):
        key_id, value_id = f"key-{n}", f"value-{n}"
        key_word, value_word = f"key-word-{n}", f"value-word-{n}"
        blocks += [
            {
                "blockType": "KEY_VALUE_SET",
                "confidence": kconf,
                "geometry": geometry(kleft, top, 0.2, 0.03),
                "id": key_id,
                "entityTypes": ["KEY"],
                "relationships": [{"type": "CHILD", "ids": [key_word]}, {"type": "VALUE", "ids": [value_id]}],
            },
            {
                "blockType": "KEY_VALUE_SET",
                "confidence": vconf,
                "geometry": geometry(vleft, top, vwidth, 0.03),
                "id": value_id,
                "entityTypes": ["VALUE"],
                "relationships": [{"type": "CHILD", "ids": [value_word]}],
            },
            {
                "blockType": "WORD",
                "confidence": kconf,
                "geometry": geometry(kleft, top, 0.2, 0.03),
                "id": key_word,
                "text": key,
            },
            {
                "blockType": "WORD",
                "confidence": vconf,
                "geometry": geometry(vleft, top, vwidth, 0.03),
                "id": value_word,
                "text": value,
            },
        ]
    return blocks


_ITEMS: tuple[PrebuiltUi, ...] = (
    PrebuiltUi(
        id="image-moderation",
        title="Image moderation review",
        description="Confirm or clear the moderation labels Amazon Rekognition (or your model) put on an image.",
        task_type="AWS/Rekognition/DetectModerationLabels/Image/V3",
        example_input={
            "taskObject": _POOL,
            "aiServiceRequest": {
                "image": {"s3Object": {"bucket": "example-bucket", "name": "images/pool.jpg"}},
                "minConfidence": 50,
            },
            "selectedAiServiceResponse": {
                "moderationLabels": [
                    {"name": "Female Swimwear Or Underwear", "parentName": "Suggestive", "confidence": 62.5},
                    {"name": "Suggestive", "parentName": "", "confidence": 62.5},
                ]
            },
        },
    ),
    PrebuiltUi(
        id="form-data-review",
        title="Form data review",
        description="Check and correct the key-value pairs Amazon Textract found on a page image.",
        task_type="AWS/Textract/AnalyzeDocument/Forms/V1",
        example_input={
            "taskObject": _FORM,
            "aiServiceRequest": {
                "document": {"s3Object": {"bucket": "example-bucket", "name": "forms/application.png"}},
                "featureTypes": ["FORMS"],
            },
            "selectedAiServiceResponse": {"blocks": _kv_blocks()},
            "humanLoopContext": {
                "importantFormKeys": [
                    {"importantFormKey": "Full name", "importantFormKeyAliases": ["Name"]},
                    {"importantFormKey": "Date of birth", "importantFormKeyAliases": ["DOB", "Birth date"]},
                ]
            },
        },
    ),
    PrebuiltUi(
        id="bounding-box-review",
        title="Bounding-box review of detections",
        description="The model's boxes start drawn on the image; the reviewer fixes, adds or deletes them.",
        task_type="",
        example_input={
            "taskObject": _STREET,
            "labels": ["Car", "Person", "Bicycle"],
            "detections": [
                {"label": "Car", "left": 66, "top": 226, "width": 198, "height": 112, "confidence": 0.91},
                {"label": "Person", "left": 396, "top": 96, "width": 58, "height": 216, "confidence": 0.58},
            ],
        },
    ),
    PrebuiltUi(
        id="image-classification",
        title="Image classification review",
        description="Confirm the model's category for an image, or choose another.",
        task_type="",
        example_input={
            "taskObject": _CAT,
            "labels": ["Cat", "Dog", "Rabbit", "None of these"],
            "prediction": {"label": "Dog", "confidence": 0.54},
        },
    ),
    PrebuiltUi(
        id="text-classification",
        title="Text classification review",
        description="Confirm the model's category for a text, or choose another.",
        task_type="",
        example_input={
            "text": "My order arrived two weeks late and the box was crushed. I'd like a refund.",
            "labels": ["Complaint", "Question", "Praise", "Other"],
            "prediction": {"label": "Question", "confidence": 0.48},
        },
    ),
)

_BY_ID = {item.id: item for item in _ITEMS}


def prebuilt_list() -> list[PrebuiltUi]:
    """Every pre-built UI, in the order they are offered."""
    return list(_ITEMS)


def prebuilt_ids() -> list[str]:
    return [item.id for item in _ITEMS]


def prebuilt_get(prebuilt_id: str) -> PrebuiltUi | None:
    """The pre-built UI named ``prebuilt_id``, or None."""
    return _BY_ID.get(prebuilt_id)
