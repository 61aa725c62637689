"""Worker API routes, under /api/v1/worker/."""

from __future__ import annotations

from django.urls import URLPattern, path

from flows.api import worker

urlpatterns: list[URLPattern] = [
    path("token", worker.WorkerTokenApi.as_view(), name="worker-token"),
    path("tasks/claim", worker.ClaimApi.as_view(), name="worker-task-claim"),
    path("tasks/<int:task_id>/submit", worker.SubmitApi.as_view(), name="worker-task-submit"),
    path("tasks/<int:task_id>/release", worker.ReleaseApi.as_view(), name="worker-task-release"),
]
