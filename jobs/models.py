"""A row per run of every scheduled job (JOBS-1..8), shown to staff in the back office.

Ground floor: it imports no other app of the project, so every app's tasks may record their runs.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class JobRun(models.Model):
    """One run of one job: when it started and finished, how many items it did, its errors."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped: another run was in progress")

    name = models.CharField(_("job"), max_length=80, db_index=True)
    started_at = models.DateTimeField(_("started"), default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RUNNING)
    items_done = models.PositiveIntegerField(_("items done"), default=0)
    errors = models.PositiveIntegerField(_("errors"), default=0)
    details = models.JSONField(_("details"), default=dict, blank=True)
    error_text = models.TextField(_("error"), blank=True)
    worker = models.CharField(_("worker"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def duration(self) -> timedelta | None:
        return (self.finished_at - self.started_at) if self.finished_at else None


class JobLock(models.Model):
    """One row per job that must not run twice at once; a run holds its row lock (PostgreSQL)."""

    name = models.CharField(max_length=80, primary_key=True)

    class Meta:
        verbose_name = _("job lock")
        verbose_name_plural = _("job locks")

    def __str__(self) -> str:
        return self.name
