"""Settings come from the environment with safe defaults (foundation issue, point 2)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def run_manage(tmp_path, env_overrides: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "REDIS_URL",
            "DEBUG",
            "SECRET_KEY",
            "CA_KEY_PASSPHRASE",
            "SITE_URL",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
            "EMAIL_URL",
        }
    }
    env.update({"VAR_DIR": str(tmp_path / "var"), **env_overrides})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def show(tmp_path, env: dict[str, str], expression: str) -> str:
    code = f"from django.conf import settings as s; print({expression})"
    result = run_manage(tmp_path, env, "shell", "--no-imports", "-c", code)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_defaults_are_sqlite_embedded_broker_and_console_email(tmp_path):
    env = {"DEBUG": "1"}
    assert show(tmp_path, env, "s.DATABASES['default']['ENGINE']") == "django.db.backends.sqlite3"
    assert show(tmp_path, env, "s.DATABASES['default']['NAME']") == str(tmp_path / "var" / "portal.sqlite3")
    assert show(tmp_path, env, "s.CELERY_BROKER_URL") == "filesystem://"
    assert show(tmp_path, env, "s.CELERY_TASK_ALWAYS_EAGER") == "False"
    assert show(tmp_path, env, "s.EMAIL_BACKEND") == "django.core.mail.backends.console.EmailBackend"
    assert (tmp_path / "var" / "celery" / "queue").is_dir()


def test_urls_from_environment_select_postgres_and_redis(tmp_path):
    env = {
        "DEBUG": "1",
        "DATABASE_URL": "postgres://u@db.example:5432/x",
        "REDIS_URL": "redis://cache:6379/1",
        "EMAIL_URL": "smtp+tls://user:pw@mail.example:587",
    }
    assert show(tmp_path, env, "s.DATABASES['default']['ENGINE']") == "django.db.backends.postgresql"
    assert show(tmp_path, env, "s.CELERY_BROKER_URL") == "redis://cache:6379/1"
    assert show(tmp_path, env, "s.CACHES['default']['BACKEND']") == "portal.cache.DegradingRedisCache"
    assert show(tmp_path, env, "s.EMAIL_HOST, s.EMAIL_USE_TLS") == "mail.example True"


def test_production_without_secrets_fails_loudly(tmp_path):
    result = run_manage(tmp_path, {"DEBUG": "0"}, "check")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_check_deploy_is_clean_with_real_secrets(tmp_path):
    env = {
        "DEBUG": "0",
        "SECRET_KEY": "k" * 20 + "Zq9!xV2#mP7@rT4$wY8%uI1^oE5&aS3*dF6(gH0)jK",
        "CA_KEY_PASSPHRASE": "a-real-passphrase",
        "SITE_URL": "https://portal.example.com",
        "ALLOWED_HOSTS": "portal.example.com",
    }
    result = run_manage(tmp_path, env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_suite_runs_on_postgresql():
    assert connection.vendor == "postgresql"


def test_celery_reaches_redis_in_tests():
    import redis
    from django.conf import settings

    assert settings.CELERY_BROKER_URL.startswith("redis://")
    assert redis.Redis.from_url(settings.REDIS_URL).ping() is True
