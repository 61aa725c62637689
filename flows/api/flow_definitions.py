"""Flow definitions over REST: create, list, describe, delete.

The task UI and the work team are named by name (the organization's own) or by ARN (a vendor
team, the public team). ``role_arn`` is optional here: Loupe assumes no IAM role, and the A2I
member is required, so a REST-created flow records ``arn:aws:iam::<account>:role/loupe``.
"""

from __future__ import annotations

import json
from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from flows import arns, locks, validation
from flows.api.common import (
    ORGANIZATION_PARAMETER,
    EngineerApi,
    JsonTextField,
    StrictInputSerializer,
    TagSerializer,
    create_operation,
    describe_operation,
    list_operation,
    problems,
    tags_input,
    validated,
)
from flows.models import FlowDefinition, FlowDefinitionStatus
from flows.selectors.definitions import flow_get
from flows.selectors.listings import flow_query
from flows.services.flow_definitions import HumanLoopConfig, flow_definition_create, flow_definition_delete
from reviews.services import flow_review_describe, flow_review_of, flow_review_set, reviewer_team_for
from workforce.models import Organization

_ACTIVATION = "humanLoopActivationConfig.humanLoopActivationConditionsConfig.humanLoopActivationConditions"
FLOW_FIELDS = {
    "flowDefinitionName": "name",
    "roleArn": "role_arn",
    "outputConfig.s3OutputPath": "output_s3_path",
    "outputConfig.kmsKeyId": "kms_key_id",
    "humanLoopRequestSource.awsManagedHumanLoopRequestSource": "request_source",
    "humanLoopConfig.workteamArn": "workteam",
    "humanLoopConfig.humanTaskUiArn": "human_task_ui",
    "humanLoopConfig.taskTitle": "task_title",
    "humanLoopConfig.taskDescription": "task_description",
    "humanLoopConfig.taskCount": "task_count",
    "humanLoopConfig.taskAvailabilityLifetimeInSeconds": "task_availability_lifetime_seconds",
    "humanLoopConfig.taskTimeLimitInSeconds": "task_time_limit_seconds",
    "humanLoopConfig.taskKeywords": "task_keywords",
    "humanLoopConfig.publicWorkforceTaskPrice.amountInUsd": "public_price",
    "maxConcurrentTaskCount": "max_concurrent_task_count",
    _ACTIVATION: "activation_conditions",
    "reviewerWorkteam": "review.reviewer_workteam",
}


class PriceSerializer(serializers.Serializer):
    dollars = serializers.IntegerField(required=False)
    cents = serializers.IntegerField(required=False)
    tenth_fractions_of_a_cent = serializers.IntegerField(required=False)


@extend_schema_field(PriceSerializer(allow_null=True))
class PriceField(serializers.Field):
    def to_representation(self, value: Any) -> Any:
        if not value:
            return None
        return {
            "dollars": value.get("Dollars", 0),
            "cents": value.get("Cents", 0),
            "tenth_fractions_of_a_cent": value.get("TenthFractionsOfACent", 0),
        }


class FlowReviewSerializer(serializers.Serializer):
    """Loupe extension: the flow's review stage (reviews/services.py)."""

    enabled = serializers.BooleanField(help_text="Hold completed loops until a reviewer accepts or corrects them.")
    reviewer_workteam = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=63,
        help_text="A private team whose members review too (besides admins, engineers and team leads).",
    )


class FlowDefinitionSummarySerializer(serializers.Serializer):
    name = serializers.CharField()
    arn = serializers.CharField()
    status = serializers.ChoiceField(choices=FlowDefinitionStatus.choices)
    created_at = serializers.DateTimeField()


