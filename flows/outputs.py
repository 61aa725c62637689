"""Where and what a loop's output.json is (spec/a2i.md §20). Pure functions."""

from __future__ import annotations

from datetime import UTC, datetime


def output_uri_for(*, s3_output_path: str, flow_name: str, loop_name: str, created_at: datetime) -> str:
    """``<S3OutputPath>/<flow>/<YYYY>/<MM>/<DD>/<hh>/<mm>/<ss>/<loop>/output.json`` (UTC creation time)."""
    t = created_at.astimezone(UTC)
    return f"{s3_output_path.rstrip('/')}/{flow_name}/{t:%Y/%m/%d/%H/%M/%S}/{loop_name}/output.json"
