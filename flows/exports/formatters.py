"""From loop records to export lines: pure functions (no database).

* ``jsonl``: one loop per line, A2I's output.json members plus Loupe's consolidated answer::

    {"humanLoopName", "createdAt", "completedAt", "inputContent", "humanAnswers": [{"workerId",
     "acceptanceTime", "submissionTime", "timeSpentInSeconds", "answerContent"}],
     "consolidatedAnswer"}

* ``csv``: the same, one row per loop; JSON members as JSON text in their cells.
* ``manifest``: SageMaker Ground Truth's augmented manifest (one JSON object per line): the data
  object as ``source-ref`` (an s3:// or http(s) URI found in the input) or ``source`` (text), the
  label under ``label_attribute`` and its ``<label_attribute>-metadata``. Boxes become Ground
  Truth's object-detection label (``annotations`` with ``class_id``, ``left``, ``top``,
  ``width``, ``height``; ``image_size``; ``class-map`` and ``objects`` confidences in the
  metadata, type ``groundtruth/object-detection``), single labels its image-classification label
  (``class_id``, ``class-name``), multi-labels its multi-label one; other answers ride as they
  are (type ``loupe/custom``). Class ids are assigned in order of first appearance and kept for
  the whole export (``ClassMap``). Each line also carries ``human-loop-name``, the resume key.
* ``coco``: one COCO document for boxes, polygons and keypoints (``coco_image``,
  ``coco_annotations``, ``coco_categories``); see ``flows.exports.writer`` for the two passes.

The label of a loop is its consolidated ``answerContent`` when consolidation produced one, else
its first answer's (TaskCount 1).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from flows.exports.dataset import LoopRecord

_json_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
# orjson reads integers beyond 64 bits as floats: texts holding 19 digits in a row go to json.
_LONG_INTEGER = re.compile(r"\d{19}")


def _loads(text: str) -> Any:
    """Parse stored JSON text (orjson, 4-5x faster; json where orjson would round a huge integer)."""
    if _LONG_INTEGER.search(text):
        return json.loads(text)
    return orjson.loads(text)


def _dumps(value: Any) -> str:
    """Compact JSON text, UTF-8 kept (orjson; json for what orjson refuses, e.g. huge integers)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return _json_dumps(value)


def timestamp(value: datetime | str | None) -> str | None:
    """``YYYY-MM-DDTHH:MM:SS.mmmZ`` (UTC, milliseconds), as A2I writes times (records already
    hold that text, formatted by the database)."""
    if value is None or isinstance(value, str):
        return value
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


# --- JSONL -------------------------------------------------------------------------------------


def jsonl_line(record: LoopRecord) -> str:
    """One JSONL line; the stored JSON texts are embedded as they are (no parse, no re-encode).
    Loop names and worker ids need no escaping (their patterns: ``[a-z0-9-]``, ``[a-z0-9]``)."""
    answers = ",".join(
        f'{{"workerId":"{a.worker_id}","acceptanceTime":"{a.acceptance_time}","submissionTime":"{a.submission_time}",'
        f'"timeSpentInSeconds":{round(a.time_spent_seconds, 3)!r},"answerContent":{a.content}}}'
        for a in record.answers
    )
    completed = f'"{record.completed_at}"' if record.completed_at else "null"
    return (
        f'{{"humanLoopName":"{record.name}","createdAt":"{record.created_at}","completedAt":{completed},'
        f'"inputContent":{record.input_content},"humanAnswers":[{answers}],'
        f'"consolidatedAnswer":{record.consolidated or "null"}}}\n'
    )


# --- CSV ---------------------------------------------------------------------------------------

CSV_HEADER = (
    "humanLoopName",
    "createdAt",
    "completedAt",
    "answerCount",
    "inputContent",
    "answerContent",
    "consolidatedAnswer",
    "humanAnswers",
)


