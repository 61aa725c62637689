"""WebSocket routes."""

from __future__ import annotations

from django.urls import URLPattern, path

from reviews.consumers import DashboardConsumer, WorkConsumer

websocket_urlpatterns: list[URLPattern] = [
    path("ws/work/", WorkConsumer.as_asgi()),
    path("ws/org/<str:account_id>/", DashboardConsumer.as_asgi()),
]
