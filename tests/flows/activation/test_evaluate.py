"""evaluate: golden cases from the documented examples (spec §18.4, §18.5, §20.4)."""

from __future__ import annotations

from typing import Any

from flows.activation import REKOGNITION, TEXTRACT, conditions_validate, evaluate
from tests.flows.activation.factories import (
    rekognition_request,
    rekognition_response,
    textract_request,
    textract_response,
)

# §18.5, Textract: a low-confidence invoice number; no total due; a 2.5 % sample of confident pairs.
TEXTRACT_DOC: dict[str, Any] = {
    "Conditions": [
        {
            "ConditionType": "ImportantFormKeyConfidenceCheck",
            "ConditionParameters": {
                "ImportantFormKey": "Invoice Number",
                "ImportantFormKeyAliases": ["Invoice No.", "Invoice #", "InvoiceNumber"],
                "KeyValueBlockConfidenceLessThan": 70,
                "WordBlockConfidenceLessThan": 80,
            },
        },
        {
            "ConditionType": "MissingImportantFormKey",
            "ConditionParameters": {
                "ImportantFormKey": "Total Due",
                "ImportantFormKeyAliases": ["Amount Due", "Balance Due"],
            },
        },
        {
            "And": [
                {"ConditionType": "Sampling", "ConditionParameters": {"RandomSamplingPercentage": 2.5}},
                {
                    "ConditionType": "ImportantFormKeyConfidenceCheck",
                    "ConditionParameters": {
                        "ImportantFormKey": "*",
                        "KeyValueBlockConfidenceGreaterThanEquals": 95,
                        "WordBlockConfidenceGreaterThanEquals": 95,
                    },
                },
            ]
        },
    ]
}

# §18.5, Rekognition: Violence in [50, 90), or a 1 % sample of all images.
REKOGNITION_DOC: dict[str, Any] = {
    "Conditions": [
        {
            "Or": [
                {
                    "And": [
                        {
                            "ConditionType": "ModerationLabelConfidenceCheck",
                            "ConditionParameters": {
                                "ModerationLabelName": "Violence",
                                "ConfidenceGreaterThanEquals": 50,
                            },
                        },
                        {
                            "ConditionType": "ModerationLabelConfidenceCheck",
                            "ConditionParameters": {"ModerationLabelName": "Violence", "ConfidenceLessThan": 90},
                        },
                    ]
                },
                {"ConditionType": "Sampling", "ConditionParameters": {"RandomSamplingPercentage": 1}},
            ]
        }
    ]
}


def _textract(response: dict[str, Any], name: str = "doc.png") -> Any:
    doc = conditions_validate(TEXTRACT_DOC, TEXTRACT)
    return evaluate(doc, request_source=TEXTRACT, request=textract_request(name), response=response)


def test_textract_low_invoice_number_gives_the_documented_evaluation_record() -> None:
    # given an invoice number read through an alias, with low confidences, and a total due
    response = textract_response(("Invoice No.", 62.0, 75.0, "A-17", 90.0), ("Amount Due", 99.0, 99.5, "42.00", 99.0))
    # when
    ev = _textract(response)
    # then: the first two entries are exactly §18.4's record
    assert ev.human_loop_needed
    assert ev.results is not None
    assert ev.results["Conditions"][:2] == [
        {
            "ConditionType": "ImportantFormKeyConfidenceCheck",
            "ConditionParameters": {
                "ImportantFormKey": "Invoice Number",
                "ImportantFormKeyAliases": ["Invoice No.", "Invoice #", "InvoiceNumber"],
                "KeyValueBlockConfidenceLessThan": 70,
                "WordBlockConfidenceLessThan": 80,
            },
            "EvaluationResult": True,
        },
        {
            "ConditionType": "MissingImportantFormKey",
            "ConditionParameters": {
                "ImportantFormKey": "Total Due",
                "ImportantFormKeyAliases": ["Amount Due", "Balance Due"],
            },
            "EvaluationResult": False,
        },
    ]
    assert set(ev.results["Conditions"][2]) == {"And", "EvaluationResult"}
    assert all("EvaluationResult" in leaf for leaf in ev.results["Conditions"][2]["And"])
    assert "Conditions[0]: ImportantFormKeyConfidenceCheck" in ev.reasons
    # and the selected response holds the invoice pair (key, value, words) and the page, not the total
    texts = {b.get("text") for b in ev.selected["blocks"] if b["blockType"] == "WORD"}
    assert texts == {"Invoice", "No.", "A-17"}
    assert {b["blockType"] for b in ev.selected["blocks"]} == {"PAGE", "KEY_VALUE_SET", "WORD"}
    assert ev.selected["documentMetadata"] == {"pages": 1}


