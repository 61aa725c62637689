"""Constraint checks from the botocore service models (spec/a2i.md §4, §6.4, §7).

Plain functions over plain values: the AWS layer and the REST layer both call them. Each raises
``flows.errors.InvalidInput`` with AWS's message format::

    1 validation error detected: Value 'X' at 'humanLoopName' failed to satisfy constraint: ...

and ``field`` set to the dotted lowerCamelCase member path. Patterns are applied to the whole
string, as AWS does (the models' SageMaker patterns carry no anchors). The models use Java regex
syntax (``\\p{L}``), so patterns are compiled with the ``regex`` module, which understands it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import regex

from flows.errors import InvalidInput

# --- Patterns from the service models -----------------------------------------------------------

HUMAN_LOOP_NAME = r"^[a-z0-9](-*[a-z0-9])*$"
FLOW_DEFINITION_NAME = r"[a-z0-9](-*[a-z0-9]){0,62}"
HUMAN_TASK_UI_NAME = r"[a-z0-9](-*[a-z0-9])*"
WORKTEAM_NAME = r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"
WORKFORCE_NAME = r"[a-zA-Z0-9]([a-zA-Z0-9\-]){0,62}"

A2I_FLOW_DEFINITION_ARN = r"arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:flow-definition/.*"
FLOW_DEFINITION_ARN = r"arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]+:[0-9]{12}:flow-definition/.*"
HUMAN_TASK_UI_ARN = r"arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]+:[0-9]{12}:human-task-ui/.*"
WORKTEAM_ARN = r"arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:workteam/.*"
WORKFORCE_ARN = r"arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:workforce/.*"
RESOURCE_ARN = r"arn:aws[a-z-]*:sagemaker:[a-z0-9-]*:[0-9]{12}:.+"
ROLE_ARN = r"arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+"
SNS_TOPIC_ARN = r"arn:aws[a-z\-]*:sns:[a-z0-9\-]*:[0-9]{12}:[a-zA-Z0-9_.-]*"

TAG_KEY = r"([\p{L}\p{Z}\p{N}_.:/=+\-@]*)"
TAG_VALUE = TAG_KEY
TASK_TITLE = r"[\t\n\r -\uD7FF\uE000-\uFFFD]*"
ANY_TEXT = r".+"
ANY_MULTILINE = r"[\S\s]+"
TASK_KEYWORD = r"[A-Za-z0-9]+( [A-Za-z0-9]+)*"
S3_OUTPUT_PATH = r"(https|s3)://([^/]+)/?(.*)"
KMS_KEY_ID = r"[a-zA-Z0-9:/_-]*"
COGNITO_USER_POOL = r"[\w-]+_[0-9a-zA-Z]+"
COGNITO_USER_GROUP = r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+"
CLIENT_ID = r"[ -~]+"
HTTPS_URL = r"https://\S+"
OIDC_SCOPE = r"[!#-\[\]-~]+( [!#-\[\]-~]+)*"
OIDC_GROUP = r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+"
CIDR = (
    r"(^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(/(3[0-2]|[1-2]\d|\d))$)"
    r"|(^s*((([0-9A-Fa-f]{1,4}:){7}([0-9A-Fa-f]{1,4}|:))|(([0-9A-Fa-f]{1,4}:){6}(:[0-9A-Fa-f]{1,4}|"
    r"((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3})|:))|(([0-9A-Fa-f]{1,4}:){5}"
    r"(((:[0-9A-Fa-f]{1,4}){1,2})|:((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3})|:))"
    r"|(([0-9A-Fa-f]{1,4}:){4}(((:[0-9A-Fa-f]{1,4}){1,3})|((:[0-9A-Fa-f]{1,4})?:((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
    r"(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}))|:))|(([0-9A-Fa-f]{1,4}:){3}(((:[0-9A-Fa-f]{1,4}){1,4})|"
    r"((:[0-9A-Fa-f]{1,4}){0,2}:((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}))|:))|"
    r"(([0-9A-Fa-f]{1,4}:){2}(((:[0-9A-Fa-f]{1,4}){1,5})|((:[0-9A-Fa-f]{1,4}){0,3}:((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
    r"(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}))|:))|(([0-9A-Fa-f]{1,4}:){1}(((:[0-9A-Fa-f]{1,4}){1,6})|"
    r"((:[0-9A-Fa-f]{1,4}){0,4}:((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}))|:))|"
    r"(:(((:[0-9A-Fa-f]{1,4}){1,7})|((:[0-9A-Fa-f]{1,4}){0,5}:((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
    r"(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}))|:)))(%.+)?s*(\/(12[0-8]|1[0-1][0-9]|[1-9][0-9]|[0-9]))$)"
)
VPC_ID = r"vpc-[0-9a-z]*"
SECURITY_GROUP_ID = r"sg-[0-9a-z]*"
SUBNET_ID = r"subnet-[0-9a-z]*"

CONTENT_CLASSIFIERS = ("FreeOfPersonallyIdentifiableInformation", "FreeOfAdultContent")
SORT_ORDERS = ("Ascending", "Descending")
REQUEST_SOURCES = ("AWS/Rekognition/DetectModerationLabels/Image/V3", "AWS/Textract/AnalyzeDocument/Forms/V1")

MAX_INPUT_CONTENT = 3_145_728
MAX_ACTIVATION_CONDITIONS = 10_240
MAX_TEMPLATE = 128_000
MAX_NEXT_TOKEN = 8192

_compiled: dict[str, Any] = {}


def _full_match(pattern: str, value: str) -> bool:
    compiled = _compiled.get(pattern)
    if compiled is None:
        compiled = _compiled[pattern] = regex.compile(pattern, regex.V0)
    return compiled.fullmatch(value) is not None


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 200 else text[:200] + "..."


def invalid(field: str, value: Any, constraint: str) -> InvalidInput:
    """The AWS-shaped validation error for one member."""
    return InvalidInput(
        f"1 validation error detected: Value '{_shown(value)}' at '{field}' failed to satisfy constraint: {constraint}",
        field=field,
    )


def required(value: Any, field: str) -> Any:
    if value is None:
        raise InvalidInput(
            f"1 validation error detected: Value null at '{field}' failed to satisfy constraint: "
            "Member must not be null",
            field=field,
        )
    return value


def string(
    value: Any,
    field: str,
    *,
    min_len: int | None = None,
    max_len: int | None = None,
    pattern: str | None = None,
    optional: bool = False,
) -> str:
    """Check a string member: type, length (characters), whole-string pattern."""
    if value is None and optional:
        return value  # type: ignore[return-value]
    required(value, field)
    if not isinstance(value, str):
        raise invalid(field, value, "Member must be a string")
    if min_len is not None and len(value) < min_len:
        raise invalid(field, value, f"Member must have length greater than or equal to {min_len}")
    if max_len is not None and len(value) > max_len:
        raise invalid(field, value, f"Member must have length less than or equal to {max_len}")
    if pattern is not None and not _full_match(pattern, value):
        raise invalid(field, value, f"Member must satisfy regular expression pattern: {pattern}")
    return value


def integer(
    value: Any, field: str, *, minimum: int | None = None, maximum: int | None = None, optional: bool = False
) -> int:
    if value is None and optional:
        return value  # type: ignore[return-value]
    required(value, field)
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(field, value, "Member must be an integer")
    if minimum is not None and value < minimum:
        raise invalid(field, value, f"Member must have value greater than or equal to {minimum}")
    if maximum is not None and value > maximum:
        raise invalid(field, value, f"Member must have value less than or equal to {maximum}")
    return value


def enum(value: Any, field: str, allowed: Sequence[str], *, optional: bool = False) -> str:
    if value is None and optional:
        return value  # type: ignore[return-value]
    required(value, field)
    if value not in allowed:
        raise invalid(field, value, f"Member must satisfy enum value set: [{', '.join(allowed)}]")
    return value


def array(
    value: Any, field: str, *, min_items: int | None = None, max_items: int | None = None, optional: bool = False
) -> list[Any]:
    if value is None and optional:
        return value  # type: ignore[return-value]
    required(value, field)
    if not isinstance(value, list):
        raise invalid(field, value, "Member must be a list")
    if min_items is not None and len(value) < min_items:
        raise invalid(field, value, f"Member must have length greater than or equal to {min_items}")
    if max_items is not None and len(value) > max_items:
        raise invalid(field, value, f"Member must have length less than or equal to {max_items}")
    return value


def structure(value: Any, field: str, *, optional: bool = False) -> dict[str, Any]:
    if value is None and optional:
        return value  # type: ignore[return-value]
    required(value, field)
    if not isinstance(value, dict):
        raise invalid(field, value, "Member must be a structure")
    return value


def boolean(value: Any, field: str, *, optional: bool = False) -> bool:
    if value is None and optional:
        return value  # type: ignore[return-value]
    required(value, field)
    if not isinstance(value, bool):
        raise invalid(field, value, "Member must be a boolean")
    return value


def timestamp(value: Any, field: str, *, optional: bool = True) -> datetime | None:
    """A timestamp member: epoch seconds (int or float, json 1.1) or ISO 8601 text (rest-json query)."""
    if value is None and optional:
        return None
    required(value, field)
    if isinstance(value, bool):
        raise invalid(field, value, "Member must be a timestamp")
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(float(value), tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise invalid(field, value, "Member must be a timestamp") from None
    if isinstance(value, str):
        text = value.strip()
        try:
            return datetime.fromtimestamp(float(text), tz=UTC)
        except ValueError:
            pass
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise invalid(field, value, "Member must be an ISO 8601 timestamp") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise invalid(field, value, "Member must be a timestamp")


def max_results(value: Any, field: str = "maxResults", *, minimum: int = 1, maximum: int | None = 100) -> int | None:
    """MaxResults: 1..100 on every list operation (ListTags: >= 50, no maximum)."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            raise invalid(field, value, "Member must be an integer") from None
    return integer(value, field, minimum=minimum, maximum=maximum)


