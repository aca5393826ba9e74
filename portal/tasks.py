import logging

from celery import shared_task
from django.utils import timezone

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def heartbeat() -> str:
    """Beat's proof of life (every minute): recorded for /health/, and logged, so `make demo`
    shows scheduled jobs running. Idempotent: it only moves one timestamp forward."""
    from .models import Heartbeat

    now = timezone.now()
    Heartbeat.objects.update_or_create(name="worker", defaults={"seen_at": now})
    logger.info("beat heartbeat %s", now.isoformat())
    return now.isoformat()