class FlowDefinitionSerializer(FlowDefinitionSummarySerializer):
    failure_reason = serializers.CharField()
    human_task_ui = serializers.CharField(source="human_task_ui.name")
    human_task_ui_arn = serializers.SerializerMethodField()
    workteam = serializers.CharField(source="workteam.name")
    workteam_arn = serializers.CharField()
    task_title = serializers.CharField()
    task_description = serializers.CharField()
    task_count = serializers.IntegerField()
    task_availability_lifetime_seconds = serializers.IntegerField(allow_null=True)
    task_time_limit_seconds = serializers.IntegerField()
    task_keywords = serializers.ListField(child=serializers.CharField(), allow_null=True)
    public_price = PriceField()
    max_concurrent_task_count = serializers.IntegerField(allow_null=True)
    output_s3_path = serializers.CharField()
    kms_key_id = serializers.CharField()
    role_arn = serializers.CharField()
    request_source = serializers.CharField()
    activation_conditions = JsonTextField(allow_null=True)
    consolidation = serializers.JSONField()
    review = serializers.SerializerMethodField()

    @extend_schema_field(FlowReviewSerializer)
    def get_review(self, flow: FlowDefinition) -> dict[str, Any]:
        return flow_review_describe(flow_review_of(flow))

    def get_human_task_ui_arn(self, flow: FlowDefinition) -> str:
        org = flow.organization
        return arns.human_task_ui_arn(org.region, org.account_id, flow.human_task_ui.name)


def _ref_arn(organization: Organization, ref: str, kind: str) -> str:
    """A task UI or a private work team named by name or ARN, as the ARN the service takes."""
    if ref.startswith("arn:"):
        return ref
    if kind == "workteam":
        return arns.workteam_arn(organization.region, organization.account_id, "private", ref)
    return arns.human_task_ui_arn(organization.region, organization.account_id, ref)


def _price(value: dict[str, int] | None) -> dict[str, int] | None:
    if value is None:
        return None
    names = {"dollars": "Dollars", "cents": "Cents", "tenth_fractions_of_a_cent": "TenthFractionsOfACent"}
    return {names[k]: v for k, v in value.items() if k in names}


def _conditions(value: Any) -> Any:
    """Activation conditions as a JSON object (stored as its text) or already as text."""
    if isinstance(value, dict):
        return json.dumps(value)
    return value


