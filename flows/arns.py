"""ARN formats (spec/a2i.md §7.2). Pure functions, no ORM."""

from __future__ import annotations

import re

PUBLIC_CROWD_ACCOUNT = "394669845002"

_ARN_RE = re.compile(
    r"^arn:(?P<partition>aws[a-z\-]*):sagemaker:(?P<region>[a-z0-9\-]*):(?P<account>[0-9]{12}):(?P<resource>.+)$"
)


def flow_definition_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:sagemaker:{region}:{account}:flow-definition/{name}"


def human_task_ui_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:sagemaker:{region}:{account}:human-task-ui/{name}"


def human_loop_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:sagemaker:{region}:{account}:human-loop/{name}"


def workteam_arn(region: str, account: str, crowd: str, name: str) -> str:
    return f"arn:aws:sagemaker:{region}:{account}:workteam/{crowd}-crowd/{name}"


def workforce_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:sagemaker:{region}:{account}:workforce/{name}"


def parse_arn(arn: str) -> tuple[str, str, str] | None:
    """Return (region, account, resource) of a SageMaker ARN, or None if it is not one."""
    m = _ARN_RE.match(arn)
    if not m:
        return None
    return m.group("region"), m.group("account"), m.group("resource")
