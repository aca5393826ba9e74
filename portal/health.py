"""Health endpoints for load balancers and monitoring (issue 18).

- `/health/live/`: liveness. The process answers; checks nothing else, so a restart is never
  triggered by a dependency being down.
- `/health/`: readiness, as JSON, with each dependency reported separately:
  `database` (a query), `broker` (a connection to Redis or the demo's filesystem queue),
  `worker` (the heartbeat beat job ran on a worker recently) and `outbox` (tasks waiting to be
  published or run). It answers 503 only when the database fails: without it no page works. A
  broker or a worker that is down makes it "degraded" but still 200: pages keep working and the
  outbox keeps their work until the broker and worker are back, so taking the web servers out of
  the load balancer would only make things worse.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Min
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.access import public_view


def check_database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True}


def check_broker() -> dict[str, Any]:
    from portal.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
            conn.default_channel  # noqa: B018 (opening a channel is the check: Redis answers a PING)
    except Exception as exc:
        return {"ok": False, "transport": app.conf.broker_url.split(":", 1)[0], "error": type(exc).__name__}
    return {"ok": True, "transport": app.conf.broker_url.split(":", 1)[0]}


def check_worker() -> dict[str, Any]:
    from .models import Heartbeat

    try:
        beat = Heartbeat.objects.filter(name="worker").first()
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    if beat is None:
        return {"ok": False, "last_heartbeat": None}
    age = (timezone.now() - beat.seen_at).total_seconds()
    return {
        "ok": age <= settings.HEALTH_WORKER_STALE_SECONDS,
        "last_heartbeat": beat.seen_at.isoformat(),
        "age_seconds": int(age),
    }


def check_outbox() -> dict[str, Any]:
    from outbox.models import OutboxMessage

    try:
        waiting = OutboxMessage.objects.filter(done_at__isnull=True)
        summary = waiting.aggregate(oldest=Min("created_at"))
        count = waiting.count()
        failed = waiting.filter(attempts__gte=settings.OUTBOX_MAX_ATTEMPTS).count()
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    oldest = summary["oldest"]
    age = int((timezone.now() - oldest).total_seconds()) if oldest else 0
    # Work waiting longer than the relay's republication delay means the broker or the worker
    # has been away for a while; rows that failed too often need an operator.
    stuck = age > settings.OUTBOX_REPUBLISH_AFTER + timedelta(minutes=5).total_seconds()
    return {"ok": not stuck and not failed, "pending": count, "oldest_pending_seconds": age, "failed": failed}


@public_view
@never_cache
@require_GET
def live(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@public_view
@never_cache
@require_GET
def ready(request: HttpRequest) -> JsonResponse:
    checks = {"database": check_database()}
    if checks["database"]["ok"]:
        checks["worker"] = check_worker()
        checks["outbox"] = check_outbox()
    checks["broker"] = check_broker()
    if not checks["database"]["ok"]:
        status = "down"
    elif all(check["ok"] for check in checks.values()):
        status = "ok"
    else:
        status = "degraded"
    return JsonResponse({"status": status, "checks": checks}, status=503 if status == "down" else 200)
