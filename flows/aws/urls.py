"""AWS-compatible API routes (filled by the AWS API module)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