def test_textract_confident_invoice_number_does_not_fire_the_confidence_check() -> None:
    response = textract_response(("Invoice Number", 71.0, 75.0, "A-17", 70.0), ("Total Due", 90.0, 90.0, "1", 90.0))
    ev = _textract(response)
    assert ev.results is not None
    assert ev.results["Conditions"][0]["EvaluationResult"] is False  # key-value block 71 is not < 70
    assert ev.results["Conditions"][1]["EvaluationResult"] is False
    assert ev.results["Conditions"][2]["EvaluationResult"] is False  # no pair is >= 95
    assert not ev.human_loop_needed
    assert ev.reasons == []
    assert ev.selected is None


def test_textract_missing_total_selects_the_form_without_key_value_pairs() -> None:
    response = textract_response(("Invoice Number", 99.0, 99.0, "A-17", 99.0))
    ev = _textract(response, name="no-total.png")
    assert ev.results is not None
    assert ev.results["Conditions"][1]["EvaluationResult"] is True
    assert ev.human_loop_needed
    assert "Conditions[1]: MissingImportantFormKey" in ev.reasons
    kinds = [b["blockType"] for b in ev.selected["blocks"]]
    assert "KEY_VALUE_SET" not in kinds
    assert kinds.count("WORD") == 3


def test_textract_key_matching_is_exact_not_case_folded() -> None:
    response = textract_response(("invoice number", 10.0, 10.0, "A", 10.0), ("Total Due", 99.0, 99.0, "1", 99.0))
    ev = _textract(response)
    assert ev.results is not None
    assert ev.results["Conditions"][0]["EvaluationResult"] is False


def test_textract_word_comparisons_hold_when_any_word_of_the_pair_meets_them() -> None:
    # key words at 85, value word at 79: one word < 80 is enough
    response = textract_response(("Invoice #", 50.0, 85.0, "A-17", 79.0), ("Total Due", 99.0, 99.0, "1", 99.0))
    assert _textract(response).results["Conditions"][0]["EvaluationResult"] is True  # type: ignore[index]
    response = textract_response(("Invoice #", 50.0, 85.0, "A-17", 81.0), ("Total Due", 99.0, 99.0, "1", 99.0))
    assert _textract(response).results["Conditions"][0]["EvaluationResult"] is False  # type: ignore[index]


def test_textract_sampling_inside_and_samples_among_the_pairs_the_other_branch_selected() -> None:
    # given a 100 % sample of pairs >= 95 (the §18.5 shape with a certain draw)
    doc = {
        "Conditions": [
            {
                "And": [
                    {"ConditionType": "Sampling", "ConditionParameters": {"RandomSamplingPercentage": 100}},
                    TEXTRACT_DOC["Conditions"][2]["And"][1],
                ]
            }
        ]
    }
    response = textract_response(("Name", 97.0, 98.0, "Ada", 99.0), ("City", 60.0, 60.0, "Paris", 60.0))
    # when
    ev = evaluate(conditions_validate(doc, TEXTRACT), request_source=TEXTRACT, request={}, response=response)
    # then only the confident pair is selected
    assert ev.human_loop_needed
    texts = {b.get("text") for b in ev.selected["blocks"] if b["blockType"] == "WORD"}
    assert texts == {"Name", "Ada"}


def _rekognition(labels: list[tuple[str, float]], name: str = "img.jpg", doc: dict[str, Any] = REKOGNITION_DOC) -> Any:
    return evaluate(
        conditions_validate(doc, REKOGNITION),
        request_source=REKOGNITION,
        request=rekognition_request(name),
        response=rekognition_response(*labels),
    )


def _and_result(ev: Any) -> bool:
    return bool(ev.results["Conditions"][0]["Or"][0]["EvaluationResult"])


def test_rekognition_violence_range_is_half_open() -> None:
    assert _and_result(_rekognition([("Violence", 50.0)]))
    assert _and_result(_rekognition([("Violence", 89.99)]))
    assert not _and_result(_rekognition([("Violence", 90.0)]))
    assert not _and_result(_rekognition([("Violence", 49.9)]))


def test_rekognition_label_names_match_case_sensitively() -> None:
    assert not _and_result(_rekognition([("violence", 70.0)]))


def test_rekognition_range_selects_only_the_matching_label() -> None:
    ev = _rekognition([("Violence", 71.2), ("Suggestive", 60.0)])
    assert ev.human_loop_needed
    assert [lab["name"] for lab in ev.selected["moderationLabels"]] == ["Violence"]
    assert ev.selected["moderationModelVersion"] == "3.0"
    assert "Conditions[0].Or[0].And[0]: ModerationLabelConfidenceCheck" in ev.reasons


def test_rekognition_star_range_is_a_range_on_one_label_not_across_labels() -> None:
    # given "*" >= 50 and "*" < 90: one label at 95 meets the first, another at 30 the second
    doc = {
        "Conditions": [
            {
                "And": [
                    {
                        "ConditionType": "ModerationLabelConfidenceCheck",
                        "ConditionParameters": {"ModerationLabelName": "*", "ConfidenceGreaterThanEquals": 50},
                    },
                    {
                        "ConditionType": "ModerationLabelConfidenceCheck",
                        "ConditionParameters": {"ModerationLabelName": "*", "ConfidenceLessThan": 90},
                    },
                ]
            }
        ]
    }
    # then no label is inside the range
    assert not _rekognition([("Violence", 95.0), ("Drugs", 30.0)], doc=doc).human_loop_needed
    assert _rekognition([("Violence", 95.0), ("Drugs", 60.0)], doc=doc).human_loop_needed


