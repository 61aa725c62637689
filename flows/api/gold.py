"""Gold items and worker quality over REST.

    GET    /flow-definitions/{name}/gold-items          the flow's gold items with their scores (cursor-paged)
    POST   /flow-definitions/{name}/gold-items          add one item, or a batch of up to 1,000 ({"items": [...]})
    DELETE /flow-definitions/{name}/gold-items/{id}     withdraw one (open tasks closed, answers kept)
    GET    /flow-definitions/{name}/worker-quality      per worker: accuracy on gold items, agreement

Gold items and their scores are for engineers and admins (and API keys); worker quality is also
readable by team leads.
"""

from __future__ import annotations

import json
from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from flows.api.access import IsOrganizationEngineerOrTeamLead
from flows.api.common import (
    ORGANIZATION_PARAMETER,
    EngineerApi,
    NewestFirstPagination,
    StrictInputSerializer,
    paginated_schema,
    problems,
)
from flows.api.errors import item_error
from flows.models import HumanLoop
from flows.selectors.quality import worker_quality_for_flow
from flows.services.gold import (
    DEFAULT_REPLICAS,
    MAX_GOLD_BATCH,
    MAX_REPLICAS,
    GoldItemResult,
    gold_flow,
    gold_item_withdraw,
    gold_items_create,
    gold_items_query,
    gold_scores,
)

TAG = "quality"
GOLD_FIELDS = {"inputContent": "input_content", "flowDefinitionName": "name"}


def _item_state(loop: HumanLoop) -> str:
    if loop.deleted_at is not None:
        return "withdrawn"
    return "completed" if loop.status == "Completed" else "active"


class GoldItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    alias = serializers.CharField(help_text="The loop name workers see for this item.")
    input_content = serializers.JSONField()
    answer = serializers.JSONField(help_text="The known answer (answerContent shape).")
    replicas = serializers.IntegerField(help_text="How many different workers meet the item.")
    state = serializers.ChoiceField(choices=["active", "completed", "withdrawn"])
    answers = serializers.IntegerField(help_text="Answers received so far.")
    correct = serializers.IntegerField(help_text="Answers matching the known answer.")
    accuracy = serializers.FloatField(allow_null=True, help_text="correct / answers (null before any answer).")
    created_at = serializers.DateTimeField()
    withdrawn_at = serializers.DateTimeField(allow_null=True)


def _item_body(loop: HumanLoop, answers: int, correct: int) -> dict[str, Any]:
    return {
        "id": loop.pk,
        "alias": loop.gold_alias,
        "input_content": json.loads(loop.input_content),
        "answer": loop.gold_answer,
        "replicas": loop.task_count,
        "state": _item_state(loop),
        "answers": answers,
        "correct": correct,
        "accuracy": correct / answers if answers else None,
        "created_at": serializers.DateTimeField().to_representation(loop.created_at),
        "withdrawn_at": serializers.DateTimeField().to_representation(loop.deleted_at) if loop.deleted_at else None,
    }


class GoldItemInputSerializer(serializers.Serializer):
    """One gold item (schema; items are checked one by one and reported by index)."""

    input_content = serializers.JSONField(help_text="The task data: a JSON object (or its JSON text), up to 3 MiB.")
    answer = serializers.JSONField(help_text="The known answer: an answerContent object as the task UI submits it.")
    replicas = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_REPLICAS, help_text=f"Default {DEFAULT_REPLICAS}."
    )
    alias = serializers.CharField(
        required=False,
        help_text="The loop name workers see (A2I loop-name form; default a random UUID). Follow your loops' "
        "naming so that workers cannot tell gold items apart.",
    )


class GoldItemErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    field = serializers.CharField(required=False)


class GoldItemResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["created", "error"])
    item = GoldItemSerializer(required=False)
    error = GoldItemErrorSerializer(required=False)


class GoldItemsCreatedSerializer(serializers.Serializer):
    results = GoldItemResultSerializer(many=True)


