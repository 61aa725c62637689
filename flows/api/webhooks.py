"""Webhooks over REST: register, list, describe, update, delete, and each webhook's delivery log.

Events are EventBridge's "SageMaker A2I HumanLoop Status Change" (spec/a2i.md §21), POSTed as
JSON and signed: ``X-Loupe-Signature: sha256=<hex>`` is the HMAC-SHA256 of
``<X-Loupe-Timestamp>.<raw body>`` keyed with the webhook's secret (returned once, at creation,
and again when rotated).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from flows.api.common import (
    ORGANIZATION_PARAMETER,
    EngineerApi,
    StrictInputSerializer,
    cursor_page,
    describe_operation,
    paginated_schema,
    problems,
    validated,
)
from flows.selectors.results import webhook_deliveries, webhooks_for_organization
from flows.services.webhooks import webhook_create, webhook_delete, webhook_get, webhook_update

FIELDS = {"flowDefinitionName": "flow_definition", "url": "url"}


class WebhookSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()
    flow_definition = serializers.CharField(
        source="flow_definition.name", allow_null=True, default=None, help_text="Only this flow's loops (null: all)."
    )
    active = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class WebhookWithSecretSerializer(WebhookSerializer):
    secret = serializers.CharField(help_text="Keys the HMAC-SHA256 signature. Shown at creation and rotation only.")


class DeliverySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    event_id = serializers.CharField()
    status = serializers.CharField(help_text="pending, delivered or failed.")
    attempts = serializers.IntegerField()
    last_status_code = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    delivered_at = serializers.DateTimeField(allow_null=True)
    payload = serializers.JSONField(help_text="The event as sent.")


class _Newest(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class WebhooksApi(EngineerApi):
    """/webhooks: GET lists the organization's webhooks; POST registers one."""

    field_aliases = FIELDS

    @extend_schema_serializer(component_name="WebhookCreateInput")
    class InputSerializer(StrictInputSerializer):
        url = serializers.CharField(help_text="http(s) URL; private and loopback hosts are refused.")
        flow_definition = serializers.CharField(required=False, allow_null=True, default=None)
        active = serializers.BooleanField(required=False, default=True)

    @extend_schema(
        operation_id="webhooks_list",
        tags=["webhooks"],
        parameters=[ORGANIZATION_PARAMETER],
        responses={200: paginated_schema("WebhookPage", WebhookSerializer), **problems()},
    )
    def get(self, request: Request) -> Response:
        return cursor_page(self, request, webhooks_for_organization(self.organization), WebhookSerializer, _Newest)

    @extend_schema(
        operation_id="webhooks_create",
        tags=["webhooks"],
        parameters=[ORGANIZATION_PARAMETER],
        request=InputSerializer,
        responses={201: WebhookWithSecretSerializer, **problems(400, 404)},
    )
    def post(self, request: Request) -> Response:
        d = validated(self.InputSerializer, request.data)
        webhook = webhook_create(
            organization=self.organization,
            url=d["url"],
            flow_definition_name=d.get("flow_definition"),
            active=d["active"],
        )
        return Response(WebhookWithSecretSerializer(webhook).data, status=status.HTTP_201_CREATED)


class WebhookDetailApi(EngineerApi):
    """/webhooks/{id}: GET, PATCH (url, active, rotate_secret), DELETE."""

    field_aliases = FIELDS

    @extend_schema_serializer(component_name="WebhookUpdateInput")
    class InputSerializer(StrictInputSerializer):
        url = serializers.CharField(required=False)
        active = serializers.BooleanField(required=False)
        rotate_secret = serializers.BooleanField(required=False, default=False)

    @describe_operation("webhooks_retrieve", "webhooks", WebhookSerializer)
    def get(self, request: Request, webhook_id: int) -> Response:
        return Response(WebhookSerializer(webhook_get(organization=self.organization, webhook_id=webhook_id)).data)

    @extend_schema(
        operation_id="webhooks_update",
        tags=["webhooks"],
        parameters=[ORGANIZATION_PARAMETER],
        request=InputSerializer,
        responses={200: WebhookSerializer, **problems(400, 404)},
    )
    def patch(self, request: Request, webhook_id: int) -> Response:
        d = validated(self.InputSerializer, request.data)
        webhook = webhook_update(
            organization=self.organization,
            webhook_id=webhook_id,
            url=d.get("url"),
            active=d.get("active"),
            rotate_secret=d["rotate_secret"],
        )
        out = WebhookWithSecretSerializer if d["rotate_secret"] else WebhookSerializer
        return Response(out(webhook).data)

    @extend_schema(
        operation_id="webhooks_destroy",
        tags=["webhooks"],
        parameters=[ORGANIZATION_PARAMETER],
        responses={204: OpenApiResponse(description="Deleted, with its delivery log."), **problems(404)},
    )
    def delete(self, request: Request, webhook_id: int) -> Response:
        webhook_delete(organization=self.organization, webhook_id=webhook_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookDeliveriesApi(EngineerApi):
    """/webhooks/{id}/deliveries: the delivery log, newest first."""

    @extend_schema(
        operation_id="webhooks_deliveries_list",
        tags=["webhooks"],
        parameters=[ORGANIZATION_PARAMETER],
        responses={200: paginated_schema("WebhookDeliveryPage", DeliverySerializer), **problems(404)},
    )
    def get(self, request: Request, webhook_id: int) -> Response:
        webhook = webhook_get(organization=self.organization, webhook_id=webhook_id)
        return cursor_page(self, request, webhook_deliveries(webhook), DeliverySerializer, _Newest)
