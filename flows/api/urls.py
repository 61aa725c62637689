"""REST API routes under /api/v1/."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path, re_path

from audit.api import AuditLogApi
from flows.api import exports, flow_definitions, gold, human_loops, outputs, routing, task_uis, webhooks, workteams
from flows.api.errors import api_not_found
from reviews import api as reviews_api

urlpatterns: list[URLPattern | URLResolver] = [
    path("task-uis", task_uis.TaskUisApi.as_view(), name="task-uis"),
    path("render-ui-template", task_uis.RenderUiTemplateApi.as_view(), name="render-ui-template"),
    path("task-uis/<str:name>", task_uis.TaskUiDetailApi.as_view(), name="task-ui"),
    path("flow-definitions", flow_definitions.FlowDefinitionsApi.as_view(), name="flow-definitions"),
    path("flow-definitions/<str:name>", flow_definitions.FlowDefinitionDetailApi.as_view(), name="flow-definition"),
    path("flow-definitions/<str:name>/route", routing.FlowRouteApi.as_view(), name="flow-definition-route"),
    path("flow-definitions/<str:name>/export", exports.FlowExportApi.as_view(), name="flow-definition-export"),
    path(
        "flow-definitions/<str:name>/calibration",
        routing.FlowCalibrationApi.as_view(),
        name="flow-definition-calibration",
    ),
    path("flow-definitions/<str:name>/gold-items", gold.GoldItemsApi.as_view(), name="flow-definition-gold-items"),
    path(
        "flow-definitions/<str:name>/gold-items/<str:item_id>",
        gold.GoldItemDetailApi.as_view(),
        name="flow-definition-gold-item",
    ),
    path(
        "flow-definitions/<str:name>/worker-quality",
        gold.WorkerQualityApi.as_view(),
        name="flow-definition-worker-quality",
    ),
    path("human-loops", human_loops.HumanLoopsApi.as_view(), name="human-loops"),
    path("human-loops/batch", human_loops.HumanLoopBatchRouteApi.as_view(), name="human-loops-batch"),
    path("human-loops/<str:name>", human_loops.HumanLoopDetailApi.as_view(), name="human-loop"),
    path("human-loops/<str:name>/stop", human_loops.HumanLoopStopApi.as_view(), name="human-loop-stop"),
    path("workteams", workteams.WorkteamsApi.as_view(), name="workteams"),
    path("workteams/<str:name>", workteams.WorkteamDetailApi.as_view(), name="workteam"),
    path("worker/", include("flows.api.worker_urls")),
    path("audit-log", AuditLogApi.as_view(), name="audit-log"),
    # The review stage (reviews/api.py).
    path("flow-definitions/<str:name>/review", reviews_api.FlowReviewApi.as_view(), name="flow-definition-review"),
    path("reviews", reviews_api.ReviewsApi.as_view(), name="reviews"),
    path("reviews/<int:review_id>", reviews_api.ReviewDetailApi.as_view(), name="review"),
    path("reviews/<int:review_id>/accept", reviews_api.ReviewAcceptApi.as_view(), name="review-accept"),
    path("reviews/<int:review_id>/correct", reviews_api.ReviewCorrectApi.as_view(), name="review-correct"),
    path("webhooks", webhooks.WebhooksApi.as_view(), name="webhooks"),
    path("webhooks/<int:webhook_id>", webhooks.WebhookDetailApi.as_view(), name="webhook"),
    path("webhooks/<int:webhook_id>/deliveries", webhooks.WebhookDeliveriesApi.as_view(), name="webhook-deliveries"),
    path("bucket-mappings", outputs.BucketMappingsApi.as_view(), name="bucket-mappings"),
    path("bucket-mappings/<str:bucket>", outputs.BucketMappingDetailApi.as_view(), name="bucket-mapping"),
]

# Appended last, after every route above (add routes to the list, not after this line): any other
# /api/v1/ path answers a JSON problem body, not Django's HTML 404 page.
urlpatterns.append(re_path(r"^(?P<path>.*)$", api_not_found, name="api-not-found"))
