"""conditions_validate: every inferred check of spec §18.1, with messages that point at the part."""

from __future__ import annotations

import json
from typing import Any

import pytest

from flows.activation import REKOGNITION, TEXTRACT, conditions_validate
from flows.errors import InvalidInput

SAMPLE = {"ConditionType": "Sampling", "ConditionParameters": {"RandomSamplingPercentage": 5}}
LABEL = {
    "ConditionType": "ModerationLabelConfidenceCheck",
    "ConditionParameters": {"ModerationLabelName": "Violence", "ConfidenceLessThan": 90},
}
KEY = {
    "ConditionType": "ImportantFormKeyConfidenceCheck",
    "ConditionParameters": {"ImportantFormKey": "Name", "KeyValueBlockConfidenceLessThan": 60},
}
SCORE = {
    "ConditionType": "PredictionConfidenceCheck",
    "ConditionParameters": {"Path": "$.score", "ConfidenceLessThan": 0.8},
}


def _bad(doc: Any, source: str | None) -> str:
    with pytest.raises(InvalidInput) as caught:
        conditions_validate(doc if isinstance(doc, str) else json.dumps(doc), source)
    assert caught.value.field == (
        "humanLoopActivationConfig.humanLoopActivationConditionsConfig.humanLoopActivationConditions"
    )
    return caught.value.message


def test_the_message_names_the_nested_parameter_out_of_range() -> None:
    doc = {
        "Conditions": [
            KEY,
            KEY,
            {"And": [KEY, {"ConditionType": "Sampling", "ConditionParameters": {"RandomSamplingPercentage": 0}}]},
        ]
    }
    # when
    message = _bad(doc, TEXTRACT)
    # then
    assert message.endswith(
        "Conditions[2].And[1].ConditionParameters.RandomSamplingPercentage must be between 0.01 and 100"
    )


