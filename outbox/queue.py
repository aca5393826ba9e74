"""Queue work for the Celery worker without ever losing it: the transactional outbox (issue 18).

    from outbox.queue import enqueue

    enqueue(send_templated_email, template, to, context, language, cc)   # a task or its name

`enqueue` writes an `OutboxMessage` row in the current database transaction: the work exists if
and only if the change that asked for it commits. After the commit the row is handed to the broker
(`publish`); a broker that is down costs nothing but a log line: the request goes on normally and
the relay (`relay`, a beat job every minute and at every worker start) publishes the rows left
behind as soon as the broker answers again. The worker runs a row through `outbox.deliver`, which
marks it done in the same transaction as the task's own database work, so a row delivered twice
(relay plus broker redelivery after a killed worker) runs once.

Rules for a task queued this way: JSON arguments only (ids, not objects), no `self.retry` (the
outbox retries a failing task with a backoff, then the relay tries again later), and database
effects only through the ORM of the default database, so that they commit or roll back with the
row's "done" mark. Never call `task.delay()` / `transaction.on_commit(...)` yourself.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import OutboxMessage

logger = logging.getLogger(__name__)


def _task_name(task: Any) -> str:
    name = task if isinstance(task, str) else getattr(task, "name", None)
    if not name:
        raise TypeError(f"enqueue() needs a Celery task or a task name, not {task!r}")
    return name


def enqueue(task: Any, *args: Any, **kwargs: Any) -> OutboxMessage:
    """Queue `task(*args, **kwargs)` to run once after the current transaction commits.

    `task` is a Celery task (or its registered name); arguments must be JSON values. Returns the
    outbox row (its id is the task's key). Outside a transaction the row is published at once.
    """
    name = _task_name(task)
    # Fail here, in the caller's code, rather than in the worker: the arguments cross the broker.
    json.dumps([args, kwargs])
    message = OutboxMessage.objects.create(task=name, args=list(args), kwargs=kwargs)
    transaction.on_commit(lambda: publish([message.pk]))
    return message


def publish(message_ids: Iterable[int]) -> int:
    """Hand these rows to the broker; returns how many went. Never raises: what could not be
    published stays pending for the relay. The rows are marked published before they are sent
    (nothing else holds them then), so this never waits for a worker running one of them."""
    ids = list(message_ids)
    if not ids:
        return 0
    OutboxMessage.objects.filter(pk__in=ids).update(published_at=timezone.now())
    return _send(ids)


def _send(ids: list[int]) -> int:
    from .tasks import deliver

    sent: list[int] = []
    try:
        if deliver.app.conf.task_always_eager:
            for pk in ids:
                deliver.apply_async((pk,), task_id=f"outbox-{pk}")
                sent.append(pk)
        else:
            with deliver.app.producer_or_acquire() as producer:
                for pk in ids:
                    deliver.apply_async((pk,), task_id=f"outbox-{pk}", producer=producer, retry=False)
                    sent.append(pk)
    except Exception as exc:  # the broker is down or unreachable: the relay will publish later
        logger.warning(
            "Broker unreachable (%s): %d queued task(s) left to the outbox relay.", exc, len(ids) - len(sent)
        )
        unsent = ids[len(sent) :]
        OutboxMessage.objects.filter(pk__in=unsent, done_at__isnull=True).update(published_at=None)
    return len(sent)


def pending() -> Any:
    """Rows not done yet that the relay may still publish (fewer failures than the limit)."""
    return OutboxMessage.objects.filter(done_at__isnull=True, attempts__lt=settings.OUTBOX_MAX_ATTEMPTS)


def relay(*, everything: bool = False, batch: int = 500) -> int:
    """Publish the pending rows the after-commit step could not (broker down) or whose broker
    message may be lost (published longer ago than OUTBOX_REPUBLISH_AFTER and still not done).
    `everything` (at worker start) republishes every pending row: a duplicate costs nothing, a
    delivery of a done row is a no-op. Returns how many rows were published."""
    now = timezone.now()
    rows = pending()
    if not everything:
        # Rows just committed are being published by their own after-commit step.
        fresh = now - timedelta(seconds=settings.OUTBOX_RELAY_GRACE_SECONDS)
        stale = now - timedelta(seconds=settings.OUTBOX_REPUBLISH_AFTER)
        rows = rows.filter(Q(published_at__isnull=True, created_at__lt=fresh) | Q(published_at__lt=stale))
    total = 0
    last = 0
    while True:
        with transaction.atomic():
            # Rows a worker is running right now are locked: skip them rather than wait.
            ids = list(
                rows.select_for_update(skip_locked=True)
                .filter(pk__gt=last)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch]
            )
            OutboxMessage.objects.filter(pk__in=ids).update(published_at=timezone.now())
        if not ids:
            break
        sent = _send(ids)
        total += sent
        if sent < len(ids):  # the broker went away: stop, the next relay run goes on
            break
        last = ids[-1]
    if total:
        logger.info("Outbox relay published %d task(s).", total)
    return total
