"""Human loops over REST: start one, start a batch, list, describe, stop, delete.

Loops are addressed by name within the caller's organization. ``input_content`` is a JSON object
(or the JSON text of one, as StartHumanLoop takes it); flows are named by name or ARN.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from flows import arns
from flows.api.common import (
    ORGANIZATION_PARAMETER,
    EngineerApi,
    JsonTextField,
    ListFilterSerializer,
    StrictInputSerializer,
    delete_operation,
    describe_operation,
    list_operation,
    problems,
    validated,
)
from flows.api.errors import item_error
from flows.models import HumanLoop, HumanLoopStatus
from flows.selectors.listings import loop_query
from flows.selectors.loops import loop_get
from flows.services.batch import MAX_BATCH_ITEMS, flow_ref_arn, input_content_text, loops_start_batch
from flows.services.loops import loop_delete, loop_start, loop_stop

#: StartHumanLoop's member paths -> the REST fields.
LOOP_FIELDS = {
    "humanLoopName": "name",
    "flowDefinitionArn": "flow_definition",
    "humanLoopInput.inputContent": "input_content",
    "dataAttributes.contentClassifiers": "content_classifiers",
}


class HumanLoopSummarySerializer(serializers.Serializer):
    name = serializers.CharField()
    arn = serializers.CharField()
    status = serializers.ChoiceField(choices=HumanLoopStatus.choices)
    flow_definition = serializers.CharField(source="flow_definition.name")
    flow_definition_arn = serializers.SerializerMethodField()
    task_count = serializers.IntegerField()
    failure_reason = serializers.CharField()
    failure_code = serializers.CharField()
    output_uri = serializers.CharField()
    created_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)

    def get_flow_definition_arn(self, loop: HumanLoop) -> str:
        org = loop.organization
        return arns.flow_definition_arn(org.region, org.account_id, loop.flow_definition.name)


class HumanLoopSerializer(HumanLoopSummarySerializer):
    input_content = JsonTextField()
    content_classifiers = serializers.ListField(child=serializers.CharField())
    consolidated_answer = serializers.JSONField(allow_null=True)


class HumanLoopStartApi(EngineerApi):
    """POST /human-loops: StartHumanLoop."""

    field_aliases = LOOP_FIELDS

    @extend_schema_serializer(component_name="HumanLoopStartInput")
    class InputSerializer(StrictInputSerializer):
        name = serializers.CharField(help_text="Unique among the organization's loops; [a-z0-9](-*[a-z0-9])*.")
        flow_definition = serializers.CharField(help_text="A flow definition's name or ARN.")
        input_content = serializers.JSONField(help_text="The task data: a JSON object (or its JSON text).")
        content_classifiers = serializers.ListField(
            child=serializers.CharField(),
            required=False,
            help_text="FreeOfPersonallyIdentifiableInformation, FreeOfAdultContent.",
        )

    @extend_schema(
        operation_id="human_loops_start",
        tags=["human loops"],
        parameters=[ORGANIZATION_PARAMETER],
        request=InputSerializer,
        responses={
            201: OpenApiResponse(HumanLoopSerializer, description="Started."),
            200: OpenApiResponse(HumanLoopSerializer, description="A loop of that name, flow and input exists."),
            **problems(400, 409, 429),
        },
    )
    def post(self, request: Request) -> Response:
        data = validated(self.InputSerializer, request.data)
        org = self.organization
        loop, created = loop_start(
            organization=org,
            name=data["name"],
            flow_definition_arn=flow_ref_arn(org, data["flow_definition"]),
            input_content=input_content_text(data["input_content"]),
            content_classifiers=data.get("content_classifiers"),
        )
        loop = loop_get(organization=org, name=loop.name)
        return Response(
            HumanLoopSerializer(loop).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class HumanLoopListApi(EngineerApi):
    """GET /human-loops: the organization's loops, newest first, filtered, cursor-paged."""

    @extend_schema_serializer(component_name="HumanLoopListFilter")
    class FilterSerializer(ListFilterSerializer):
        status = serializers.ChoiceField(choices=HumanLoopStatus.choices, required=False)
        flow_definition = serializers.CharField(required=False, max_length=63, help_text="A flow definition name.")

    @list_operation("human_loops_list", "human loops", "HumanLoopPage", HumanLoopSummarySerializer, FilterSerializer)
    def get(self, request: Request) -> Response:
        return self.list_page(
            request,
            loop_query,
            HumanLoopSummarySerializer,
            filters=self.FilterSerializer,
            status="status",
            flow_name="flow_definition",
        )


class HumanLoopsApi(HumanLoopStartApi, HumanLoopListApi):
    """/human-loops: GET lists, POST starts."""


