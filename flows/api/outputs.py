"""Bucket mappings over REST: write an organization's ``s3://<bucket>/...`` outputs to a local
folder (under the server's ``LOUPE_OUTPUT_ROOTS``) instead of an S3 endpoint."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from flows.api.common import (
    ORGANIZATION_PARAMETER,
    EngineerApi,
    StrictInputSerializer,
    describe_operation,
    problems,
    validated,
)
from flows.errors import NotFound
from flows.selectors.results import bucket_mappings_for_organization
from flows.services.outputs import bucket_mapping_create, bucket_mapping_delete

FIELDS = {"bucket": "bucket", "localPath": "local_path"}


class BucketMappingSerializer(serializers.Serializer):
    bucket = serializers.CharField()
    local_path = serializers.CharField()
    created_at = serializers.DateTimeField()


class BucketMappingsApi(EngineerApi):
    """/bucket-mappings: GET lists the organization's mappings; POST adds one."""

    field_aliases = FIELDS

    @extend_schema_serializer(component_name="BucketMappingCreateInput")
    class InputSerializer(StrictInputSerializer):
        bucket = serializers.CharField()
        local_path = serializers.CharField(help_text="Absolute folder under one of the server's output roots.")

    @extend_schema(
        operation_id="bucket_mappings_list",
        tags=["outputs"],
        parameters=[ORGANIZATION_PARAMETER],
        responses={200: BucketMappingSerializer(many=True), **problems()},
    )
    def get(self, request: Request) -> Response:
        return Response(BucketMappingSerializer(bucket_mappings_for_organization(self.organization), many=True).data)

    @extend_schema(
        operation_id="bucket_mappings_create",
        tags=["outputs"],
        parameters=[ORGANIZATION_PARAMETER],
        request=InputSerializer,
        responses={201: BucketMappingSerializer, **problems(400, 409)},
    )
    def post(self, request: Request) -> Response:
        d = validated(self.InputSerializer, request.data)
        mapping = bucket_mapping_create(organization=self.organization, bucket=d["bucket"], local_path=d["local_path"])
        return Response(BucketMappingSerializer(mapping).data, status=status.HTTP_201_CREATED)


class BucketMappingDetailApi(EngineerApi):
    """/bucket-mappings/{bucket}: GET, DELETE."""

    @describe_operation("bucket_mappings_retrieve", "outputs", BucketMappingSerializer)
    def get(self, request: Request, bucket: str) -> Response:
        mapping = bucket_mappings_for_organization(self.organization).filter(bucket=bucket).first()
        if mapping is None:
            raise NotFound(f"Bucket {bucket} is not mapped.", field="bucket")
        return Response(BucketMappingSerializer(mapping).data)

    @extend_schema(
        operation_id="bucket_mappings_destroy",
        tags=["outputs"],
        parameters=[ORGANIZATION_PARAMETER],
        responses={204: OpenApiResponse(description="Unmapped: later outputs go to S3."), **problems(404)},
    )
    def delete(self, request: Request, bucket: str) -> Response:
        bucket_mapping_delete(organization=self.organization, bucket=bucket)
        return Response(status=status.HTTP_204_NO_CONTENT)