@pytest.mark.parametrize(
    ("doc", "source", "expected"),
    [
        ("{not json", TEXTRACT, "not valid JSON"),
        ([], TEXTRACT, "must be a JSON object"),
        ({"Conditions": []}, TEXTRACT, "Conditions must be an array of at least 1"),
        ({"Conditions": [SAMPLE], "Extra": 1}, TEXTRACT, "unknown top-level member 'Extra'"),
        # DG Textract example 4: a bare leaf without {"Conditions": [...]}
        (KEY, TEXTRACT, "unknown top-level member 'ConditionParameters'"),
        (
            {"Conditions": [{"Foo": 1}]},
            TEXTRACT,
            "Conditions[0] must have exactly one of ConditionType, And or Or (it has none)",
        ),
        ({"Conditions": [{**SAMPLE, "And": [SAMPLE, SAMPLE]}]}, TEXTRACT, "(it has ConditionType and And)"),
        ({"Conditions": [{"Or": [SAMPLE]}]}, REKOGNITION, "Conditions[0].Or must be an array of at least 2 conditions"),
        ({"Conditions": [{"ConditionType": 5}]}, TEXTRACT, "Conditions[0].ConditionType must be a string"),
        (
            {"Conditions": [{"Or": [SAMPLE, {"And": [SAMPLE, {"Or": [SAMPLE, SAMPLE]}]}]}]},
            REKOGNITION,
            "Conditions[0].Or[1].And[1].Or nests And/Or too deeply",
        ),
        ({"Conditions": [LABEL]}, TEXTRACT, "'ModerationLabelConfidenceCheck' does not suit AWS/Textract"),
        ({"Conditions": [KEY]}, REKOGNITION, "'ImportantFormKeyConfidenceCheck' does not suit AWS/Rekognition"),
        ({"Conditions": [LABEL]}, None, "does not suit a custom (any-model) flow"),
        ({"Conditions": [SCORE]}, TEXTRACT, "'PredictionConfidenceCheck' does not suit"),
        (
            {"Conditions": [{"ConditionType": "Nope", "ConditionParameters": {}}]},
            None,
            "'Nope' is not a known condition type",
        ),
        ({"Conditions": [{"ConditionType": "Sampling"}]}, None, "Conditions[0].ConditionParameters must be an object"),
        (
            {"Conditions": [{"ConditionType": "Sampling", "ConditionParameters": {"RandomSamplingPercent": 5}}]},
            None,
            "unknown parameter 'RandomSamplingPercent' for Sampling",
        ),
        (
            {"Conditions": [{"ConditionType": "Sampling", "ConditionParameters": {"RandomSamplingPercentage": "5"}}]},
            None,
            "RandomSamplingPercentage must be between 0.01 and 100",
        ),
        (
            {"Conditions": [{"ConditionType": "Sampling", "ConditionParameters": {"RandomSamplingPercentage": 100.5}}]},
            REKOGNITION,
            "RandomSamplingPercentage must be between 0.01 and 100",
        ),
        (
            {
                "Conditions": [
                    {**LABEL, "ConditionParameters": {"ModerationLabelName": "Violence", "ConfidenceLessThan": 101}}
                ]
            },
            REKOGNITION,
            "Conditions[0].ConditionParameters.ConfidenceLessThan must be a number between 0 and 100",
        ),
        (
            {"Conditions": [{**LABEL, "ConditionParameters": {"ModerationLabelName": "Violence"}}]},
            REKOGNITION,
            "needs at least one confidence comparison",
        ),
        (
            {"Conditions": [{**KEY, "ConditionParameters": {"KeyValueBlockConfidenceLessThan": 60}}]},
            TEXTRACT,
            "Conditions[0].ConditionParameters.ImportantFormKey is required",
        ),
        (
            {
                "Conditions": [
                    {
                        **KEY,
                        "ConditionParameters": {
                            "ImportantFormKey": "A",
                            "ImportantFormKeyAliases": "B",
                            "KeyValueBlockConfidenceLessThan": 1,
                        },
                    }
                ]
            },
            TEXTRACT,
            "ImportantFormKeyAliases must be an array of non-empty strings",
        ),
        (
            {"Conditions": [{**SCORE, "ConditionParameters": {"Path": "scores[0]", "ConfidenceLessThan": 0.8}}]},
            None,
            "Conditions[0].ConditionParameters.Path must be a JSON path starting with '$'",
        ),
        (
            {"Conditions": [{**SCORE, "ConditionParameters": {"Path": "$.scores[x]", "ConfidenceLessThan": 0.8}}]},
            None,
            "is not a supported JSON path at character 9",
        ),
        (
            {"Conditions": [{"ConditionType": "LabelInSet", "ConditionParameters": {"Path": "$.label", "Labels": []}}]},
            None,
            "Labels must be an array of 1 to 1000 labels",
        ),
        (
            {
                "Conditions": [
                    {"ConditionType": "LabelInSet", "ConditionParameters": {"Path": "$.label", "Labels": [{"a": 1}]}}
                ]
            },
            None,
            "Labels[0] must be a string, a number or a boolean",
        ),
        ({"Conditions": [{"ConditionType": "MissingKey", "ConditionParameters": {}}]}, None, "Path is required"),
        ({"Conditions": [{"And": [SAMPLE, SAMPLE], "Note": "x"}]}, None, "unknown member 'Note' beside And"),
        ({"Conditions": [SAMPLE]}, "AWS/Comprehend/V1", "is not one Loupe knows"),
    ],
)
def test_invalid_documents_are_refused_with_a_pointed_message(doc: Any, source: str | None, expected: str) -> None:
    assert expected in _bad(doc, source)


def test_a_document_too_long_is_refused() -> None:
    doc = json.dumps({"Conditions": [SAMPLE] * 200})
    assert len(doc) > 10_240
    assert "at most 10240" in _bad(doc, None)


@pytest.mark.parametrize(
    ("doc", "source"),
    [
        ({"Conditions": [KEY, {"And": [SAMPLE, KEY]}]}, TEXTRACT),
        ({"Conditions": [{"Or": [{"And": [LABEL, LABEL]}, SAMPLE]}]}, REKOGNITION),
        (
            {
                "Conditions": [
                    SCORE,
                    {
                        "ConditionType": "LabelInSet",
                        "ConditionParameters": {"Path": "$['top label']", "Labels": ["cat", 3, True]},
                    },
                    {"ConditionType": "MissingKey", "ConditionParameters": {"Path": "$.boxes[*].score"}},
                    {"And": [SAMPLE, {"Or": [SCORE, SCORE]}]},
                ]
            },
            None,
        ),
    ],
)
def test_valid_documents_are_returned_parsed(doc: dict[str, Any], source: str) -> None:
    assert conditions_validate(json.dumps(doc), source) == doc
    # an already-parsed document is accepted too (CreateFlowDefinition passes it parsed)
    assert conditions_validate(doc, source) == doc