class FlowDefinitionsApi(EngineerApi):
    """/flow-definitions: GET lists the organization's flows; POST creates one."""

    field_aliases = FLOW_FIELDS

    @extend_schema_serializer(component_name="FlowDefinitionCreateInput")
    class InputSerializer(StrictInputSerializer):
        name = serializers.CharField(help_text="[a-z0-9](-*[a-z0-9]){0,62}")
        human_task_ui = serializers.CharField(help_text="The task UI's name or ARN.")
        workteam = serializers.CharField(help_text="A private team's name, or a team ARN (vendor, public).")
        task_title = serializers.CharField(trim_whitespace=False)
        task_description = serializers.CharField(trim_whitespace=False)
        task_count = serializers.IntegerField(help_text="Distinct workers per loop, 1-3.")
        task_availability_lifetime_seconds = serializers.IntegerField(required=False, allow_null=True)
        task_time_limit_seconds = serializers.IntegerField(required=False, allow_null=True)
        task_keywords = serializers.ListField(child=serializers.CharField(), required=False, allow_null=True)
        public_price = PriceSerializer(required=False, allow_null=True, help_text="Public workforce price (USD).")
        output_s3_path = serializers.CharField(help_text="s3://bucket/prefix (or a local path Loupe maps).")
        kms_key_id = serializers.CharField(required=False, allow_blank=True)
        role_arn = serializers.CharField(required=False, help_text="Default: arn:aws:iam::<account>:role/loupe.")
        request_source = serializers.CharField(required=False, allow_blank=True)
        activation_conditions = serializers.JSONField(
            required=False, allow_null=True, help_text="HumanLoopActivationConditions: a JSON object (or its text)."
        )
        max_concurrent_task_count = serializers.IntegerField(required=False, allow_null=True)
        consolidation = serializers.DictField(required=False, help_text='How answers are consolidated ({"method"}).')
        tags = TagSerializer(many=True, required=False)
        review = FlowReviewSerializer(required=False, help_text="Loupe extension: the review stage.")

    @list_operation("flow_definitions_list", "flow definitions", "FlowDefinitionPage", FlowDefinitionSummarySerializer)
    def get(self, request: Request) -> Response:
        return self.list_page(request, flow_query, FlowDefinitionSummarySerializer)

    @create_operation("flow_definitions_create", "flow definitions", InputSerializer, FlowDefinitionSerializer)
    def post(self, request: Request) -> Response:
        d = validated(self.InputSerializer, request.data)
        org = self.organization
        review = d.get("review")
        if review is not None and review.get("reviewer_workteam"):
            # Refused before anything is written.
            reviewer_team_for(organization=org, name=review["reviewer_workteam"])
        with locks.write_transaction():
            flow = self._create(org, d)
            if review is not None:
                flow_review_set(
                    organization=org,
                    flow=flow,
                    enabled=review["enabled"],
                    reviewer_workteam=review.get("reviewer_workteam") or None,
                )
        return Response(
            FlowDefinitionSerializer(flow_get(organization=org, name=flow.name)).data, status=status.HTTP_201_CREATED
        )

    def _create(self, org: Organization, d: dict[str, Any]) -> FlowDefinition:
        return flow_definition_create(
            organization=org,
            name=d["name"],
            role_arn=d.get("role_arn") or f"arn:aws:iam::{org.account_id}:role/loupe",
            output_s3_path=d["output_s3_path"],
            human_loop_config=HumanLoopConfig(
                workteam_arn=_ref_arn(org, d["workteam"], "workteam"),
                human_task_ui_arn=_ref_arn(org, d["human_task_ui"], "human_task_ui"),
                task_title=d["task_title"],
                task_description=d["task_description"],
                task_count=d["task_count"],
                task_availability_lifetime_seconds=d.get("task_availability_lifetime_seconds"),
                task_time_limit_seconds=d.get("task_time_limit_seconds"),
                task_keywords=d.get("task_keywords"),
                public_price=_price(d.get("public_price")),
            ),
            kms_key_id=d.get("kms_key_id") or None,
            request_source=d.get("request_source") or None,
            activation_conditions=_conditions(d.get("activation_conditions")),
            max_concurrent_task_count=d.get("max_concurrent_task_count"),
            consolidation=d.get("consolidation"),
            tags=validation.tags(tags_input(d.get("tags"))),
        )


class FlowDefinitionDetailApi(EngineerApi):
    """/flow-definitions/{name}: GET describes; DELETE deletes.

    DELETE answers 204 when the flow is gone at once, or 202 with the flow (status ``Deleting``)
    when loops a worker already started must finish first; loops no worker started are stopped.
    """

    field_aliases = FLOW_FIELDS

    @describe_operation("flow_definitions_describe", "flow definitions", FlowDefinitionSerializer)
    def get(self, request: Request, name: str) -> Response:
        return Response(FlowDefinitionSerializer(flow_get(organization=self.organization, name=name)).data)

    @extend_schema(
        operation_id="flow_definitions_delete",
        tags=["flow definitions"],
        parameters=[ORGANIZATION_PARAMETER],
        request=None,
        responses={
            204: OpenApiResponse(description="Deleted."),
            202: OpenApiResponse(FlowDefinitionSerializer, description="Deleting: started loops finish first."),
            **problems(400, 404, 409),
        },
    )
    def delete(self, request: Request, name: str) -> Response:
        flow = flow_definition_delete(organization=self.organization, name=name)
        if flow.deleted_at is not None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        flow = flow_get(organization=self.organization, name=name)
        return Response(FlowDefinitionSerializer(flow).data, status=status.HTTP_202_ACCEPTED)
