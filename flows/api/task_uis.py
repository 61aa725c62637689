"""Worker task templates (human task UIs) over REST: create, list, describe, delete.

Templates are immutable once created, as in A2I: there is no update.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from flows import validation
from flows.api.common import (
    ORGANIZATION_PARAMETER,
    EngineerApi,
    StrictInputSerializer,
    TagSerializer,
    create_operation,
    delete_operation,
    describe_operation,
    list_operation,
    problems,
    tags_input,
    validated,
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

    @list_operation("task_uis_list", "task UIs", "TaskUiPage", TaskUiSummarySerializer)
    def get(self, request: Request) -> Response:
        return self.list_page(request, task_ui_query, TaskUiSummarySerializer)

    @create_operation("task_uis_create", "task UIs", InputSerializer, TaskUiSerializer)
    def post(self, request: Request) -> Response:
        data = validated(self.InputSerializer, request.data)
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

    @describe_operation("task_uis_describe", "task UIs", TaskUiSerializer)
    def get(self, request: Request, name: str) -> Response:
        return Response(TaskUiSerializer(task_ui_get(organization=self.organization, name=name)).data)

    @delete_operation("task_uis_delete", "task UIs", 404)
    def delete(self, request: Request, name: str) -> Response:
        task_ui_delete(organization=self.organization, name=name)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RenderUiTemplateApi(EngineerApi):
    """/render-ui-template: RenderUiTemplate over REST. Renders a template (given, or a stored task
    UI by name) with an input, as workers would see it; rendering problems come back in ``errors``
    with status 200, as A2I reports them."""

    field_aliases = {"uiTemplate.content": "template", "humanTaskUiArn": "task_ui_name"}

    @extend_schema_serializer(component_name="RenderUiTemplateInput")
    class InputSerializer(StrictInputSerializer):
        template = serializers.CharField(
            required=False, trim_whitespace=False, max_length=validation.MAX_TEMPLATE, help_text="Liquid + HTML."
        )
        task_ui_name = serializers.CharField(required=False, help_text="A stored task UI, instead of template.")
        input = serializers.JSONField(help_text="What the template sees as task.input.")

        def validate(self, attrs: dict) -> dict:
            attrs = super().validate(attrs)
            if ("template" in attrs) == ("task_ui_name" in attrs):
                raise serializers.ValidationError("Give exactly one of template or task_ui_name.")
            return attrs

    class RenderErrorSerializer(serializers.Serializer):
        code = serializers.CharField()
        message = serializers.CharField()

    @extend_schema_serializer(component_name="RenderUiTemplateOutput")
    class OutputSerializer(serializers.Serializer):
        rendered_content = serializers.CharField()
        errors = serializers.ListField(child=serializers.DictField())  # type: ignore[assignment]

    @extend_schema(
        operation_id="render_ui_template",
        tags=["task UIs"],
        parameters=[ORGANIZATION_PARAMETER],
        request=InputSerializer,
        responses={200: OutputSerializer, **problems(400, 404)},
    )
    def post(self, request: Request) -> Response:
        from reviews.media import media_signer_for_organization
        from reviews.rendering import template_render

        data = validated(self.InputSerializer, request.data)
        org = self.organization
        if "template" in data:
            content = data["template"]
        else:
            content = task_ui_get(organization=org, name=data["task_ui_name"]).template
        result = template_render(
            content=content, task_input=data["input"], media=media_signer_for_organization(organization=org)
        )
        errors = [{"code": e.code, "message": e.message} for e in result.errors]
        return Response({"rendered_content": result.html, "errors": errors})
