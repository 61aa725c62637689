"""Agreement of one answer with a reference (gold accuracy, agreement with the consensus): pure
functions, property-tested without a database."""

from __future__ import annotations

from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from flows.consolidation.agreement import Judgement, field_agrees, judge, tally
from flows.consolidation.geometry import box_of, iou

labels = st.sampled_from(["cat", "dog", "bird", "fish"])
coords = st.integers(min_value=0, max_value=500)
sizes = st.integers(min_value=1, max_value=200)


@st.composite
def boxes(draw: Any, max_size: int = 4) -> list[dict[str, Any]]:
    """Boxes of distinct labels (so a matching is unambiguous)."""
    chosen = draw(st.lists(labels, unique=True, max_size=max_size))
    return [
        {"label": lab, "left": draw(coords), "top": draw(coords), "width": draw(sizes), "height": draw(sizes)}
        for lab in chosen
    ]


json_leaf = st.one_of(st.booleans(), st.integers(-1000, 1000), st.text(max_size=8), st.none())
answers = st.one_of(
    labels.map(lambda lab: {"category": {"label": lab}}),
    st.lists(labels, unique=True).map(lambda ls: {"tags": {"labels": ls}}),
    boxes().map(lambda bs: {"boxes": {"boundingBoxes": bs}}),
    st.dictionaries(st.sampled_from(["a", "b", "c"]), st.booleans(), min_size=1).map(lambda d: {"choice": d}),
    st.text(max_size=20).map(lambda t: {"comment": t}),
    st.integers(-100, 100).map(lambda n: {"count": n}),
    st.dictionaries(st.text(max_size=3), json_leaf, max_size=3).map(lambda d: {"other": d}),
)


@given(answers)
def test_every_answer_agrees_with_itself(answer: dict[str, Any]) -> None:
    assert judge(answer, answer).agrees


@given(labels, labels)
def test_single_label_agrees_exactly_when_labels_are_equal(a: str, b: str) -> None:
    assert judge({"category": {"label": a}}, {"category": {"label": b}}).agrees is (a == b)


@given(st.lists(labels, unique=True), st.randoms())
def test_multi_label_ignores_order(chosen: list[str], rnd: Any) -> None:
    shuffled = list(chosen)
    rnd.shuffle(shuffled)
    assert judge({"t": {"labels": shuffled}}, {"t": {"labels": chosen}}).agrees


@given(st.lists(labels, unique=True), labels)
def test_multi_label_with_a_label_more_or_less_disagrees(chosen: list[str], extra: str) -> None:
    assume(extra not in chosen)
    assert not judge({"t": {"labels": [*chosen, extra]}}, {"t": {"labels": chosen}}).agrees


@given(coords, coords, sizes, sizes, st.integers(-150, 150), st.integers(-150, 150))
def test_one_box_agrees_exactly_when_iou_reaches_the_threshold(
    left: int, top: int, w: int, h: int, dx: int, dy: int
) -> None:
    ref = {"label": "cat", "left": left, "top": top, "width": w, "height": h}
    moved = {**ref, "left": left + dx, "top": top + dy}
    overlap = iou(box_of(ref), box_of(moved))
    assume(abs(overlap - 0.5) > 1e-9)
    agrees = judge({"b": {"boundingBoxes": [moved]}}, {"b": {"boundingBoxes": [ref]}}).agrees
    assert agrees is (overlap >= 0.5)


@given(boxes(), st.randoms())
def test_box_order_does_not_matter(bs: list[dict[str, Any]], rnd: Any) -> None:
    shuffled = list(bs)
    rnd.shuffle(shuffled)
    assert judge({"b": {"boundingBoxes": shuffled}}, {"b": {"boundingBoxes": bs}}).agrees


@given(boxes(max_size=3))
def test_a_missing_or_extra_box_disagrees(bs: list[dict[str, Any]]) -> None:
    assume(bs)
    assert not judge({"b": {"boundingBoxes": bs[:-1]}}, {"b": {"boundingBoxes": bs}}).agrees
    assert not judge({"b": {"boundingBoxes": bs}}, {"b": {"boundingBoxes": bs[:-1]}}).agrees


