"""Activation conditions: when does a prediction need a human? (spec/a2i.md §18)

A pure module (no ORM, no settings): parse and validate a ``HumanLoopActivationConditions``
document, and evaluate it against one request and its response (the *inference*).

Document language
=================

``{"Conditions": [Node, ...]}``; a loop starts when ANY top-level node is true, and every node is
evaluated (the result tree carries ``EvaluationResult`` on every node). A node is exactly one of::

    {"ConditionType": <type>, "ConditionParameters": {...}}      a leaf
    {"And": [Node, Node, ...]}                                    at least 2 children
    {"Or":  [Node, Node, ...]}                                    at least 2 children

At most two levels of And/Or nesting (``Conditions -> Or -> And -> leaf``), as A2I documents.

Condition types, by the flow's request source:

* ``AWS/Textract/AnalyzeDocument/Forms/V1``:
  ``ImportantFormKeyConfidenceCheck`` {``ImportantFormKey`` (``"*"`` = every key),
  ``ImportantFormKeyAliases``, ``KeyValueBlockConfidence<Op>``, ``WordBlockConfidence<Op>``},
  ``MissingImportantFormKey`` {``ImportantFormKey``, ``ImportantFormKeyAliases``}, ``Sampling``.
* ``AWS/Rekognition/DetectModerationLabels/Image/V3``:
  ``ModerationLabelConfidenceCheck`` {``ModerationLabelName`` (exact, case-sensitive; ``"*"`` = any),
  ``Confidence<Op>``}, ``Sampling``.
* Any model (no request source; Loupe's extension): conditions on a JSON path of the model's
  output (the ``prediction``):

  - ``PredictionConfidenceCheck`` {``Path``, ``Confidence<Op>``...}: a number found at ``Path``
    meets every comparison given (for example ``{"Path": "$.scores[0]", "ConfidenceLessThan": 0.8}``);
  - ``LabelInSet`` {``Path``, ``Labels``: [...]}: a value found at ``Path`` is one of ``Labels``
    (strings, numbers or booleans, compared exactly);
  - ``MissingKey`` {``Path``}: nothing (or only ``null``) is found at ``Path``;
  - ``Sampling``.

``<Op>`` is one of ``Equals``, ``LessThan``, ``LessThanEquals``, ``GreaterThan``,
``GreaterThanEquals``; all comparisons given in one leaf must hold together. Textract and
Rekognition confidences are 0..100; any-model confidences are any finite number.
``Sampling`` {``RandomSamplingPercentage``: 0.01..100}.

Paths are a small JSONPath subset: ``$``, then ``.name``, ``['name']``, ``[3]``, ``[-1]``,
``[*]`` or ``.*``. A path with a wildcard may find several values; a check is true when any of
them passes.

Evaluation semantics (where A2I is unclear, the choice made here)
=================================================================

* Inferences are the units a check selects: Textract key-value pairs (KEY blocks), Rekognition
  labels, and for any model the concrete paths a path finds. A check's *scope* is the inferences
  it looks at (the pairs whose key text is the important key or an alias; the labels with that
  name; the values found at the path); it *selects* those that pass; it is true when it selects one.
* Textract key text is the key's WORD texts joined by single spaces, compared exactly (after
  trimming outer whitespace). ``KeyValueBlock*`` compares the KEY block's confidence;
  ``WordBlock*`` is met when ANY word block of the key or its value meets every ``WordBlock*``
  comparison (the DG says both "each" and "any"; activation exists to catch doubt, so any).
* ``And`` is evaluated per inference: an inference stays selected when every child whose scope
  contains it selects it; so ``Violence >= 50 And Violence < 90`` is a range on the same label,
  while ``Invoice low And Total low`` (disjoint scopes) needs both keys low. The And is true when
  every child is true and (if any child looks at inferences) something stays selected.
* ``Sampling`` alone (or under ``Or``) is one draw for the whole request, selecting all of it.
  Inside an ``And`` with checks, it samples among the inferences the other children selected,
  one draw per inference [DG].
* ``MissingImportantFormKey`` / ``MissingKey`` look at the whole request and select nothing: a
  Textract review then shows the form without predicted key-value pairs [DG].
* Draws are deterministic: a SHA-256 of (seed, the request, the condition's place and parameters,
  the inference) read as a uniform number in [0, 1). The same input gives the same decision on
  every call and every run; a configured seed changes which inputs are sampled.

Only the request (the model's input, or the service request) feeds the draw, as A2I decides once
per input: callers should send an input that identifies the item.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flows.errors import InvalidInput

TEXTRACT = "AWS/Textract/AnalyzeDocument/Forms/V1"
REKOGNITION = "AWS/Rekognition/DetectModerationLabels/Image/V3"
#: The ``field`` of every validation error (the CreateFlowDefinition member).
FIELD = "humanLoopActivationConfig.humanLoopActivationConditionsConfig.humanLoopActivationConditions"
MAX_DOCUMENT = 10_240
MAX_NESTING = 2
MAX_LABELS = 1000

_OPS = ("Equals", "LessThan", "LessThanEquals", "GreaterThan", "GreaterThanEquals")
SAMPLING = "Sampling"

#: Condition types and their parameters, per request source ("" = any model).
CONDITION_TYPES: dict[str, tuple[str, ...]] = {
    TEXTRACT: ("ImportantFormKeyConfidenceCheck", "MissingImportantFormKey", SAMPLING),
    REKOGNITION: ("ModerationLabelConfidenceCheck", SAMPLING),
    "": ("PredictionConfidenceCheck", "LabelInSet", "MissingKey", SAMPLING),
}


class ConditionError(InvalidInput):
    """An activation-conditions document is not valid; the message names the offending part."""

    def __init__(self, message: str) -> None:
        super().__init__(f"The activation conditions are not valid: {message}", field=FIELD)


# --- JSON paths ------------------------------------------------------------------------------

_STEP = re.compile(
    r"""\.(?P<name>[A-Za-z_][A-Za-z0-9_\-]*)
      | \.(?P<dotstar>\*)
      | \[\s*(?P<index>-?\d+)\s*\]
      | \[\s*(?P<star>\*)\s*\]
      | \[\s*'(?P<sq>(?:[^'\\]|\\.)*)'\s*\]
      | \[\s*"(?P<dq>(?:[^"\\]|\\.)*)"\s*\]""",
    re.VERBOSE,
)

