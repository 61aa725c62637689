"""Work teams over REST: create, list, describe, update, delete (the organization's own teams).

Nested structures take A2I's members in snake_case: ``member_definitions`` is a list of
``{"cognito_member_definition": {"user_pool", "user_group", "client_id"}}`` or
``{"oidc_member_definition": {"groups": [...]}}``; ``notification_configuration`` is
``{"notification_topic_arn"}``; ``worker_access_configuration`` is
``{"s3_presign": {"iam_policy_constraints": {"source_ip", "vpc_source_ip"}}}``.
"""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer
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
from flows.api.errors import snake_case
from flows.selectors.definitions import workteam_get
from flows.selectors.listings import workteam_query
from flows.services.workteams import workteam_create, workteam_delete, workteam_update

WORKTEAM_FIELDS = {"workteamName": "name", "workforceName": "workforce"}
_SNAKE_PART = re.compile(r"_([a-z0-9])")


def _pascal(key: str) -> str:
    return _SNAKE_PART.sub(lambda m: m.group(1).upper(), key[:1].upper() + key[1:])


def pascal_keys(value: Any) -> Any:
    """REST snake_case members -> A2I PascalCase members, recursively (keys only)."""
    if isinstance(value, dict):
        return {_pascal(str(k)): pascal_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [pascal_keys(v) for v in value]
    return value


def snake_keys(value: Any) -> Any:
    """A2I PascalCase members -> REST snake_case, recursively (keys only)."""
    if isinstance(value, dict):
        return {snake_case(str(k)): snake_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [snake_keys(v) for v in value]
    return value


@extend_schema_field(OpenApiTypes.OBJECT)
class SnakeJsonField(serializers.Field):
    def to_representation(self, value: Any) -> Any:
        return snake_keys(value)


class WorkteamSummarySerializer(serializers.Serializer):
    name = serializers.CharField()
    arn = serializers.CharField()
    crowd = serializers.CharField(help_text="private, vendor or public.")
    description = serializers.CharField()
    created_at = serializers.DateTimeField()


class WorkteamSerializer(WorkteamSummarySerializer):
    workforce = serializers.CharField(source="workforce.name")
    workforce_arn = serializers.CharField(source="workforce.arn")
    member_definitions = SnakeJsonField()
    notification_configuration = SnakeJsonField(allow_null=True)
    worker_access_configuration = SnakeJsonField(allow_null=True)
    updated_at = serializers.DateTimeField()


class WorkteamsApi(EngineerApi):
    """/workteams: GET lists the organization's teams; POST creates a private team."""

    field_aliases = WORKTEAM_FIELDS

    @extend_schema_serializer(component_name="WorkteamCreateInput")
    class InputSerializer(StrictInputSerializer):
        name = serializers.CharField(help_text="[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
        description = serializers.CharField(trim_whitespace=False)
        member_definitions = serializers.ListField(child=serializers.DictField(), help_text="1-10 entries.")
        workforce = serializers.CharField(required=False, help_text="The private workforce's name (default: it).")
        notification_configuration = serializers.DictField(required=False, allow_null=True)
        worker_access_configuration = serializers.DictField(required=False, allow_null=True)
        tags = TagSerializer(many=True, required=False)

    @list_operation("workteams_list", "workteams", "WorkteamPage", WorkteamSummarySerializer)
    def get(self, request: Request) -> Response:
        return self.list_page(request, workteam_query, WorkteamSummarySerializer)

    @create_operation("workteams_create", "workteams", InputSerializer, WorkteamSerializer)
    def post(self, request: Request) -> Response:
        d = validated(self.InputSerializer, request.data)
        org = self.organization
        team = workteam_create(
            organization=org,
            name=d["name"],
            description=d["description"],
            member_definitions=pascal_keys(d["member_definitions"]),
            workforce_name=d.get("workforce"),
            notification_configuration=pascal_keys(d.get("notification_configuration")),
            worker_access_configuration=pascal_keys(d.get("worker_access_configuration")),
            tags=validation.tags(tags_input(d.get("tags"))),
        )
        return Response(
            WorkteamSerializer(workteam_get(organization=org, name=team.name)).data, status=status.HTTP_201_CREATED
        )


class WorkteamDetailApi(EngineerApi):
    """/workteams/{name}: GET describes; PATCH updates (members given replace the membership
    definitions); DELETE deletes (refused while a flow routes to the team)."""

    field_aliases = WORKTEAM_FIELDS

    @extend_schema_serializer(component_name="WorkteamUpdateInput")
    class UpdateSerializer(StrictInputSerializer):
        description = serializers.CharField(required=False, trim_whitespace=False)
        member_definitions = serializers.ListField(child=serializers.DictField(), required=False)
        notification_configuration = serializers.DictField(required=False)
        worker_access_configuration = serializers.DictField(required=False)

    @describe_operation("workteams_describe", "workteams", WorkteamSerializer)
    def get(self, request: Request, name: str) -> Response:
        return Response(WorkteamSerializer(workteam_get(organization=self.organization, name=name)).data)

    @extend_schema(
        operation_id="workteams_update",
        tags=["workteams"],
        parameters=[ORGANIZATION_PARAMETER],
        request=UpdateSerializer,
        responses={200: WorkteamSerializer, **problems(400, 404)},
    )
    def patch(self, request: Request, name: str) -> Response:
        d = validated(self.UpdateSerializer, request.data)
        org = self.organization
        workteam_update(
            organization=org,
            name=name,
            description=d.get("description"),
            member_definitions=pascal_keys(d.get("member_definitions")),
            notification_configuration=pascal_keys(d.get("notification_configuration")),
            worker_access_configuration=pascal_keys(d.get("worker_access_configuration")),
        )
        return Response(WorkteamSerializer(workteam_get(organization=org, name=name)).data)

    @delete_operation("workteams_delete", "workteams", 400, 404, 409)
    def delete(self, request: Request, name: str) -> Response:
        workteam_delete(organization=self.organization, name=name)
        return Response(status=status.HTTP_204_NO_CONTENT)
