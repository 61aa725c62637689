"""Where outputs go: organizations' bucket-to-folder mappings, and the write-ahead record of each
loop's output write (how the background writer resumes after a crash)."""

from __future__ import annotations

from typing import ClassVar

from django.db import models

from flows.models.loops import HumanLoop
from workforce.models import Organization


class BucketMapping(models.Model):
    """``s3://<bucket>/...`` of this organization is written to ``<local_path>/...`` on this
    server's disk instead of an S3 endpoint (output paths, and input objects read by Loupe)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="bucket_mappings")
    bucket = models.CharField(max_length=63)
    local_path = models.CharField(max_length=1024)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organization", "bucket"], name="one_mapping_per_org_bucket"),
        ]

    def __str__(self) -> str:
        return f"s3://{self.bucket} -> {self.local_path}"


class OutputWrite(models.Model):
    """Progress of one loop's output.json write. Absent until the first attempt starts; the loop's
    ``output_written`` is the truth about whether it landed. ``deadline_at`` is when the write
    must have made progress: past it, housekeeping (``outputs_recover``) enqueues it again (the
    worker that held it may have been killed)."""

    loop = models.OneToOneField(HumanLoop, on_delete=models.CASCADE, primary_key=True, related_name="output_write")
    attempts = models.PositiveIntegerField(default=0)
    deadline_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"output write {self.pk}"
