"""URLs of the reviews app: the task frame, its media, the template preview page."""

from __future__ import annotations

from django.urls import path

from reviews import frame_views, portal_urls

app_name = "reviews"

urlpatterns = [
    path("task-frame/<str:token>/", frame_views.task_frame, name="task-frame"),
    path("task-media/<str:token>/<path:name>", frame_views.task_media, name="task-media"),
    path("task-uis/preview/", frame_views.preview_page, name="preview"),
    path("task-uis/preview/render/", frame_views.preview_render, name="preview-render"),
]

# The portal's pages (worker, team lead, engineer console, admin).
urlpatterns += portal_urls.urlpatterns