def sort_order(value: Any, field: str = "sortOrder") -> str | None:
    return enum(value, field, SORT_ORDERS, optional=True)


def next_token(value: Any, field: str = "nextToken") -> str | None:
    if value is None or value == "":
        return None
    return string(value, field, max_len=MAX_NEXT_TOKEN)


def json_object_text(value: Any, field: str, *, max_len: int) -> dict[str, Any]:
    """A string member that must hold the JSON text of an object (InputContent)."""
    text = string(value, field, max_len=max_len)
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        raise invalid(field, value, "Member must be a valid JSON document") from None
    if not isinstance(parsed, dict):
        raise invalid(field, value, "Member must be a JSON object")
    return parsed


# --- Composite shapes ----------------------------------------------------------------------------


def human_loop_name(value: Any, field: str = "humanLoopName") -> str:
    return string(value, field, min_len=1, max_len=63, pattern=HUMAN_LOOP_NAME)


def flow_definition_name(value: Any, field: str = "flowDefinitionName") -> str:
    return string(value, field, min_len=1, max_len=63, pattern=FLOW_DEFINITION_NAME)


def human_task_ui_name(value: Any, field: str = "humanTaskUiName") -> str:
    return string(value, field, min_len=1, max_len=63, pattern=HUMAN_TASK_UI_NAME)