#: A step: a key (str), an index (int) or the wildcard (None).
Step = str | int | None


def path_parse(path: Any, where: str = "Path") -> tuple[Step, ...]:
    """The steps of a JSONPath-subset expression; ``ConditionError`` naming ``where`` if invalid."""
    if not isinstance(path, str) or not path.startswith("$"):
        raise ConditionError(f"{where} must be a JSON path starting with '$' (for example \"$.scores[0]\")")
    steps: list[Step] = []
    pos = 1
    while pos < len(path):
        m = _STEP.match(path, pos)
        if m is None:
            raise ConditionError(
                f"{where} {path!r} is not a supported JSON path at character {pos + 1}: use .name, ['name'], [n] or [*]"
            )
        if m.group("name") is not None:
            steps.append(m.group("name"))
        elif m.group("index") is not None:
            steps.append(int(m.group("index")))
        elif m.group("sq") is not None or m.group("dq") is not None:
            raw = m.group("sq") if m.group("sq") is not None else m.group("dq")
            steps.append(re.sub(r"\\(.)", r"\1", raw))
        else:
            steps.append(None)
        pos = m.end()
    return tuple(steps)


def _step_text(step: Step) -> str:
    if step is None:
        return "[*]"
    if isinstance(step, int):
        return f"[{step}]"
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_\-]*", step):
        return f".{step}"
    return "[" + json.dumps(step) + "]"