@given(boxes(max_size=3), labels)
def test_a_box_with_another_label_disagrees(bs: list[dict[str, Any]], other: str) -> None:
    assume(bs and other not in {b["label"] for b in bs})
    relabelled = [{**bs[0], "label": other}, *bs[1:]]
    assert not judge({"b": {"boundingBoxes": relabelled}}, {"b": {"boundingBoxes": bs}}).agrees


def test_iou_threshold_comes_from_the_flow_settings() -> None:
    ref = {"label": "cat", "left": 0, "top": 0, "width": 100, "height": 100}
    moved = {**ref, "left": 40}  # IoU 60 / 140 = 0.43
    worker, gold = {"b": {"boundingBoxes": [moved]}}, {"b": {"boundingBoxes": [ref]}}
    assert not judge(worker, gold).agrees
    assert judge(worker, gold, {"iouThreshold": 0.4}).agrees
    assert judge(worker, gold, {"fields": {"b": {"iouThreshold": 0.4}}}).agrees


@given(st.text(alphabet="abcXYZ \t", max_size=20))
def test_free_text_ignores_case_and_surrounding_space(t: str) -> None:
    assert field_agrees(f"  {t.upper()}\n", t)


def test_free_text_ignores_case_and_spacing_but_not_words() -> None:
    assert judge({"c": "The  Cat"}, {"c": "the cat"}).agrees
    assert not judge({"c": "the dog"}, {"c": "the cat"}).agrees


@given(answers, answers)
@settings(max_examples=200)
def test_judging_fields_agrees_when_all_fields_do(a: dict[str, Any], b: dict[str, Any]) -> None:
    reference = {**a, **{f"x_{k}": v for k, v in b.items()}}
    j = judge(reference, reference)
    assert j.agrees
    assert set(j.fields) == set(reference)


@given(answers)
def test_a_missing_field_disagrees(answer: dict[str, Any]) -> None:
    assert not judge({}, answer).agrees
    assert not judge(answer, {**answer, "extra": {"label": "cat"}}).agrees


def test_only_the_reference_fields_are_judged() -> None:
    assert judge({"category": {"label": "cat"}, "note": "anything"}, {"category": {"label": "cat"}}).agrees


def test_exact_method_compares_json_values() -> None:
    assert judge({"x": {"a": [1, 2]}}, {"x": {"a": [1, 2]}}, {"method": "exact"}).agrees
    assert not judge({"x": {"a": [2, 1]}}, {"x": {"a": [1, 2]}}, {"method": "exact"}).agrees


def test_one_choice_and_checkboxes_compare_the_chosen_keys() -> None:
    assert judge({"s": {"yes": True, "no": False}}, {"s": {"yes": True, "no": False}}).agrees
    assert not judge({"s": {"yes": False, "no": True}}, {"s": {"yes": True, "no": False}}).agrees
    assert judge({"s": {"a": True, "b": True, "c": False}}, {"s": {"b": True, "a": True}}).agrees


def test_malformed_shapes_do_not_agree() -> None:
    gold = {"b": {"boundingBoxes": [{"label": "cat", "left": 0, "top": 0, "width": 10, "height": 10}]}}
    assert not judge({"b": {"boundingBoxes": [{"label": "cat", "left": "x"}]}}, gold).agrees


def test_keypoints_match_within_the_distance() -> None:
    gold = {"k": {"keypoints": [{"label": "eye", "x": 100, "y": 100}]}}
    near = {"k": {"keypoints": [{"label": "eye", "x": 103, "y": 100}]}}
    far = {"k": {"keypoints": [{"label": "eye", "x": 160, "y": 100}]}}
    assert judge(near, gold).agrees
    assert not judge(far, gold).agrees


@given(st.lists(st.booleans(), max_size=50))
def test_tally_counts_the_agreeing_judgements(flags: list[bool]) -> None:
    t = tally(Judgement({"f": f}) for f in flags)
    assert (t.judged, t.agreed) == (len(flags), sum(flags))
    assert t.share == (sum(flags) / len(flags) if flags else None)
