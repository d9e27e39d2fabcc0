"""A background job's progress, as the pages that poll it see it."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


class JobCancelled(Exception):
    """Raised inside a task by :meth:`Job.report` once someone has cancelled its job."""


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
        CANCELLED = "cancelled", "Cancelled"

    kind = models.CharField(max_length=60)
    label = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    done = models.PositiveBigIntegerField(default=0)
    total = models.PositiveBigIntegerField(null=True, blank=True)
    message = models.CharField(max_length=300, blank=True)
    error = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True)
    task_result_id = models.CharField(max_length=64, blank=True)
    cancellable = models.BooleanField(
        default=False, help_text="Its task stops when cancelled (see job_task)."
    )
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
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED, self.Status.CANCELLED}

    @property
    def percent(self) -> int | None:
        """Whole percent done, or None while the total is unknown."""
        if not self.total:
            return 100 if self.status == self.Status.SUCCEEDED else None
        return min(100, int(100 * self.done / self.total))

    def _move(self, from_: set[str], **fields: Any) -> bool:
        """Set ``fields`` if the stored status is one of ``from_`` (one conditional UPDATE)."""
        moved = type(self).objects.filter(pk=self.pk, status__in=from_).update(**fields)
        if moved:
            for name, value in fields.items():
                setattr(self, name, value)
        else:
            self.status = type(self).objects.values_list("status", flat=True).get(pk=self.pk)
        return bool(moved)

    def mark_running(self) -> bool:
        """Start the job unless it was cancelled before a worker took it; whether it started."""
        return self._move(
            {self.Status.QUEUED, self.Status.RUNNING},
            status=self.Status.RUNNING,
            started_at=timezone.now(),
        )

    def is_cancelled(self) -> bool:
        """Whether someone has cancelled this job (asks the database)."""
        found = type(self).objects.filter(pk=self.pk, status=self.Status.CANCELLED).exists()
        if found:
            self.status = self.Status.CANCELLED
        return found

    def report(self, done: int, total: int | None = None, message: str = "") -> None:
        """Record progress; writes at most twice a second unless the work is complete.

        Raises
        ------
        JobCancelled
            If the job is cancellable and has been cancelled: the task stops at its next
            progress step.
        """
        if self.cancellable and self.is_cancelled():
            raise JobCancelled(f"Job {self.pk} was cancelled")
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
        """Record success, unless the job was cancelled meanwhile.

        A cancelled job stays cancelled but keeps ``result`` (such as a link to the work).
        """
        moved = self._move(
            {self.Status.QUEUED, self.Status.RUNNING},
            status=self.Status.SUCCEEDED,
            finished_at=timezone.now(),
            result=result or {},
            done=self.total if self.total is not None else self.done,
            message=message or self.message,
        )
        if not moved and self.status == self.Status.CANCELLED:
            self.record_result(result or {})

    def mark_failed(self, error: str) -> None:
        self._move(
            {self.Status.QUEUED, self.Status.RUNNING},
            status=self.Status.FAILED,
            finished_at=timezone.now(),
            error=error,
        )

    def mark_cancelled(self, message: str = "Cancelled.") -> bool:
        """Cancel the job if it is waiting or running; whether it was.

        A waiting job then never runs; a running one stops at its next progress step.
        """
        return self._move(
            {self.Status.QUEUED, self.Status.RUNNING},
            status=self.Status.CANCELLED,
            finished_at=timezone.now(),
            message=message[:300],
        )

    def record_result(self, result: dict[str, Any]) -> None:
        """Store ``result`` whatever the status (a cancelled job keeps where it got to)."""
        self.result = result
        self.save(update_fields=["result"])