def path_find(document: Any, steps: tuple[Step, ...]) -> list[tuple[str, Any]]:
    """Every (concrete path, value) that ``steps`` reaches in ``document``, in document order."""
    found: list[tuple[str, Any]] = [("$", document)]
    for step in steps:
        nxt: list[tuple[str, Any]] = []
        for where, value in found:
            if step is None:
                if isinstance(value, Mapping):
                    nxt.extend((where + _step_text(k), v) for k, v in value.items())
                elif isinstance(value, list):
                    nxt.extend((f"{where}[{i}]", v) for i, v in enumerate(value))
            elif isinstance(step, int):
                if isinstance(value, list) and -len(value) <= step < len(value):
                    i = step % len(value)
                    nxt.append((f"{where}[{i}]", value[i]))
            elif isinstance(value, Mapping) and step in value:
                nxt.append((where + _step_text(step), value[step]))
        found = nxt
    return found


# --- validation ------------------------------------------------------------------------------


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _params_for(condition_type: str, source: str) -> tuple[set[str], set[str]]:
    """(required, allowed) parameter names of a condition type."""
    if condition_type == SAMPLING:
        return {"RandomSamplingPercentage"}, {"RandomSamplingPercentage"}
    if condition_type == "ImportantFormKeyConfidenceCheck":
        comparisons = {f"{kind}Confidence{op}" for kind in ("KeyValueBlock", "WordBlock") for op in _OPS}
        return {"ImportantFormKey"}, {"ImportantFormKey", "ImportantFormKeyAliases", *comparisons}
    if condition_type == "MissingImportantFormKey":
        return {"ImportantFormKey"}, {"ImportantFormKey", "ImportantFormKeyAliases"}
    if condition_type == "ModerationLabelConfidenceCheck":
        return {"ModerationLabelName"}, {"ModerationLabelName", *(f"Confidence{op}" for op in _OPS)}
    if condition_type == "PredictionConfidenceCheck":
        return {"Path"}, {"Path", *(f"Confidence{op}" for op in _OPS)}
    if condition_type == "LabelInSet":
        return {"Path", "Labels"}, {"Path", "Labels"}
    if condition_type == "MissingKey":
        return {"Path"}, {"Path"}
    raise AssertionError(condition_type)  # pragma: no cover - guarded by CONDITION_TYPES


def _source_name(source: str) -> str:
    return source or "a custom (any-model) flow"


