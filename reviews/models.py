"""Models of the reviews app."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models

from workforce.models import Organization


class PreviewRender(models.Model):
    """A template and input an engineer is previewing (the preview page's frame renders it).

    Kept server-side because a template (up to 128,000 characters) and its input do not fit in a
    frame URL; the frame's signed token names the row. Rows older than a day are deleted when new
    ones are made.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    template = models.TextField()
    #: The input as JSON text (it becomes ``task.input``).
    input_content = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["created_at"], name="preview_render_created")]

    def __str__(self) -> str:
        return f"preview {self.id}"
