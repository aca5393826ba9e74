"""One row per task to run: written in the transaction of the change that asks for it."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """A task waiting to run, or that ran (`done_at`). The row id is the task's key: the broker
    message carries only this id, and a delivery of a row already done does nothing."""

    task = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list)
    kwargs = models.JSONField(_("keyword arguments"), default=dict)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Last time it was handed to the broker (after commit, or by the relay); null: never yet.
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    # Set in the same transaction as the task's own database work: done means done once.
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("failed attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [models.Index(fields=["done_at", "published_at"], name="outbox_pending")]

    def __str__(self) -> str:
        return f"{self.task} #{self.pk}"

    @property
    def task_id(self) -> str:
        """The Celery task id of every delivery of this row (the broker message's key)."""
        return f"outbox-{self.pk}"
