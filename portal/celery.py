import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def relay_outbox_at_start(**_kwargs: object) -> None:
    """Issue 18: a worker that starts publishes every task still pending in the outbox (queued
    while the broker was down, or lost with a killed worker); a duplicate delivery is a no-op."""
    from django.db import connections

    from outbox.queue import relay

    try:
        relay(everything=True)
    finally:
        connections.close_all()
