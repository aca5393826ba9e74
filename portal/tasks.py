import logging

from celery import shared_task
from django.utils import timezone

logger = logging.getLogger(__name__)


@shared_task
def heartbeat() -> str:
    """Beat's proof of life: the worker logs it, so `make demo` shows scheduled jobs running."""
    now = timezone.now().isoformat()
    logger.info("beat heartbeat %s", now)
    return now