class GoldItemsApi(EngineerApi):
    """/flow-definitions/{name}/gold-items: GET lists, POST adds."""

    field_aliases = GOLD_FIELDS

    @extend_schema_serializer(component_name="GoldItemListFilter")
    class FilterSerializer(serializers.Serializer):
        include_withdrawn = serializers.BooleanField(required=False, default=False)
        order = serializers.ChoiceField(choices=["descending", "ascending"], required=False, default="descending")
        page_size = serializers.IntegerField(required=False, min_value=1, max_value=1000)
        cursor = serializers.CharField(required=False)

    @extend_schema_serializer(component_name="GoldItemsBatchInput")
    class BatchInputSerializer(serializers.Serializer):
        items = GoldItemInputSerializer(many=True, help_text=f"1 to {MAX_GOLD_BATCH} items.")

    @extend_schema_serializer(component_name="GoldItemsParsedInput")
    class ParsedInputSerializer(StrictInputSerializer):
        items = serializers.ListField(min_length=1, max_length=MAX_GOLD_BATCH)

    @extend_schema(
        operation_id="gold_items_list",
        tags=[TAG],
        parameters=[FilterSerializer, ORGANIZATION_PARAMETER],
        responses={200: paginated_schema("GoldItemPage", GoldItemSerializer), **problems(400, 404)},
    )
    def get(self, request: Request, name: str) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        flow = gold_flow(organization=self.organization, name=name)
        qs = gold_items_query(flow=flow, include_withdrawn=filters.validated_data["include_withdrawn"])
        paginator = NewestFirstPagination()
        page: list[HumanLoop] = list(paginator.paginate_queryset(qs, request, view=self) or [])
        scores = gold_scores(flow=flow, items=page)
        body = [_item_body(loop, scores[loop.pk].answers, scores[loop.pk].correct) for loop in page]
        return paginator.get_paginated_response(body)

    @extend_schema(
        operation_id="gold_items_create",
        tags=[TAG],
        parameters=[ORGANIZATION_PARAMETER],
        request={"application/json": BatchInputSerializer},
        description='Send one item as the body, or {"items": [...]} for up to 1,000. One item: 201 with the '
        "item, or a problem body. A batch: 200 with one result per item (a refused item leaves no trace and "
        "does not stop the others).",
        responses={
            201: OpenApiResponse(GoldItemSerializer, description="One item created."),
            200: OpenApiResponse(GoldItemsCreatedSerializer, description="A batch: one result per item."),
            **problems(400, 404, 409),
        },
    )
    def post(self, request: Request, name: str) -> Response:
        data = request.data
        if isinstance(data, dict) and "items" in data:
            parsed = self.ParsedInputSerializer(data=data)
            parsed.is_valid(raise_exception=True)
            results = gold_items_create(
                organization=self.organization, flow_name=name, items=parsed.validated_data["items"]
            )
            return Response({"results": [self._result(r) for r in results]})
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                {"non_field_errors": ['Send a gold item (a JSON object) or {"items": [...]}.']}
            )
        result = gold_items_create(organization=self.organization, flow_name=name, items=[dict(data)])[0]
        if result.error is not None:
            raise result.error
        assert result.item is not None
        return Response(_item_body(result.item, 0, 0), status=status.HTTP_201_CREATED)

    def _result(self, result: GoldItemResult) -> dict[str, Any]:
        out: dict[str, Any] = {"index": result.index, "status": result.status}
        if result.item is not None:
            out["item"] = _item_body(result.item, 0, 0)
        if result.error is not None:
            out["error"] = item_error(result.error, self.field_aliases)
        return out


class GoldItemDetailApi(EngineerApi):
    """DELETE /flow-definitions/{name}/gold-items/{id}: withdraw a gold item."""

    field_aliases = GOLD_FIELDS

    @extend_schema(
        operation_id="gold_items_delete",
        tags=[TAG],
        parameters=[ORGANIZATION_PARAMETER],
        request=None,
        responses={204: OpenApiResponse(description="Withdrawn."), **problems(404)},
    )
    def delete(self, request: Request, name: str, item_id: str) -> Response:
        gold_item_withdraw(organization=self.organization, flow_name=name, item_id=item_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WorkerQualitySerializer(serializers.Serializer):
    worker_id = serializers.CharField(help_text="The worker's public id (as in output.json).")
    gold_answers = serializers.IntegerField(help_text="Answers to the flow's gold items.")
    gold_correct = serializers.IntegerField(help_text="Of those, matching the known answer.")
    accuracy = serializers.FloatField(allow_null=True, help_text="gold_correct / gold_answers.")
    compared = serializers.IntegerField(help_text="Answers to completed loops with a consolidated answer.")
    agreed = serializers.IntegerField(help_text="Of those, agreeing with the consolidated answer.")
    agreement = serializers.FloatField(allow_null=True, help_text="agreed / compared.")
    updated_at = serializers.DateTimeField()


class WorkerQualityOutputSerializer(serializers.Serializer):
    results = WorkerQualitySerializer(many=True)


class WorkerQualityApi(EngineerApi):
    """GET /flow-definitions/{name}/worker-quality: per worker, accuracy and agreement with counts."""

    permission_classes = (IsOrganizationEngineerOrTeamLead,)  # type: ignore[assignment]

    @extend_schema(
        operation_id="worker_quality_list",
        tags=[TAG],
        parameters=[ORGANIZATION_PARAMETER],
        responses={200: WorkerQualityOutputSerializer, **problems(404)},
    )
    def get(self, request: Request, name: str) -> Response:
        flow = gold_flow(organization=self.organization, name=name)
        rows = worker_quality_for_flow(flow)
        return Response(
            {
                "results": [
                    {
                        "worker_id": r.worker_id,
                        "gold_answers": r.gold_answers,
                        "gold_correct": r.gold_correct,
                        "accuracy": r.accuracy,
                        "compared": r.compared,
                        "agreed": r.agreed,
                        "agreement": r.agreement,
                        "updated_at": serializers.DateTimeField().to_representation(r.updated_at),
                    }
                    for r in rows
                ]
            }
        )