class HumanLoopDetailApi(EngineerApi):
    """GET /human-loops/{name} describes; DELETE deletes (only a Completed, Failed or Stopped loop)."""

    field_aliases = LOOP_FIELDS

    @describe_operation("human_loops_describe", "human loops", HumanLoopSerializer)
    def get(self, request: Request, name: str) -> Response:
        loop = loop_get(organization=self.organization, name=name)
        return Response(HumanLoopSerializer(loop).data)

    @delete_operation("human_loops_delete", "human loops", 400, 404)
    def delete(self, request: Request, name: str) -> Response:
        loop_delete(organization=self.organization, name=name)
        return Response(status=status.HTTP_204_NO_CONTENT)


class HumanLoopStopApi(EngineerApi):
    """POST /human-loops/{name}/stop: StopHumanLoop (Stopping while a worker holds a task)."""

    field_aliases = LOOP_FIELDS

    @extend_schema(
        operation_id="human_loops_stop",
        tags=["human loops"],
        parameters=[ORGANIZATION_PARAMETER],
        request=None,
        responses={200: HumanLoopSerializer, **problems(404)},
    )
    def post(self, request: Request, name: str) -> Response:
        org = self.organization
        loop_stop(organization=org, name=name)
        return Response(HumanLoopSerializer(loop_get(organization=org, name=name)).data)


class BatchItemSerializer(serializers.Serializer):
    """One item of a batch (schema only: items are checked one by one and reported by index)."""

    name = serializers.CharField()
    input_content = serializers.JSONField(help_text="A JSON object (or its JSON text).")
    flow_definition = serializers.CharField(required=False, help_text="Name or ARN; default: the batch's.")
    content_classifiers = serializers.ListField(child=serializers.CharField(), required=False)


class BatchItemErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="invalid_input, not_found, conflict, duplicate_in_batch, ...")
    detail = serializers.CharField()
    field = serializers.CharField(required=False)


class BatchResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["created", "exists", "error"])
    human_loop_arn = serializers.CharField(required=False)
    error = BatchItemErrorSerializer(required=False)


class BatchOutputSerializer(serializers.Serializer):
    results = BatchResultSerializer(many=True)


class HumanLoopBatchStartApi(EngineerApi):
    """POST /human-loops/batch: start up to 1,000 loops in one transaction, one result per item.

    Each item gets StartHumanLoop's validation; a refused item is reported by its index and
    leaves no trace, and does not stop the others. An item repeating an earlier item's name is
    refused (``duplicate_in_batch``); an item matching a live loop's name, flow and input is
    ``exists`` (a retried batch is safe).
    """

    field_aliases = LOOP_FIELDS

    @extend_schema_serializer(component_name="HumanLoopBatchParsedInput")
    class InputSerializer(StrictInputSerializer):
        flow_definition = serializers.CharField(
            required=False, help_text="Name or ARN of the flow for items that name none."
        )
        # Items are not checked here: each one is checked by the service and reported by index.
        items = serializers.ListField(min_length=1, max_length=MAX_BATCH_ITEMS)

    @extend_schema_serializer(component_name="HumanLoopBatchInput")
    class InputDocSerializer(serializers.Serializer):
        flow_definition = serializers.CharField(required=False)
        items = BatchItemSerializer(many=True)

    @extend_schema(
        operation_id="human_loops_batch_start",
        tags=["human loops"],
        parameters=[ORGANIZATION_PARAMETER],
        request=InputDocSerializer,
        responses={200: BatchOutputSerializer, **problems(400, 409)},
    )
    def post(self, request: Request) -> Response:
        data = validated(self.InputSerializer, request.data)
        results = loops_start_batch(
            organization=self.organization, items=data["items"], default_flow_definition=data.get("flow_definition")
        )
        return Response({"results": [self._result(r) for r in results]})

    def _result(self, result: Any) -> dict[str, Any]:
        # Built by hand rather than through a serializer: a batch answers 1,000 of these.
        out: dict[str, Any] = {"index": result.index, "status": result.status}
        if result.human_loop_arn is not None:
            out["human_loop_arn"] = result.human_loop_arn
        if result.error is not None:
            out["error"] = item_error(result.error, self.field_aliases)
        return out


class HumanLoopBatchRouteApi(HumanLoopBatchStartApi):
    """/human-loops/batch: POST starts a batch; GET and DELETE reach a loop named "batch" (a valid
    loop name), which would otherwise be shadowed by this route."""

    @extend_schema(exclude=True)
    def get(self, request: Request) -> Response:
        return HumanLoopDetailApi.get(self, request, "batch")  # type: ignore[arg-type]

    @extend_schema(exclude=True)
    def delete(self, request: Request) -> Response:
        return HumanLoopDetailApi.delete(self, request, "batch")  # type: ignore[arg-type]
