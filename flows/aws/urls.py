"""AWS-compatible API routes, included at the root by config/urls.py.

botocore puts the operation path after the path of ``endpoint_url``: ``/`` (SageMaker) and
``/human-loops...`` (A2I) at the root, or under one prefix segment (``http://host/aws/``).
The A2I routes take everything after ``human-loops``: the view routes on the raw path.
"""

from __future__ import annotations

from django.urls import URLPattern, path, re_path

from flows.aws import views

urlpatterns: list[URLPattern] = [
    path("aws-task-ui-templates/<str:token>", views.task_ui_template, name="aws-task-ui-template"),
    re_path(r"^human-loops(?P<rest>/.*)?$", views.human_loops, name="aws-human-loops"),
    re_path(
        r"^(?P<prefix>[A-Za-z0-9_.~\-]+)/human-loops(?P<rest>/.*)?$", views.human_loops, name="aws-human-loops-prefixed"
    ),
    path("", views.root, name="home"),
    re_path(r"^(?P<prefix>[A-Za-z0-9_.~\-]+)/?$", views.prefixed_root, name="aws-root-prefixed"),
]
