"""A background job's progress, as the pages that poll it see it."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


class Job(models.Model):
    """One piece of long work run by the task worker, with its progress.

    The task itself is queued through Django's tasks API (django-tasks); this row is what
    people see: what it is, how far it has got, how it ended.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Finished"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=60)
    label = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    done = models.PositiveBigIntegerField(default=0)
    total = models.PositiveBigIntegerField(null=True, blank=True)
    message = models.CharField(max_length=300, blank=True)
    error = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True)
    task_result_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "kind"])]

    def __str__(self) -> str:
        return self.label

    def get_absolute_url(self) -> str:
        return reverse("jobs-detail", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED}

    @property
    def percent(self) -> int | None:
        """Whole percent done, or None while the total is unknown."""
        if not self.total:
            return 100 if self.status == self.Status.SUCCEEDED else None
        return min(100, int(100 * self.done / self.total))

    def mark_running(self) -> None:
        self.status = self.Status.RUNNING
        self.started_at = timezone.now()
        self.save(update_fields=["status", "started_at"])

    def report(self, done: int, total: int | None = None, message: str = "") -> None:
        """Record progress; writes at most twice a second unless the work is complete."""
        self.done = done
        if total is not None:
            self.total = total
        if message:
            self.message = message[:300]
        now = time.monotonic()
        last = getattr(self, "_last_report", 0.0)
        if now - last >= 0.5 or (self.total is not None and done >= self.total):
            self._last_report = now
            self.save(update_fields=["done", "total", "message"])

    def mark_succeeded(self, result: dict[str, Any] | None = None, message: str = "") -> None:
        self.status = self.Status.SUCCEEDED
        self.finished_at = timezone.now()
        self.result = result or {}
        if self.total is not None:
            self.done = self.total
        self.message = message or self.message
        self.save(update_fields=["status", "finished_at", "result", "done", "message"])

    def mark_failed(self, error: str) -> None:
        self.status = self.Status.FAILED
        self.finished_at = timezone.now()
        self.error = error
        self.save(update_fields=["status", "finished_at", "error"])
