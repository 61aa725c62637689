"""GET /api/v1/flow-definitions/{name}/export: a flow's reviewed loops for retraining, streamed.

``format``: ``jsonl`` (default), ``csv``, ``manifest`` (SageMaker Ground Truth augmented
manifest) or ``coco``. Loops come oldest first; ``after=<human loop name>`` resumes after the
last loop received (every line names its loop). ``Loupe-Export-Total`` gives the number of loops
the response holds, for progress. Memory on the server stays that of one batch of loops.
"""

from __future__ import annotations

from types import SimpleNamespace

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request

from flows.api.common import ORGANIZATION_PARAMETER, EngineerApi, StrictInputSerializer, problems, validated
from flows.exports import FORMATS
from flows.exports.dataset import export_after_id, export_count
from flows.exports.writer import CONTENT_TYPES, EXTENSIONS, export_stream
from flows.selectors.definitions import flow_get

TOTAL_HEADER = "Loupe-Export-Total"


class _FormatIsOurs(DefaultContentNegotiation):
    """``?format=`` names the export format here, not DRF's renderer override."""

    settings = SimpleNamespace(URL_FORMAT_OVERRIDE=None)  # type: ignore[assignment]


class ExportQuerySerializer(StrictInputSerializer):
    format = serializers.ChoiceField(choices=list(FORMATS), required=False, default="jsonl")
    after = serializers.CharField(
        required=False, max_length=63, help_text="Resume after this human loop (the last one received)."
    )
    label_attribute = serializers.RegexField(
        r"^[A-Za-z0-9][A-Za-z0-9_-]{0,126}$",
        required=False,
        help_text="manifest: the label attribute name (default: the flow's name).",
    )


class FlowExportApi(EngineerApi):
    """Stream the flow's Completed loops (input, answers, consolidated answer) in one format."""

    field_aliases = {"after": "after", "flowDefinitionName": "name"}
    content_negotiation_class = _FormatIsOurs

    @extend_schema(
        operation_id="flow_definitions_export",
        tags=["flow definitions"],
        parameters=[ORGANIZATION_PARAMETER, ExportQuerySerializer],
        responses={
            (200, "application/x-ndjson"): OpenApiResponse(OpenApiTypes.STR, description="jsonl and manifest"),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="csv"),
            (200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT, description="coco"),
            **problems(400, 404),
        },
    )
    def get(self, request: Request, name: str) -> StreamingHttpResponse:
        q = validated(ExportQuerySerializer, request.query_params.dict())
        flow = flow_get(organization=self.organization, name=name)
        after_id = export_after_id(flow=flow, after=q.get("after"))
        fmt = q["format"]
        total = export_count(flow=flow, after_id=after_id)
        response = StreamingHttpResponse(
            export_stream(flow=flow, fmt=fmt, after_id=after_id, label_attribute=q.get("label_attribute")),
            content_type=CONTENT_TYPES[fmt],
        )
        response["Content-Disposition"] = f'attachment; filename="{flow.name}.{EXTENSIONS[fmt]}"'
        response[TOTAL_HEADER] = str(total)
        response["Cache-Control"] = "no-store"
        return response
