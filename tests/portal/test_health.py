"""/health/ (issue 18): liveness apart, readiness reporting database, broker, worker heartbeat and
outbox separately; and the Redis cache failing open while Redis is down."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from accounts.services import LOCK_MESSAGE
from outbox.models import OutboxMessage
from portal import health
from portal.celery import app
from portal.models import Heartbeat
from portal.tasks import heartbeat

pytestmark = pytest.mark.django_db


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def worker_alive():
    heartbeat()


def test_liveness_checks_nothing_else(client, monkeypatch):
    monkeypatch.setattr(health, "check_database", lambda: pytest.fail("liveness must not query"))
    response = client.get("/health/live/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_everything_up(client, worker_alive):
    response = client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True,
        "broker": True,
        "worker": True,
        "outbox": True,
    }
    assert body["checks"]["outbox"]["pending"] == 0
    assert "no-cache" in response["Cache-Control"]


def test_a_broker_down_is_degraded_but_ready(client, worker_alive, monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("Connection refused")

    monkeypatch.setattr(app, "connection_for_write", refuse)
    response = client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


def test_a_stale_worker_and_waiting_work_are_reported(client, settings):
    Heartbeat.objects.update_or_create(
        name="worker", defaults={"seen_at": timezone.now() - timedelta(hours=1)}
    )
    message = OutboxMessage.objects.create(task="portal.tasks.heartbeat")
    OutboxMessage.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(hours=2))
    body = client.get("/health/").json()
    assert body["status"] == "degraded"
    assert body["checks"]["worker"]["ok"] is False
    assert body["checks"]["worker"]["age_seconds"] >= 3600
    assert body["checks"]["outbox"] == {
        "ok": False,
        "pending": 1,
        "oldest_pending_seconds": body["checks"]["outbox"]["oldest_pending_seconds"],
        "failed": 0,
    }
    assert body["checks"]["outbox"]["oldest_pending_seconds"] >= 7200


def test_no_heartbeat_yet_is_not_ok(client):
    assert client.get("/health/").json()["checks"]["worker"] == {"ok": False, "last_heartbeat": None}


def test_a_database_down_is_not_ready(client, monkeypatch):
    def broken():
        return {"ok": False, "error": OperationalError.__name__}

    monkeypatch.setattr(health, "check_database", broken)
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["status"] == "down"


def test_health_refuses_writes(client):
    assert client.post("/health/").status_code == 405


class TestRedisCacheDown:
    @pytest.fixture(autouse=True)
    def _redis_down(self, settings):
        settings.CACHES = {
            "default": {
                "BACKEND": "portal.cache.DegradingRedisCache",
                "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
                "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
            }
        }

    def test_the_cache_misses_instead_of_failing(self):
        from django.core.cache import cache

        cache.set("key", 1)
        assert cache.get("key", "default") == "default"
        assert cache.add("key", 1) is True  # a lock taken with add() is granted: fail open
        with pytest.raises(ValueError):
            cache.incr("key")

    def test_login_throttling_fails_open_and_the_lock_still_holds(self, client, tech):
        for _ in range(4):
            response = client.post(
                "/accounts/login/", {"login": tech.username, "password": "wrong-password-1"}
            )
            assert response.status_code == 200
        fifth = client.post("/accounts/login/", {"login": tech.username, "password": "wrong-password-1"})
        assert str(LOCK_MESSAGE) in [str(e) for e in fifth.context["form"].non_field_errors()]
        tech.refresh_from_db()
        assert tech.locked_at is not None