def workteam_name(value: Any, field: str = "workteamName") -> str:
    return string(value, field, min_len=1, max_len=63, pattern=WORKTEAM_NAME)


def workforce_name(value: Any, field: str = "workforceName", *, optional: bool = False) -> str:
    return string(value, field, min_len=1, max_len=63, pattern=WORKFORCE_NAME, optional=optional)


def role_arn(value: Any, field: str = "roleArn") -> str:
    return string(value, field, min_len=20, max_len=2048, pattern=ROLE_ARN)


def content_classifiers(value: Any, field: str = "dataAttributes.contentClassifiers") -> list[str]:
    items = array(value, field, max_items=256)
    for i, item in enumerate(items):
        enum(item, f"{field}.{i + 1}.member", CONTENT_CLASSIFIERS)
    return list(items)


def tags(value: Any, field: str = "tags", *, optional: bool = True) -> list[dict[str, str]]:
    """A TagList (0..50 tags), keys unique. Returns [{"Key","Value"}]."""
    if value is None and optional:
        return []
    items = array(value, field, max_items=50)
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        path = f"{field}.{i + 1}.member"
        tag = structure(item, path)
        key = string(tag.get("Key"), f"{path}.key", min_len=1, max_len=128, pattern=TAG_KEY)
        val = string(tag.get("Value"), f"{path}.value", max_len=256, pattern=TAG_VALUE)
        if key.startswith("aws:"):
            raise invalid(f"{path}.key", key, "Tag keys starting with 'aws:' are reserved for AWS use")
        if key in seen:
            raise invalid(field, key, "Tag keys must be unique within a request")
        seen.add(key)
        out.append({"Key": key, "Value": val})
    return out


def tag_keys(value: Any, field: str = "tagKeys") -> list[str]:
    items = array(value, field, min_items=1, max_items=50)
    return [string(k, f"{field}.{i + 1}.member", min_len=1, max_len=128, pattern=TAG_KEY) for i, k in enumerate(items)]


def unknown_members(body: dict[str, Any], known: Iterable[str]) -> None:
    """Refuse members the operation's input shape does not have (a typo would otherwise pass)."""
    extra = sorted(set(body) - set(known))
    if extra:
        raise InvalidInput(f"Unknown parameter(s) in the request: {', '.join(extra)}", field=extra[0])