def test_rekognition_any_label_example_of_the_output_document() -> None:
    # §20.4's built-in output: "*" <= 80, one Violence label at 71.2
    doc = {
        "Conditions": [
            {
                "ConditionType": "ModerationLabelConfidenceCheck",
                "ConditionParameters": {"ModerationLabelName": "*", "ConfidenceLessThanEquals": 80},
            }
        ]
    }
    ev = _rekognition([("Violence", 71.2)], name="7731.jpg", doc=doc)
    assert ev.results == {
        "Conditions": [
            {
                "ConditionType": "ModerationLabelConfidenceCheck",
                "ConditionParameters": {"ModerationLabelName": "*", "ConfidenceLessThanEquals": 80},
                "EvaluationResult": True,
            }
        ]
    }
    assert ev.selected == {
        "moderationLabels": [{"confidence": 71.2, "name": "Violence", "parentName": ""}],
        "moderationModelVersion": "3.0",
    }


def test_rekognition_any_label_at_most_60() -> None:
    doc = {
        "Conditions": [
            {
                "ConditionType": "ModerationLabelConfidenceCheck",
                "ConditionParameters": {"ModerationLabelName": "*", "ConfidenceLessThanEquals": 60},
            }
        ]
    }
    ev = _rekognition([("Suggestive", 60.0), ("Violence", 80.0)], doc=doc)
    assert [lab["name"] for lab in ev.selected["moderationLabels"]] == ["Suggestive"]
    assert not _rekognition([("Violence", 80.0)], doc=doc).human_loop_needed
    assert not _rekognition([], doc=doc).human_loop_needed


PREDICTION = {"label": "cat", "scores": [0.62, 0.3], "boxes": [{"score": 0.9}, {"score": 0.4}]}


def _custom(doc: dict[str, Any], prediction: Any = PREDICTION) -> Any:
    return evaluate(conditions_validate(doc, None), request_source=None, request={"id": 1}, response=prediction)


def test_any_model_confidence_below_threshold_fires_and_selects_the_path() -> None:
    doc = {
        "Conditions": [
            {
                "ConditionType": "PredictionConfidenceCheck",
                "ConditionParameters": {"Path": "$.scores[0]", "ConfidenceLessThan": 0.8},
            }
        ]
    }
    ev = _custom(doc)
    assert ev.human_loop_needed
    assert ev.selected == {"$.scores[0]": 0.62}
    assert ev.reasons == ["Conditions[0]: PredictionConfidenceCheck"]
    assert not _custom(doc, {"scores": [0.81]}).human_loop_needed


def test_any_model_wildcard_per_item_range() -> None:
    doc = {
        "Conditions": [
            {
                "And": [
                    {
                        "ConditionType": "PredictionConfidenceCheck",
                        "ConditionParameters": {"Path": "$.boxes[*].score", "ConfidenceGreaterThan": 0.3},
                    },
                    {
                        "ConditionType": "PredictionConfidenceCheck",
                        "ConditionParameters": {"Path": "$.boxes[*].score", "ConfidenceLessThan": 0.5},
                    },
                ]
            }
        ]
    }
    ev = _custom(doc)
    assert ev.selected == {"$.boxes[1].score": 0.4}


def test_any_model_label_in_set_and_missing_key() -> None:
    in_set = {
        "Conditions": [
            {"ConditionType": "LabelInSet", "ConditionParameters": {"Path": "$.label", "Labels": ["cat", "dog"]}}
        ]
    }
    assert _custom(in_set).human_loop_needed
    assert not _custom(in_set, {"label": "bird"}).human_loop_needed
    booleans = {
        "Conditions": [{"ConditionType": "LabelInSet", "ConditionParameters": {"Path": "$.flag", "Labels": [True]}}]
    }
    assert not _custom(booleans, {"flag": 1}).human_loop_needed
    assert _custom(booleans, {"flag": True}).human_loop_needed
    missing = {"Conditions": [{"ConditionType": "MissingKey", "ConditionParameters": {"Path": "$.label"}}]}
    assert not _custom(missing).human_loop_needed
    assert _custom(missing, {"label": None}).human_loop_needed
    assert _custom(missing, {"scores": []}).human_loop_needed


def test_no_conditions_means_every_request_is_reviewed() -> None:
    ev = evaluate(None, request_source=REKOGNITION, request={}, response={"ModerationLabels": []})
    assert ev.human_loop_needed
    assert ev.results is None
    assert ev.selected == {"moderationLabels": []}