def _validate_leaf(node: Mapping[str, Any], where: str, source: str) -> None:
    extra = sorted(set(node) - {"ConditionType", "ConditionParameters"})
    if extra:
        raise ConditionError(
            f"{where} has unknown member {extra[0]!r}: a leaf has ConditionType and ConditionParameters"
        )
    ctype = node["ConditionType"]
    allowed_types = CONDITION_TYPES[source]
    if not isinstance(ctype, str):
        raise ConditionError(f"{where}.ConditionType must be a string, one of {', '.join(allowed_types)}")
    if ctype not in allowed_types:
        known = any(ctype in types for types in CONDITION_TYPES.values())
        why = f"does not suit {_source_name(source)}" if known else "is not a known condition type"
        raise ConditionError(f"{where}.ConditionType {ctype!r} {why}: use one of {', '.join(allowed_types)}")
    params = node.get("ConditionParameters")
    if not isinstance(params, Mapping):
        raise ConditionError(f"{where}.ConditionParameters must be an object")
    required, allowed = _params_for(ctype, source)
    for name in sorted(params):
        if name not in allowed:
            raise ConditionError(
                f"{where}.ConditionParameters has unknown parameter {name!r} for {ctype}: "
                f"allowed are {', '.join(sorted(allowed))}"
            )
    for name in sorted(required):
        if name not in params:
            raise ConditionError(f"{where}.ConditionParameters.{name} is required for {ctype}")
    p = f"{where}.ConditionParameters"
    comparisons = [name for name in params if any(name.endswith(f"Confidence{op}") for op in _OPS)]
    if ctype == SAMPLING:
        pct = params["RandomSamplingPercentage"]
        if not _number(pct) or not 0.01 <= pct <= 100:
            raise ConditionError(f"{p}.RandomSamplingPercentage must be between 0.01 and 100")
    elif ctype in ("ImportantFormKeyConfidenceCheck", "MissingImportantFormKey"):
        key = params["ImportantFormKey"]
        if not isinstance(key, str) or not key.strip():
            raise ConditionError(f'{p}.ImportantFormKey must be a non-empty string ("*" matches every key)')
        aliases = params.get("ImportantFormKeyAliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
            raise ConditionError(f"{p}.ImportantFormKeyAliases must be an array of non-empty strings")
    elif ctype == "ModerationLabelConfidenceCheck":
        label = params["ModerationLabelName"]
        if not isinstance(label, str) or not label:
            raise ConditionError(f'{p}.ModerationLabelName must be a non-empty string ("*" matches any label)')
    elif ctype in ("PredictionConfidenceCheck", "LabelInSet", "MissingKey"):
        path_parse(params["Path"], f"{p}.Path")
    if ctype == "LabelInSet":
        labels = params["Labels"]
        if not isinstance(labels, list) or not 1 <= len(labels) <= MAX_LABELS:
            raise ConditionError(f"{p}.Labels must be an array of 1 to {MAX_LABELS} labels")
        for i, label in enumerate(labels):
            if not (isinstance(label, str | bool) or _number(label)):
                raise ConditionError(f"{p}.Labels[{i}] must be a string, a number or a boolean")
    if ctype in ("ImportantFormKeyConfidenceCheck", "ModerationLabelConfidenceCheck", "PredictionConfidenceCheck"):
        if not comparisons:
            examples = "KeyValueBlockConfidenceLessThan" if ctype.startswith("Important") else "ConfidenceLessThan"
            raise ConditionError(f"{p} needs at least one confidence comparison (for example {examples})")
        bounded = ctype != "PredictionConfidenceCheck"
        for name in sorted(comparisons):
            value = params[name]
            if bounded and (not _number(value) or not 0 <= value <= 100):
                raise ConditionError(f"{p}.{name} must be a number between 0 and 100")
            if not bounded and not _number(value):
                raise ConditionError(f"{p}.{name} must be a finite number")


def _validate_node(node: Any, where: str, source: str, level: int) -> None:
    if not isinstance(node, Mapping):
        raise ConditionError(f"{where} must be an object with one of ConditionType, And or Or")
    kinds = [k for k in ("ConditionType", "And", "Or") if k in node]
    if len(kinds) != 1:
        what = "none" if not kinds else " and ".join(kinds)
        raise ConditionError(f"{where} must have exactly one of ConditionType, And or Or (it has {what})")
    kind = kinds[0]
    if kind == "ConditionType":
        _validate_leaf(node, where, source)
        return
    extra = sorted(set(node) - {kind})
    if extra:
        raise ConditionError(f"{where} has unknown member {extra[0]!r} beside {kind}")
    if level + 1 > MAX_NESTING:
        raise ConditionError(
            f"{where}.{kind} nests And/Or too deeply: at most {MAX_NESTING} levels (Conditions -> Or -> And -> leaf)"
        )
    children = node[kind]
    if not isinstance(children, list) or len(children) < 2:
        raise ConditionError(f"{where}.{kind} must be an array of at least 2 conditions")
    for i, child in enumerate(children):
        _validate_node(child, f"{where}.{kind}[{i}]", source, level + 1)


def conditions_validate(doc_text: str | Mapping[str, Any], request_source: str | None) -> dict[str, Any]:
    """Parse and check an activation-conditions document for a flow with ``request_source``
    (None or "" for a custom flow). Returns the parsed document; raises ``InvalidInput``
    (``ConditionError``) whose message names the offending part, e.g.
    ``Conditions[2].And[1].ConditionParameters.RandomSamplingPercentage must be between 0.01 and 100``.
    """
    source = request_source or ""
    if source not in CONDITION_TYPES:
        raise ConditionError(f"the request source {source!r} is not one Loupe knows: {', '.join(CONDITION_TYPES)}")
    if isinstance(doc_text, str):
        if len(doc_text) > MAX_DOCUMENT:
            raise ConditionError(f"the document is {len(doc_text)} characters; at most {MAX_DOCUMENT}")
        try:
            doc = json.loads(doc_text)
        except (ValueError, RecursionError) as exc:
            raise ConditionError(f"the document is not valid JSON ({exc})") from None
    else:
        doc = doc_text
    if not isinstance(doc, Mapping):
        raise ConditionError('the document must be a JSON object {"Conditions": [...]}')
    extra = sorted(set(doc) - {"Conditions"})
    if extra:
        raise ConditionError(f'unknown top-level member {extra[0]!r}: the document is {{"Conditions": [...]}}')
    conditions = doc.get("Conditions")
    if not isinstance(conditions, list) or not conditions:
        raise ConditionError("Conditions must be an array of at least 1 condition")
    for i, node in enumerate(conditions):
        _validate_node(node, f"Conditions[{i}]", source, 0)
    return dict(doc)


# --- evaluation ------------------------------------------------------------------------------


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def draw(*, seed: str, request_digest: str, condition: str, inference: str = "") -> float:
    """A uniform number in [0, 1), fixed by its arguments."""
    h = hashlib.sha256("\x1f".join((seed, request_digest, condition, inference)).encode("utf-8")).digest()
    return int.from_bytes(h[:8], "big") / 2**64


def _compare(value: float, op: str, bound: float) -> bool:
    if op == "Equals":
        return value == bound
    if op == "LessThan":
        return value < bound
    if op == "LessThanEquals":
        return value <= bound
    if op == "GreaterThan":
        return value > bound
    return value >= bound


def _meets(value: Any, params: Mapping[str, Any], prefix: str) -> bool:
    """``value`` meets every ``<prefix><Op>`` comparison in ``params`` (vacuously true if none)."""
    if not _number(value):
        return False
    return all(_compare(float(value), op, float(params[prefix + op])) for op in _OPS if prefix + op in params)


def _has(params: Mapping[str, Any], prefix: str) -> bool:
    return any(prefix + op in params for op in _OPS)


def lower_camel(value: Any) -> Any:
    """Keys turned lowerCamelCase recursively (``Blocks`` -> ``blocks``, ``S3Object`` -> ``s3Object``),
    as A2I writes service requests and responses into output.json."""
    if isinstance(value, Mapping):
        return {(k[:1].lower() + k[1:] if isinstance(k, str) else k): lower_camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [lower_camel(v) for v in value]
    return value


@dataclass
class _Pair:
    key_id: str
    key_text: str
    confidence: Any
    block_ids: list[str]
    word_confidences: list[Any]


def textract_pairs(response: Mapping[str, Any]) -> list[_Pair]:
    """Key-value pairs of an AnalyzeDocument response (lowerCamelCase keys)."""
    blocks = [b for b in response.get("blocks") or [] if isinstance(b, Mapping)]
    by_id = {b.get("id"): b for b in blocks if isinstance(b.get("id"), str)}

    def related(block: Mapping[str, Any], kind: str) -> list[str]:
        ids: list[str] = []
        for rel in block.get("relationships") or []:
            if isinstance(rel, Mapping) and rel.get("type") == kind:
                ids.extend(i for i in rel.get("ids") or [] if isinstance(i, str) and i in by_id)
        return ids

    pairs = []
    for block in blocks:
        if block.get("blockType") != "KEY_VALUE_SET" or "KEY" not in (block.get("entityTypes") or []):
            continue
        key_words = related(block, "CHILD")
        value_ids = related(block, "VALUE")
        value_words = [w for v in value_ids for w in related(by_id[v], "CHILD")]
        texts = [str(by_id[w].get("text", "")) for w in key_words if by_id[w].get("blockType") == "WORD"]
        words = [by_id[w] for w in key_words + value_words]
        pairs.append(
            _Pair(
                key_id=str(block.get("id")),
                key_text=" ".join(" ".join(texts).split()),
                confidence=block.get("confidence"),
                block_ids=[str(block.get("id")), *value_ids, *key_words, *value_words],
                word_confidences=[w.get("confidence") for w in words if w.get("blockType") == "WORD"],
            )
        )
    return pairs


class _All:
    """The whole input is selected (Sampling alone)."""

    def __repr__(self) -> str:
        return "ALL"


ALL = _All()
Selection = frozenset[str] | _All


@dataclass
class _Result:
    result: bool
    #: The inferences this node looks at; None for a node about the whole request.
    scope: frozenset[str] | None
    selection: Selection
    #: A Missing* leaf is true somewhere beneath (the review shows no predicted pairs).
    missing: bool = False
    reasons: list[str] = field(default_factory=list)


def _union(a: Selection, b: Selection) -> Selection:
    if isinstance(a, _All) or isinstance(b, _All):
        return ALL
    return a | b


class _Evaluator:
    def __init__(self, source: str, request: Any, response: Any, seed: str) -> None:
        self.source = source
        self.response = response
        self.seed = seed
        self.request_digest = hashlib.sha256(canonical_json(request).encode("utf-8")).hexdigest()
        self.pairs = textract_pairs(response) if source == TEXTRACT and isinstance(response, Mapping) else []
        labels = response.get("moderationLabels") if isinstance(response, Mapping) else None
        self.labels = [x for x in labels if isinstance(x, Mapping)] if isinstance(labels, list) else []

    def condition_id(self, node: Mapping[str, Any], where: str) -> str:
        return where + canonical_json(node.get("ConditionParameters"))

    def sample(self, node: Mapping[str, Any], where: str, inference: str = "") -> bool:
        pct = float(node["ConditionParameters"]["RandomSamplingPercentage"])
        u = draw(
            seed=self.seed,
            request_digest=self.request_digest,
            condition=self.condition_id(node, where),
            inference=inference,
        )
        return u * 100 < pct

    def leaf(self, node: Mapping[str, Any], where: str) -> _Result:
        ctype = node["ConditionType"]
        params = node["ConditionParameters"]
        if ctype == SAMPLING:
            hit = self.sample(node, where)
            return _Result(hit, None, ALL if hit else frozenset(), reasons=[f"{where}: Sampling"] if hit else [])
        if ctype in ("ImportantFormKeyConfidenceCheck", "MissingImportantFormKey"):
            key = params["ImportantFormKey"].strip()
            names = {key, *(a.strip() for a in params.get("ImportantFormKeyAliases", []))}
            scope = [p for p in self.pairs if key == "*" or p.key_text in names]
            if ctype == "MissingImportantFormKey":
                hit = not scope
                return _Result(hit, None, frozenset(), missing=hit, reasons=[f"{where}: {ctype}"] if hit else [])
            chosen = frozenset(
                p.key_id
                for p in scope
                if _meets(p.confidence, params, "KeyValueBlockConfidence")
                and (
                    not _has(params, "WordBlockConfidence")
                    or any(_meets(c, params, "WordBlockConfidence") for c in p.word_confidences)
                )
            )
            return _Result(
                bool(chosen), frozenset(p.key_id for p in scope), chosen, reasons=self._why(where, ctype, chosen)
            )
        if ctype == "ModerationLabelConfidenceCheck":
            name = params["ModerationLabelName"]
            ids = {f"label:{i}": lab for i, lab in enumerate(self.labels) if name == "*" or lab.get("name") == name}
            chosen = frozenset(i for i, lab in ids.items() if _meets(lab.get("confidence"), params, "Confidence"))
            return _Result(bool(chosen), frozenset(ids), chosen, reasons=self._why(where, ctype, chosen))
        found = path_find(self.response, path_parse(params["Path"]))
        if ctype == "MissingKey":
            hit = all(value is None for _, value in found)
            return _Result(hit, None, frozenset(), reasons=[f"{where}: MissingKey {params['Path']}"] if hit else [])
        if ctype == "PredictionConfidenceCheck":
            chosen = frozenset(p for p, v in found if _meets(v, params, "Confidence"))
        else:
            wanted = params["Labels"]
            chosen = frozenset(p for p, v in found if any(_same_label(v, w) for w in wanted))
        return _Result(bool(chosen), frozenset(p for p, _ in found), chosen, reasons=self._why(where, ctype, chosen))

    @staticmethod
    def _why(where: str, ctype: str, chosen: frozenset[str]) -> list[str]:
        return [f"{where}: {ctype}"] if chosen else []

    def node(self, node: Mapping[str, Any], where: str) -> tuple[_Result, dict[str, Any]]:
        if "ConditionType" in node:
            out: dict[str, Any] = {
                "ConditionType": node["ConditionType"],
                "ConditionParameters": node["ConditionParameters"],
            }
            res = self.leaf(node, where)
            out["EvaluationResult"] = res.result
            return res, out
        kind = "And" if "And" in node else "Or"
        children = node[kind]
        if kind == "Or":
            results = [self.node(c, f"{where}.Or[{i}]") for i, c in enumerate(children)]
            res = self._or([r for r, _ in results])
            return res, {"Or": [o for _, o in results], "EvaluationResult": res.result}
        # And: the samplers are drawn after the other children, per selected inference.
        evaluated: dict[int, tuple[_Result, dict[str, Any]]] = {}
        for i, child in enumerate(children):
            if child.get("ConditionType") != SAMPLING:
                evaluated[i] = self.node(child, f"{where}.And[{i}]")
        checks = [r for r, _ in evaluated.values() if r.scope is not None]
        whole = [r for r, _ in evaluated.values() if r.scope is None]
        result = all(r.result for r, _ in evaluated.values())
        selection: Selection = frozenset()
        for r in whole:
            selection = _union(selection, r.selection) if r.result else selection
        reasons = [reason for r, _ in evaluated.values() for reason in r.reasons]
        if checks:
            universe = frozenset().union(*(r.scope or frozenset() for r in checks))
            kept = frozenset(
                i
                for i in universe
                if all(isinstance(r.selection, _All) or i in r.selection for r in checks if r.scope and i in r.scope)
            )
        for i, child in enumerate(children):
            if child.get("ConditionType") != SAMPLING:
                continue
            sub = f"{where}.And[{i}]"
            if checks:
                kept = frozenset(x for x in sorted(kept) if self.sample(child, sub, x))
                hit = bool(kept)
            else:
                hit = self.sample(child, sub)
                selection = ALL if hit else selection
            result = result and hit
            if hit:
                reasons.append(f"{sub}: Sampling")
            evaluated[i] = (
                _Result(hit, None, ALL if hit else frozenset()),
                {
                    "ConditionType": SAMPLING,
                    "ConditionParameters": child["ConditionParameters"],
                    "EvaluationResult": hit,
                },
            )
        if checks:
            result = result and bool(kept)
            selection = _union(selection, kept) if not isinstance(selection, _All) else kept
        missing = any(r.missing for r, _ in evaluated.values())
        scope = frozenset().union(*(r.scope or frozenset() for r in checks)) if checks else None
        res = _Result(result, scope, selection if result else frozenset(), missing=missing and result, reasons=reasons)
        ordered = [evaluated[i][1] for i in range(len(children))]
        return res, {"And": ordered, "EvaluationResult": result}

    @staticmethod
    def _or(results: list[_Result]) -> _Result:
        selection: Selection = frozenset()
        scopes = [r.scope for r in results if r.scope is not None]
        for r in results:
            if r.result:
                selection = _union(selection, r.selection)
        return _Result(
            any(r.result for r in results),
            frozenset().union(*scopes) if scopes else None,
            selection,
            missing=any(r.missing for r in results if r.result),
            reasons=[reason for r in results if r.result for reason in r.reasons],
        )


def _same_label(value: Any, wanted: Any) -> bool:
    # 1 == True in Python: a boolean label matches only a boolean.
    if isinstance(value, bool) or isinstance(wanted, bool):
        return type(value) is type(wanted) and value == wanted
    return bool(value == wanted)


@dataclass(frozen=True)
class Evaluation:
    """What an evaluation decided."""

    #: A human loop is needed.
    human_loop_needed: bool
    #: The conditions tree with ``EvaluationResult`` on every node (None without conditions).
    results: dict[str, Any] | None
    #: The true conditions, as ``"Conditions[0].And[1]: <ConditionType>"`` (leaves that fired).
    reasons: list[str]
    #: The part of the response the true conditions selected (A2I's selectedAiServiceResponse;
    #: for any model, ``{"<concrete path>": value}`` or the whole prediction).
    selected: Any
    #: Inferences selected (concrete JSON paths, Textract KEY block ids, ``label:<i>``), or None
    #: when the whole response is selected.
    selected_inferences: list[str] | None


def _select_textract(response: Mapping[str, Any], selected: frozenset[str], pairs: list[_Pair], missing: bool) -> Any:
    keep: set[str] = set()
    for pair in pairs:
        if pair.key_id in selected:
            keep.update(pair.block_ids)
    blocks = []
    for block in response.get("blocks") or []:
        if not isinstance(block, Mapping):
            continue
        kind = block.get("blockType")
        if kind == "PAGE" or block.get("id") in keep or (missing and kind != "KEY_VALUE_SET"):
            blocks.append(block)
    return {**{k: v for k, v in response.items() if k != "blocks"}, "blocks": blocks}


def evaluate(
    conditions: Mapping[str, Any] | None,
    *,
    request_source: str | None,
    request: Any,
    response: Any,
    seed: str = "",
) -> Evaluation:
    """Evaluate a validated conditions document (``conditions_validate``) against one request
    and its response. Built-in sources take the service's request and response in either
    casing (boto3's PascalCase or output.json's lowerCamelCase). No conditions: every request
    needs a human (A2I's rule for built-in flows without conditions, and StartHumanLoop's).
    """
    source = request_source or ""
    if source in (TEXTRACT, REKOGNITION):
        response = lower_camel(response)
        request = lower_camel(request)
    if conditions is None:
        return Evaluation(True, None, ["NoActivationConditions"], response, None)
    ev = _Evaluator(source, request, response, seed)
    results = [ev.node(node, f"Conditions[{i}]") for i, node in enumerate(conditions["Conditions"])]
    top = _Evaluator._or([r for r, _ in results])
    needed = any(r.result for r, _ in results)
    tree = {"Conditions": [o for _, o in results]}
    selection = top.selection if needed else frozenset()
    return Evaluation(
        human_loop_needed=needed,
        results=tree,
        reasons=top.reasons if needed else [],
        selected=_selected(source, response, selection, ev, top.missing) if needed else None,
        selected_inferences=None if isinstance(selection, _All) else sorted(selection),
    )


def _selected(source: str, response: Any, selection: Selection, ev: _Evaluator, missing: bool) -> Any:
    if isinstance(selection, _All):
        return response
    if source == TEXTRACT:
        return _select_textract(response, selection, ev.pairs, missing)
    if source == REKOGNITION:
        labels = [lab for i, lab in enumerate(ev.labels) if f"label:{i}" in selection]
        return {**{k: v for k, v in response.items() if k != "moderationLabels"}, "moderationLabels": labels}
    found: dict[str, Any] = {}
    for path in _ordered_paths(selection, response):
        found[path] = path_find(response, path_parse(path))[0][1]
    return found


def _ordered_paths(selection: Iterable[str], response: Any) -> list[str]:
    return sorted(selection, key=lambda p: [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", p)])
