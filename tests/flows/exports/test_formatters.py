"""Export formatters over plain records (no database)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from flows.exports.dataset import AnswerRecord, LoopRecord
from flows.exports.formatters import (
    ClassMap,
    CocoCategories,
    coco_annotations,
    coco_categories,
    coco_image,
    csv_lines,
    jsonl_line,
    manifest_line,
)

T0 = "2024-05-06T07:08:09.123Z"


def _record(answers: list[Any], *, consolidated: Any = None, input_content: Any = None, pk: int = 1) -> LoopRecord:
    return LoopRecord(
        id=pk,
        name=f"loop-{pk}",
        created_at=T0,
        completed_at=T0,
        input_content=json.dumps(input_content if input_content is not None else {"taskObject": "s3://b/1.png"}),
        consolidated=json.dumps(consolidated) if consolidated is not None else None,
        answers=[AnswerRecord(f"w{i}", json.dumps(a), T0, T0, 12.3456) for i, a in enumerate(answers)],
    )


BOXES = {
    "annotatedResult": {
        "boundingBoxes": [
            {"height": 212, "label": "Dog", "left": 388, "top": 140, "width": 301},
            {"height": 96, "label": "Cat", "left": 40, "top": 305, "width": 118},
        ],
        "inputImageProperties": {"height": 683, "width": 1024},
    }
}


def test_jsonl_line_holds_the_loop_its_answers_and_the_consolidated_answer() -> None:
    record = _record([{"sentiment": {"label": "Positive"}}], consolidated={"answerContent": {"x": 1}, "confidence": 1})
    line = jsonl_line(record)
    assert line.endswith("\n")
    assert json.loads(line) == {
        "humanLoopName": "loop-1",
        "createdAt": "2024-05-06T07:08:09.123Z",
        "completedAt": "2024-05-06T07:08:09.123Z",
        "inputContent": {"taskObject": "s3://b/1.png"},
        "humanAnswers": [
            {
                "workerId": "w0",
                "acceptanceTime": "2024-05-06T07:08:09.123Z",
                "submissionTime": "2024-05-06T07:08:09.123Z",
                "timeSpentInSeconds": 12.346,
                "answerContent": {"sentiment": {"label": "Positive"}},
            }
        ],
        "consolidatedAnswer": {"answerContent": {"x": 1}, "confidence": 1},
    }


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=10,
)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(st.text(max_size=8), json_values, max_size=4),
    st.lists(st.dictionaries(st.text(max_size=5), json_values, max_size=3), max_size=3),
)
def test_any_stored_json_round_trips_through_jsonl_and_csv(
    input_content: dict[str, Any], answers: list[dict[str, Any]]
) -> None:
    record = _record(answers, input_content=input_content)
    parsed = json.loads(jsonl_line(record))
    assert parsed["inputContent"] == input_content
    assert [a["answerContent"] for a in parsed["humanAnswers"]] == answers
    rows = list(csv.DictReader(io.StringIO("".join(csv_lines([record])))))
    assert len(rows) == 1
    assert json.loads(rows[0]["inputContent"]) == input_content
    assert [a["answerContent"] for a in json.loads(rows[0]["humanAnswers"])] == answers


def test_manifest_boxes_become_a_ground_truth_object_detection_label() -> None:
    classes = ClassMap()
    line = json.loads(
        manifest_line(_record([BOXES]), label_attribute="pets", classes=classes, job_name="labeling-job/pets")
    )
    assert line["source-ref"] == "s3://b/1.png"
    assert line["pets"] == {
        "annotations": [
            {"class_id": 0, "left": 388, "top": 140, "width": 301, "height": 212},
            {"class_id": 1, "left": 40, "top": 305, "width": 118, "height": 96},
        ],
        "image_size": [{"width": 1024, "height": 683, "depth": 3}],
    }
    meta = line["pets-metadata"]
    assert meta["type"] == "groundtruth/object-detection"
    assert meta["class-map"] == {"0": "Dog", "1": "Cat"}
    assert meta["objects"] == [{"confidence": 1.0}, {"confidence": 1.0}]
    assert meta["human-annotated"] == "yes"
    assert meta["creation-date"] == "2024-05-06T07:08:09.123"
    assert meta["human-loop-name"] == "loop-1"
    # class ids stay the same on later lines
    cat_only = {
        "annotatedResult": {
            "boundingBoxes": [{"label": "Cat", "left": 1, "top": 2, "width": 3, "height": 4}],
            "inputImageProperties": {"width": 10, "height": 10},
        }
    }
    later = json.loads(manifest_line(_record([cat_only], pk=2), label_attribute="pets", classes=classes, job_name="j"))
    assert later["pets"]["annotations"][0]["class_id"] == 1
    assert later["pets-metadata"]["class-map"] == {"1": "Cat"}


def test_manifest_uses_the_consolidated_answer_and_its_confidence() -> None:
    consolidated = {"answerContent": {"category": {"label": "Cat"}}, "confidence": 0.67}
    record = _record([{"category": {"label": "Dog"}}, {"category": {"label": "Cat"}}], consolidated=consolidated)
    line = json.loads(manifest_line(record, label_attribute="animal", classes=ClassMap(), job_name="j"))
    assert line["animal"] == 0
    assert line["animal-metadata"]["class-name"] == "Cat"
    assert line["animal-metadata"]["confidence"] == 0.67
    assert line["animal-metadata"]["type"] == "groundtruth/image-classification"


def test_manifest_text_inputs_use_source_and_built_in_inputs_their_s3_object() -> None:
    text = json.loads(
        manifest_line(
            _record([{"x": 1}], input_content={"text": "hello"}), label_attribute="a", classes=ClassMap(), job_name="j"
        )
    )
    assert text["source"] == "hello"
    assert text["a"] == {"x": 1}
    assert text["a-metadata"]["type"] == "loupe/custom"
    built_in = {"aiServiceRequest": {"image": {"s3Object": {"bucket": "imgs", "name": "7.jpg"}}}}
    line = json.loads(
        manifest_line(
            _record([{"x": 1}], input_content=built_in), label_attribute="a", classes=ClassMap(), job_name="j"
        )
    )
    assert line["source-ref"] == "s3://imgs/7.jpg"


def test_coco_boxes_polygons_and_keypoints() -> None:
    polygon = {
        "shape": {
            "inputImageProperties": {"height": 720, "width": 960},
            "polygons": [
                {"label": "Bird", "vertices": [{"x": 0, "y": 0}, {"x": 4, "y": 0}, {"x": 4, "y": 3}, {"x": 0, "y": 3}]}
            ],
        }
    }
    keypoints = {
        "kp": {
            "inputImageProperties": {"height": 900, "width": 1200},
            "keypoints": [{"label": "Nose", "x": 5, "y": 6}, {"label": "Eye", "x": 7, "y": 8}],
        }
    }
    records = [_record([BOXES], pk=1), _record([polygon], pk=2), _record([keypoints], pk=3)]
    categories = CocoCategories()
    # first pass: images and categories
    images = [coco_image(r, categories) for r in records]
    assert [(i["id"], i["width"], i["height"]) for i in images] == [(1, 1024, 683), (2, 960, 720), (3, 1200, 900)]
    cats = coco_categories(categories)
    assert [c["name"] for c in cats] == ["Dog", "Cat", "Bird", "object"]
    assert cats[3]["keypoints"] == ["Nose", "Eye"]
    # second pass: annotations
    annotations: list[dict[str, Any]] = []
    for r in records:
        annotations += coco_annotations(r, categories, len(annotations) + 1)
    assert [a["id"] for a in annotations] == [1, 2, 3, 4]
    assert annotations[0] == {
        "id": 1,
        "image_id": 1,
        "category_id": 1,
        "bbox": [388.0, 140.0, 301.0, 212.0],
        "area": 301.0 * 212.0,
        "segmentation": [],
        "iscrowd": 0,
    }
    assert annotations[2]["segmentation"] == [[0.0, 0.0, 4.0, 0.0, 4.0, 3.0, 0.0, 3.0]]
    assert annotations[2]["bbox"] == [0.0, 0.0, 4.0, 3.0]
    assert annotations[2]["area"] == 12.0
    assert annotations[3]["keypoints"] == [5.0, 6.0, 2.0, 7.0, 8.0, 2.0]
    assert annotations[3]["num_keypoints"] == 2
    assert annotations[3]["category_id"] == 4


def test_integers_beyond_64_bits_are_exported_exactly() -> None:
    huge = 123456789012345678901234567890
    record = _record([{"count": huge}], input_content={"text": "x", "id": huge})
    line = json.loads(manifest_line(record, label_attribute="a", classes=ClassMap(), job_name="j"))
    assert line["a"] == {"count": huge}
    rows = list(csv.DictReader(io.StringIO("".join(csv_lines([record])))))
    assert json.loads(rows[0]["answerContent"]) == {"count": huge}
