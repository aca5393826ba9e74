"""The worker's side of the outbox: run a row once (`deliver`), publish what is left (`relay`)."""

from __future__ import annotations

import logging

from celery import Task, shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import OutboxMessage

logger = logging.getLogger(__name__)


@shared_task(bind=True, name="outbox.deliver", ignore_result=True, acks_late=True)
def deliver(self: Task, message_id: int) -> str:
    """Run outbox row `message_id` unless it is done. Marking it done takes the row's lock (on
    SQLite the database's) in the transaction that runs the task, so a second delivery waits for
    the first and then finds it done; a task that fails rolls back its work and its mark."""
    row = OutboxMessage.objects.filter(pk=message_id).first()
    if row is None:
        logger.warning("Outbox row %s does not exist (rolled back?): nothing to do.", message_id)
        return "missing"
    if row.done_at is not None:
        return "already done"
    task = self.app.tasks.get(row.task)
    try:
        if task is None:
            raise LookupError(f"No task named {row.task!r} is registered in this worker.")
        with transaction.atomic():
            claimed = OutboxMessage.objects.filter(pk=message_id, done_at__isnull=True).update(
                done_at=timezone.now()
            )
            if not claimed:
                return "already done"
            task(*row.args, **row.kwargs)
    except Exception as exc:
        OutboxMessage.objects.filter(pk=message_id).update(
            attempts=F("attempts") + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        retries = self.request.retries or 0
        if self.request.is_eager or retries >= settings.OUTBOX_TASK_RETRIES:
            logger.exception(
                "Outbox task %s #%s failed; the relay will try again later.", row.task, message_id
            )
            raise
        raise self.retry(exc=exc, countdown=min(600, 10 * 2**retries)) from exc
    return "done"


@shared_task(name="outbox.relay", ignore_result=True)
def relay_pending() -> int:
    """Beat job (every minute): publish what the broker could not take when it was down."""
    from .queue import relay

    return relay()
