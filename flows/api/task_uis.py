"""Worker task templates (human task UIs) over REST: create, list, describe, delete.

Templates are immutable once created, as in A2I: there is no update.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from flows import validation
from flows.api.common import (
    ORGANIZATION_PARAMETER,
    EngineerApi,
    ListFilterSerializer,
    NewestFirstPagination,
    StrictInputSerializer,
    TagSerializer,
    paginated_schema,
    problems,
    tags_input,
)
from flows.models import HumanTaskUiStatus
from flows.selectors.definitions import task_ui_get
from flows.selectors.listings import task_ui_query
from flows.services.task_uis import task_ui_create, task_ui_delete

TASK_UI_FIELDS = {"humanTaskUiName": "name", "uiTemplate.content": "template"}


class TaskUiSummarySerializer(serializers.Serializer):
    name = serializers.CharField()
    arn = serializers.CharField()
    status = serializers.ChoiceField(choices=HumanTaskUiStatus.choices)
    created_at = serializers.DateTimeField()


class TaskUiSerializer(TaskUiSummarySerializer):
    template = serializers.CharField()
    content_sha256 = serializers.CharField()
    prebuilt = serializers.CharField(help_text="The pre-built UI the template came from, or empty.")


class TaskUisApi(EngineerApi):
    """/task-uis: GET lists the organization's templates; POST creates one."""

    field_aliases = TASK_UI_FIELDS

    @extend_schema_serializer(component_name="TaskUiCreateInput")
    class InputSerializer(StrictInputSerializer):
        name = serializers.CharField(help_text="[a-z0-9](-*[a-z0-9])*, 1-63 characters.")
        template = serializers.CharField(trim_whitespace=False, help_text="Liquid + HTML with crowd-* elements.")
        tags = TagSerializer(many=True, required=False)

    @extend_schema(
        operation_id="task_uis_list",
        tags=["task UIs"],
        parameters=[ListFilterSerializer, ORGANIZATION_PARAMETER],
        responses={200: paginated_schema("TaskUiPage", TaskUiSummarySerializer), **problems(400)},
    )
    def get(self, request: Request) -> Response:
        filters = ListFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        qs = task_ui_query(
            organization=self.organization,
            name=f.get("name"),
            created_after=f.get("created_after"),
            created_before=f.get("created_before"),
        )
        paginator = NewestFirstPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(TaskUiSummarySerializer(page, many=True).data)

    @extend_schema(
        operation_id="task_uis_create",
        tags=["task UIs"],
        parameters=[ORGANIZATION_PARAMETER],
        request=InputSerializer,
        responses={201: TaskUiSerializer, **problems(400, 409, 429)},
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        ui = task_ui_create(
            organization=self.organization,
            name=data["name"],
            content=data["template"],
            tags=validation.tags(tags_input(data.get("tags"))),
        )
        return Response(TaskUiSerializer(ui).data, status=status.HTTP_201_CREATED)


class TaskUiDetailApi(EngineerApi):
    """/task-uis/{name}: GET describes; DELETE deletes (flows using it can no longer start loops)."""

    field_aliases = TASK_UI_FIELDS

    @extend_schema(
        operation_id="task_uis_describe",
        tags=["task UIs"],
        parameters=[ORGANIZATION_PARAMETER],
        responses={200: TaskUiSerializer, **problems(404)},
    )
    def get(self, request: Request, name: str) -> Response:
        return Response(TaskUiSerializer(task_ui_get(organization=self.organization, name=name)).data)

    @extend_schema(
        operation_id="task_uis_delete",
        tags=["task UIs"],
        parameters=[ORGANIZATION_PARAMETER],
        request=None,
        responses={204: OpenApiResponse(description="Deleted."), **problems(404)},
    )
    def delete(self, request: Request, name: str) -> Response:
        task_ui_delete(organization=self.organization, name=name)
        return Response(status=status.HTTP_204_NO_CONTENT)