def csv_lines(records: Iterable[LoopRecord], *, header: bool = True) -> Iterator[str]:
    """CSV text, one chunk per call of the underlying writer; ``answerContent`` is the label
    (see the module docstring), ``humanAnswers`` every answer as a JSON array."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if header:
        writer.writerow(CSV_HEADER)
    for record in records:
        answers = (
            "["
            + ",".join(
                '{"workerId":'
                + _dumps(a.worker_id)
                + ',"submissionTime":"'
                + (timestamp(a.submission_time) or "")
                + '","answerContent":'
                + a.content
                + "}"
                for a in record.answers
            )
            + "]"
        )
        writer.writerow(
            (
                record.name,
                timestamp(record.created_at),
                timestamp(record.completed_at) or "",
                len(record.answers),
                record.input_content,
                _dumps(label_of(record)),
                record.consolidated or "",
                answers,
            )
        )
        if buffer.tell() > 1 << 16:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


# --- the label -------------------------------------------------------------------------------


def _consolidated(record: LoopRecord) -> dict[str, Any] | None:
    if not record.consolidated:
        return None
    value = _loads(record.consolidated)
    if isinstance(value, dict) and isinstance(value.get("answerContent"), dict) and "error" not in value:
        return value
    return None


def label_and_confidence(record: LoopRecord) -> tuple[Any, float]:
    """The loop's label (the consolidated answerContent, else the first answer's) and its
    confidence (the consolidation's, else 1.0), reading the stored JSON once."""
    cons = _consolidated(record)
    if cons is not None:
        confidence = cons.get("confidence")
        return cons["answerContent"], float(confidence) if isinstance(confidence, int | float) else 1.0
    if record.answers:
        return _loads(record.answers[0].content), 1.0
    return None, 1.0


def label_of(record: LoopRecord) -> Any:
    """The loop's label: the consolidated answerContent, else the first answer's."""
    return label_and_confidence(record)[0]


def _find_any(value: Any, keys: tuple[str, ...]) -> tuple[str | None, dict[str, Any]]:
    """The first object (depth-first, in the answer's own field order) holding one of ``keys``,
    and which one (the earliest in ``keys`` when it holds several)."""
    if not isinstance(value, dict):
        return None, {}
    for key in keys:
        if key in value:
            return key, value
    for child in value.values():
        if isinstance(child, dict):
            found = _find_any(child, keys)
            if found[0] is not None:
                return found
    return None, {}


def _find(value: Any, key: str) -> dict[str, Any] | None:
    """The first object (depth-first, the answer's own field order) holding ``key``."""
    found, obj = _find_any(value, (key,))
    return obj if found is not None else None


_SOURCE_KEYS = (
    "source-ref",
    "taskObject",
    "taskObjectUri",
    "s3Uri",
    "imageUri",
    "image",
    "imageUrl",
    "document",
    "url",
)


def source_of(input_content: str) -> tuple[str, str]:
    """``("source-ref", uri)`` for the data object named in the input, or ``("source", text)``."""
    data = _loads(input_content)
    if isinstance(data, dict):
        request = data.get("aiServiceRequest")
        if isinstance(request, dict):
            for key in ("image", "document"):
                obj = (request.get(key) or {}).get("s3Object") if isinstance(request.get(key), dict) else None
                if isinstance(obj, dict) and obj.get("bucket") and obj.get("name"):
                    return "source-ref", f"s3://{obj['bucket']}/{obj['name']}"
        inner = data.get("input") if isinstance(data.get("input"), dict) else None
        for candidate in (data, inner):
            if not isinstance(candidate, dict):
                continue
            for key in _SOURCE_KEYS:
                value = candidate.get(key)
                if isinstance(value, str) and value.startswith(("s3://", "http://", "https://")):
                    return "source-ref", value
            for value in candidate.values():
                if isinstance(value, str) and value.startswith("s3://"):
                    return "source-ref", value
            for key in ("source", "text"):
                if isinstance(candidate.get(key), str):
                    return "source", candidate[key]
    return "source", input_content


@dataclass
class ClassMap:
    """Class names to ids, in order of first appearance; kept across the lines of one export."""

    ids: dict[str, int] = field(default_factory=dict)

    def id(self, name: Any) -> int:
        key = str(name)
        if key not in self.ids:
            self.ids[key] = len(self.ids)
        return self.ids[key]


def manifest_line(record: LoopRecord, *, label_attribute: str, classes: ClassMap, job_name: str) -> str:
    """One augmented-manifest line (see the module docstring)."""
    kind, source = source_of(record.input_content)
    label, confidence = label_and_confidence(record)
    meta: dict[str, Any] = {
        "human-annotated": "yes",
        "creation-date": (timestamp(record.completed_at) or "")[:-1],
        "job-name": job_name,
        "human-loop-name": record.name,
    }
    shape, found = _find_any(label, ("boundingBoxes", "labels", "label"))
    if shape == "boundingBoxes" and isinstance(found["boundingBoxes"], list):
        boxes = found
        size = boxes.get("inputImageProperties") or {}
        annotations = [
            {
                "class_id": classes.id(b.get("label")),
                "left": b.get("left"),
                "top": b.get("top"),
                "width": b.get("width"),
                "height": b.get("height"),
            }
            for b in boxes["boundingBoxes"]
            if isinstance(b, dict)
        ]
        value: Any = {
            "annotations": annotations,
            "image_size": [{"width": size.get("width"), "height": size.get("height"), "depth": 3}],
        }
        used = {a["class_id"] for a in annotations}
        meta.update(
            {
                "objects": [{"confidence": confidence} for _ in annotations],
                "class-map": {str(i): n for n, i in classes.ids.items() if i in used},
                "type": "groundtruth/object-detection",
            }
        )
    elif shape == "label" and isinstance(found["label"], str | int):
        value = classes.id(found["label"])
        meta.update(
            {"class-name": str(found["label"]), "confidence": confidence, "type": "groundtruth/image-classification"}
        )
    elif shape == "labels" and isinstance(found["labels"], list):
        value = [classes.id(x) for x in found["labels"]]
        meta.update(
            {
                "class-map": {str(classes.id(x)): str(x) for x in found["labels"]},
                "confidence-map": {str(classes.id(x)): confidence for x in found["labels"]},
                "type": "groundtruth/image-classification-multilabel",
            }
        )
    else:
        value = label
        meta.update({"type": "loupe/custom"})
    line = {kind: source, label_attribute: value, f"{label_attribute}-metadata": meta}
    return _dumps(line) + "\n"


# --- COCO --------------------------------------------------------------------------------------


@dataclass
class CocoCategories:
    """Categories met so far (name -> id from 1), and the keypoint names met in order."""

    ids: dict[str, int] = field(default_factory=dict)
    keypoints: dict[str, int] = field(default_factory=dict)

    def id(self, name: Any) -> int:
        key = str(name)
        if key not in self.ids:
            self.ids[key] = len(self.ids) + 1
        return self.ids[key]

    def keypoint(self, name: Any) -> int:
        key = str(name)
        if key not in self.keypoints:
            self.keypoints[key] = len(self.keypoints)
        return self.keypoints[key]


#: The category that holds keypoints (one keypoint object per image, its labels are the names).
KEYPOINT_CATEGORY = "object"


def coco_image(record: LoopRecord, categories: CocoCategories) -> dict[str, Any]:
    """The COCO image of a loop; registers its categories and keypoint names (first pass)."""
    _, source = source_of(record.input_content)
    label = label_of(record)
    size: dict[str, Any] = {}
    for key in ("boundingBoxes", "polygons", "keypoints"):
        found = _find(label, key)
        if found is None:
            continue
        size = size or (found.get("inputImageProperties") or {})
        for shape in found.get(key) or []:
            if not isinstance(shape, dict):
                continue
            if key == "keypoints":
                categories.id(KEYPOINT_CATEGORY)
                categories.keypoint(shape.get("label"))
            else:
                categories.id(shape.get("label"))
    return {
        "id": record.id,
        "file_name": source,
        "width": size.get("width"),
        "height": size.get("height"),
        "human_loop_name": record.name,
        "date_captured": timestamp(record.completed_at),
    }


def _bbox(xs: list[float], ys: list[float]) -> list[float]:
    return [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]


def _area(xs: list[float], ys: list[float]) -> float:
    n = len(xs)
    return abs(sum(xs[i] * ys[(i + 1) % n] - xs[(i + 1) % n] * ys[i] for i in range(n))) / 2


def coco_annotations(record: LoopRecord, categories: CocoCategories, next_id: int) -> list[dict[str, Any]]:
    """The COCO annotations of a loop (second pass: every category is known)."""
    label = label_of(record)
    out: list[dict[str, Any]] = []
    boxes = _find(label, "boundingBoxes")
    for b in (boxes or {}).get("boundingBoxes") or []:
        if not isinstance(b, dict):
            continue
        x, y, w, h = (float(b.get(k) or 0) for k in ("left", "top", "width", "height"))
        out.append(
            {"category_id": categories.id(b.get("label")), "bbox": [x, y, w, h], "area": w * h, "segmentation": []}
        )
    polygons = _find(label, "polygons")
    for p in (polygons or {}).get("polygons") or []:
        vertices = [v for v in (p.get("vertices") or []) if isinstance(v, dict)] if isinstance(p, dict) else []
        if len(vertices) < 3:
            continue
        xs = [float(v.get("x") or 0) for v in vertices]
        ys = [float(v.get("y") or 0) for v in vertices]
        out.append(
            {
                "category_id": categories.id(p.get("label")),
                "segmentation": [[c for xy in zip(xs, ys, strict=True) for c in xy]],
                "bbox": _bbox(xs, ys),
                "area": _area(xs, ys),
            }
        )
    keypoints = _find(label, "keypoints")
    points = [k for k in (keypoints or {}).get("keypoints") or [] if isinstance(k, dict)]
    if points:
        vector = [0.0] * (3 * len(categories.keypoints))
        for k in points:
            i = categories.keypoint(k.get("label"))
            vector[3 * i : 3 * i + 3] = [float(k.get("x") or 0), float(k.get("y") or 0), 2.0]
        xs = [float(k.get("x") or 0) for k in points]
        ys = [float(k.get("y") or 0) for k in points]
        out.append(
            {
                "category_id": categories.id(KEYPOINT_CATEGORY),
                "keypoints": vector,
                "num_keypoints": len(points),
                "bbox": _bbox(xs, ys),
                "area": 0.0,
                "segmentation": [],
            }
        )
    for i, annotation in enumerate(out):
        annotation.update({"id": next_id + i, "image_id": record.id, "iscrowd": 0})
    return out


def coco_categories(categories: CocoCategories) -> list[dict[str, Any]]:
    out = []
    for name, i in sorted(categories.ids.items(), key=lambda kv: kv[1]):
        category: dict[str, Any] = {"id": i, "name": name, "supercategory": "none"}
        if name == KEYPOINT_CATEGORY and categories.keypoints:
            category["keypoints"] = list(categories.keypoints)
            category["skeleton"] = []
        out.append(category)
    return out


def dumps(value: Any) -> str:
    return _dumps(value)
