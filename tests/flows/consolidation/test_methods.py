"""Property tests (hypothesis) for every consolidation method, plus examples with known answers."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.consolidation import ConsolidationError, Vote, WorkerAnswer, consolidate, validate_settings
from flows.consolidation.geometry import bounding_boxes, keypoints, polygons
from flows.consolidation.text import free_text
from flows.consolidation.voting import multi_label, numeric, single_label

fast = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

worker_ids = st.lists(st.text("abcdefghij", min_size=1, max_size=6), min_size=1, max_size=6, unique=True)
weights = st.floats(min_value=0.05, max_value=5.0, allow_nan=False)
labels = st.sampled_from(["cat", "dog", "bird"])
coords = st.integers(min_value=0, max_value=500)


@st.composite
def box(draw: st.DrawFn, label: str | None = None) -> dict:
    return {
        "label": label or draw(labels),
        "left": draw(coords),
        "top": draw(coords),
        "width": draw(st.integers(1, 200)),
        "height": draw(st.integers(1, 200)),
    }


@st.composite
def float_box(draw: st.DrawFn) -> dict:
    f = st.floats(min_value=0, max_value=1, allow_nan=False)
    return {"label": "x", "left": draw(f), "top": draw(f), "width": draw(f) + 0.01, "height": draw(f) + 0.01}


@st.composite
def polygon(draw: st.DrawFn) -> dict:
    n = draw(st.integers(3, 6))
    return {"label": draw(labels), "vertices": [{"x": draw(coords), "y": draw(coords)} for _ in range(n)]}


def votes_of(draw: st.DrawFn, value_strategy: st.SearchStrategy) -> list[Vote]:
    ids = draw(worker_ids)
    return [Vote(w, draw(value_strategy), draw(weights)) for w in ids]


# --- Unanimity: every method returns the common answer -----------------------------------------


@fast
@given(ids=worker_ids, value=labels)
def test_single_label_unanimous(ids: list[str], value: str) -> None:
    result = single_label([Vote(w, value) for w in ids])
    assert result.value == value
    assert result.confidence == 1.0


@fast
@given(ids=worker_ids, chosen=st.lists(labels, unique=True))
def test_multi_label_unanimous(ids: list[str], chosen: list[str]) -> None:
    kept, result = multi_label([Vote(w, chosen) for w in ids], items=lambda v: v)
    assert sorted(kept) == sorted(chosen)
    assert result.confidence == 1.0


@fast
@given(ids=worker_ids, boxes=st.lists(box(), max_size=4))
def test_boxes_unanimous(ids: list[str], boxes: list[dict]) -> None:
    # Distinct boxes of one worker must not overlap into one cluster for this property.
    value = {"boundingBoxes": boxes, "inputImageProperties": {"width": 700, "height": 700}}
    result = bounding_boxes([Vote(w, value) for w in ids])
    key = lambda b: (b["label"], b["left"], b["top"], b["width"], b["height"])  # noqa: E731
    assert sorted(result.value["boundingBoxes"], key=key) == sorted(boxes, key=key)
    assert result.value["inputImageProperties"] == {"width": 700, "height": 700}


@fast
@given(ids=worker_ids, b=float_box())
def test_float_box_unanimous_is_exact(ids: list[str], b: dict) -> None:
    result = bounding_boxes([Vote(w, {"boundingBoxes": [b]}) for w in ids])
    assert result.value["boundingBoxes"] == [b]


@fast
@given(ids=worker_ids, pts=st.lists(st.tuples(labels, coords, coords), max_size=3, unique_by=lambda p: p[0]))
def test_keypoints_unanimous(ids: list[str], pts: list[tuple[str, int, int]]) -> None:
    value = {"keypoints": [{"label": lab, "x": x, "y": y} for lab, x, y in pts]}
    result = keypoints([Vote(w, value) for w in ids], distance_threshold=10)
    assert sorted(result.value["keypoints"], key=lambda p: p["label"]) == sorted(
        value["keypoints"], key=lambda p: p["label"]
    )


@fast
@given(ids=worker_ids, poly=polygon())
def test_polygons_unanimous(ids: list[str], poly: dict) -> None:
    result = polygons([Vote(w, {"polygons": [poly]}) for w in ids])
    assert result.value["polygons"] == [poly]


@fast
@given(ids=worker_ids, text=st.text(max_size=40))
def test_free_text_unanimous(ids: list[str], text: str) -> None:
    result = free_text([Vote(w, text) for w in ids])
    assert result.value == text
    assert result.confidence == 1.0


@fast
@given(ids=worker_ids, x=st.floats(-1e6, 1e6, allow_nan=False))
def test_numeric_unanimous(ids: list[str], x: float) -> None:
    assert numeric([Vote(w, x) for w in ids]).value == x


# --- Permutation invariance --------------------------------------------------------------------


@fast
@given(data=st.data())
def test_every_method_ignores_vote_order(data: st.DataObject) -> None:
    cases = [
        (single_label, labels),
        (lambda v: multi_label(v, items=lambda x: x)[0], st.lists(labels, unique=True)),
        (bounding_boxes, st.builds(lambda b: {"boundingBoxes": b}, st.lists(box(), max_size=3))),
        (
            keypoints,
            st.builds(lambda p: {"keypoints": [p]}, st.fixed_dictionaries({"label": labels, "x": coords, "y": coords})),
        ),
        (polygons, st.builds(lambda p: {"polygons": [p]}, polygon())),
        (free_text, st.sampled_from(["hello world", "Hello world", "goodbye", "hello"])),
        (numeric, st.integers(-50, 50)),
    ]
    for method, values in cases:
        votes = votes_of(data.draw, values)
        shuffled = data.draw(st.permutations(votes))

        def value(vs: list[Vote], m=method):
            r = m(vs)
            return r.value if hasattr(r, "value") else r

        assert value(votes) == value(list(shuffled)), method


# --- Weight 0 ignores a worker ------------------------------------------------------------------


@fast
@given(data=st.data())
def test_zero_weight_worker_changes_nothing(data: st.DataObject) -> None:
    cases = [
        (single_label, labels),
        (bounding_boxes, st.builds(lambda b: {"boundingBoxes": b}, st.lists(box(), max_size=3))),
        (
            keypoints,
            st.builds(lambda p: {"keypoints": [p]}, st.fixed_dictionaries({"label": labels, "x": coords, "y": coords})),
        ),
        (polygons, st.builds(lambda p: {"polygons": [p]}, polygon())),
        (free_text, st.text("ab ", max_size=8)),
        (numeric, st.integers(-50, 50)),
    ]
    for method, values in cases:
        votes = votes_of(data.draw, values)
        intruder = Vote("zz-intruder", data.draw(values), 0.0)
        assert method(votes).value == method([*votes, intruder]).value, method


def test_all_zero_weights_count_equally() -> None:
    votes = [Vote("a", "x", 0.0), Vote("b", "x", 0.0), Vote("c", "y", 0.0)]
    assert single_label(votes).value == "x"


def test_negative_weight_is_refused() -> None:
    with pytest.raises(ConsolidationError, match="weight"):
        single_label([Vote("a", "x", -1.0)])


# --- Geometry facts ----------------------------------------------------------------------------


@fast
@given(boxes=st.lists(float_box(), min_size=1, max_size=5), ws=st.lists(weights, min_size=5, max_size=5))
def test_fused_box_lies_within_the_hull_of_its_cluster(boxes: list[dict], ws: list[float]) -> None:
    votes = [Vote(f"w{i}", {"boundingBoxes": [b]}, ws[i]) for i, b in enumerate(boxes)]
    result = bounding_boxes(votes, iou_threshold=0.0, min_agreement=0.0)
    eps = 1e-9
    for fused, shape in zip(result.value["boundingBoxes"], result.details["shapes"], strict=True):
        members = boxes if shape["workers"] == len(boxes) else None
        if members is None:
            continue
        assert min(b["left"] for b in members) - eps <= fused["left"] <= max(b["left"] for b in members) + eps
        assert min(b["top"] for b in members) - eps <= fused["top"] <= max(b["top"] for b in members) + eps
        right = fused["left"] + fused["width"]
        bottom = fused["top"] + fused["height"]
        assert (
            min(b["left"] + b["width"] for b in members) - eps
            <= right
            <= max(b["left"] + b["width"] for b in members) + eps
        )
        assert (
            min(b["top"] + b["height"] for b in members) - eps
            <= bottom
            <= max(b["top"] + b["height"] for b in members) + eps
        )


@fast
@given(boxes=st.lists(box(label="car"), min_size=2, max_size=5))
def test_fused_integer_box_lies_within_the_hull(boxes: list[dict]) -> None:
    votes = [Vote(f"w{i}", {"boundingBoxes": [b]}) for i, b in enumerate(boxes)]
    result = bounding_boxes(votes, iou_threshold=0.0, min_agreement=0.0)
    (fused,) = result.value["boundingBoxes"]
    assert min(b["left"] for b in boxes) <= fused["left"] <= max(b["left"] for b in boxes)
    assert (
        min(b["left"] + b["width"] for b in boxes)
        <= fused["left"] + fused["width"]
        <= max(b["left"] + b["width"] for b in boxes)
    )


def test_boxes_cluster_by_iou_and_drop_a_lone_box() -> None:
    a = {"label": "car", "left": 10, "top": 10, "width": 100, "height": 50}
    b = {"label": "car", "left": 14, "top": 12, "width": 100, "height": 50}
    c = {"label": "car", "left": 12, "top": 8, "width": 100, "height": 50}
    stray = {"label": "car", "left": 400, "top": 400, "width": 20, "height": 20}
    result = bounding_boxes(
        [
            Vote("w1", {"boundingBoxes": [a, stray]}),
            Vote("w2", {"boundingBoxes": [b]}),
            Vote("w3", {"boundingBoxes": [c]}),
        ]
    )
    assert result.value["boundingBoxes"] == [{"label": "car", "left": 12, "top": 10, "width": 100, "height": 50}]
    assert result.details["dropped"] == 1


def test_boxes_of_different_labels_never_merge() -> None:
    car = {"label": "car", "left": 0, "top": 0, "width": 10, "height": 10}
    bus = {**car, "label": "bus"}
    result = bounding_boxes(
        [Vote("w1", {"boundingBoxes": [car]}), Vote("w2", {"boundingBoxes": [bus]})], min_agreement=0.4
    )
    assert sorted(b["label"] for b in result.value["boundingBoxes"]) == ["bus", "car"]


def test_keypoints_use_the_median_so_one_wild_click_does_not_move_them() -> None:
    pts = [(100, 100), (102, 101), (300, 300)]
    votes = [Vote(f"w{i}", {"keypoints": [{"label": "eye", "x": x, "y": y}]}) for i, (x, y) in enumerate(pts)]
    result = keypoints(votes, distance_threshold=500)
    assert result.value["keypoints"] == [{"label": "eye", "x": 102, "y": 101}]


def test_polygons_align_rotated_vertices_before_taking_the_median() -> None:
    square = [{"x": 0, "y": 0}, {"x": 10, "y": 0}, {"x": 10, "y": 10}, {"x": 0, "y": 10}]
    rotated = square[2:] + square[:2]
    shifted = [{"x": p["x"] + 1, "y": p["y"]} for p in square]
    votes = [Vote("a", {"polygons": [{"label": "s", "vertices": v}]}) for v in (square,)] + [
        Vote("b", {"polygons": [{"label": "s", "vertices": rotated}]}),
        Vote("c", {"polygons": [{"label": "s", "vertices": shifted}]}),
    ]
    result = polygons(votes)
    assert result.value["polygons"] == [{"label": "s", "vertices": square}]
    assert result.details["shapes"][0]["fusion"] == "median"


def test_polygons_with_different_vertex_counts_keep_the_medoid_whole() -> None:
    tri = [{"x": 0, "y": 0}, {"x": 10, "y": 0}, {"x": 5, "y": 10}]
    quad = [{"x": 0, "y": 0}, {"x": 10, "y": 0}, {"x": 6, "y": 10}, {"x": 4, "y": 10}]
    votes = [
        Vote("a", {"polygons": [{"label": "t", "vertices": tri}]}),
        Vote("b", {"polygons": [{"label": "t", "vertices": tri}]}),
        Vote("c", {"polygons": [{"label": "t", "vertices": quad}]}),
    ]
    assert polygons(votes).value["polygons"][0]["vertices"] == tri


def test_free_text_is_kept_whole_with_an_agreement_score() -> None:
    votes = [Vote("a", "The total is 42.00"), Vote("b", "the total is  42.00"), Vote("c", "illegible")]
    result = free_text(votes)
    assert result.value == "The total is 42.00"
    assert 0.6 < result.details["agreement"] < 1.0


# --- The dispatcher ----------------------------------------------------------------------------


def test_dispatch_infers_each_field_from_the_answer_shapes() -> None:
    answers = [
        WorkerAnswer(
            "w1",
            {
                "cat": {"label": "dog"},
                "tags": {"labels": ["a", "b"]},
                "ok": {"yes": True, "no": False},
                "n": 3,
                "note": "fine",
            },
        ),
        WorkerAnswer(
            "w2",
            {
                "cat": {"label": "dog"},
                "tags": {"labels": ["a"]},
                "ok": {"yes": True, "no": False},
                "n": 5,
                "note": "fine",
            },
        ),
        WorkerAnswer(
            "w3", {"cat": {"label": "cat"}, "tags": {"labels": ["a", "c"]}, "ok": {"yes": False, "no": True}, "n": 4}
        ),
    ]
    out = consolidate(answers, settings={"method": "majority_vote"})
    assert out["answerContent"] == {
        "cat": {"label": "dog"},
        "tags": {"labels": ["a"]},
        "ok": {"no": False, "yes": True},
        "n": 4,
        "note": "fine",
    }
    assert out["fields"]["cat"]["method"] == "majority_vote"
    assert out["fields"]["note"]["method"] == "free_text"
    assert math.isclose(out["fields"]["cat"]["confidence"], 2 / 3, rel_tol=1e-5)
    assert out["weighting"] == "equal"


def test_a_field_most_workers_left_out_is_left_out() -> None:
    answers = [WorkerAnswer("w1", {"comment": "x"}), WorkerAnswer("w2", {}), WorkerAnswer("w3", {})]
    assert "comment" not in consolidate(answers)["answerContent"]


def test_reliability_weights_can_overturn_the_majority() -> None:
    answers = [
        WorkerAnswer("good", {"c": {"label": "a"}}),
        WorkerAnswer("bad1", {"c": {"label": "b"}}),
        WorkerAnswer("bad2", {"c": {"label": "b"}}),
    ]
    weighted = consolidate(
        answers, settings={"method": "weighted_vote"}, weights={"good": 3.0, "bad1": 0.5, "bad2": 0.5}
    )
    plain = consolidate(answers, settings={"method": "majority_vote"}, weights={"good": 3.0, "bad1": 0.5, "bad2": 0.5})
    assert weighted["answerContent"]["c"] == {"label": "a"}
    assert plain["answerContent"]["c"] == {"label": "b"}


def test_rekognition_answers_vote_on_the_labels() -> None:
    key = "AWS/Rekognition/DetectModerationLabels/Image/V3"
    v = {"name": "Violence", "parentName": ""}
    answers = [
        WorkerAnswer("w1", {key: {"moderationLabels": [v]}}),
        WorkerAnswer("w2", {key: {"moderationLabels": [v]}}),
        WorkerAnswer("w3", {key: {"moderationLabels": []}}),
    ]
    assert consolidate(answers)["answerContent"] == {key: {"moderationLabels": [v]}}


def test_forced_geometry_method_on_labels_is_refused() -> None:
    with pytest.raises(ConsolidationError, match="does not fit"):
        consolidate([WorkerAnswer("w", {"c": {"label": "a"}})], settings={"method": "bounding_boxes"})


@pytest.mark.parametrize(
    ("settings_", "message"),
    [
        ({"method": "telepathy"}, "method"),
        ({"weighting": "loud"}, "weighting"),
        ({"iouThreshold": 2}, "iouThreshold"),
        ({"colour": 1}, "unknown keys"),
        ({"fields": {"x": {"method": "nope"}}}, "fields.x.method"),
        ([], "JSON object"),
    ],
)
def test_bad_settings_are_refused_with_the_key_named(settings_: object, message: str) -> None:
    with pytest.raises(ConsolidationError, match=message):
        validate_settings(settings_)
