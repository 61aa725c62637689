"""The audit log: who did what to an organization's flows, task UIs, teams and loops.

One row per write, added in the writing service's transaction (so a rolled-back write leaves no
entry and a committed one always has its entry). Rows are never updated nor deleted by the
application. ``actor`` names the principal: ``user:<email>``, ``api-key:<access key id>`` or
``system`` (background work); it is a string so that the entry outlives the user or the key.
Secrets never go into ``details``.
"""

from __future__ import annotations

from django.db import models


class AuditEntry(models.Model):
    organization = models.ForeignKey("workforce.Organization", on_delete=models.CASCADE, related_name="audit_entries")
    actor = models.CharField(max_length=300)
    action = models.CharField(max_length=100)
    resource = models.CharField(max_length=2048, help_text="The ARN, or the name, of what was acted on.")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "-id"])]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor} {self.action} {self.resource}"
