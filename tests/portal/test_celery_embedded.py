"""Without REDIS_URL the demo runs a real Celery worker + beat on a filesystem broker (not eager)."""

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_worker_runs_tasks_through_the_filesystem_broker(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_TASK_ALWAYS_EAGER"}
    }
    env.update({"DEBUG": "1", "VAR_DIR": str(tmp_path)})
    # The heartbeat records itself in the database (/health/): the demo's SQLite is migrated first.
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=300
    )
    celery = Path(sys.executable).with_name("celery")
    worker = subprocess.Popen(
        [
            str(celery),
            "-A",
            "portal",
            "worker",
            "-B",
            "--concurrency=1",
            "--loglevel=INFO",
            f"--logfile={tmp_path / 'worker.log'}",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        code = (
            "import django; django.setup()\n"
            "from django.conf import settings\n"
            "assert settings.CELERY_BROKER_URL == 'filesystem://' and not settings.CELERY_TASK_ALWAYS_EAGER\n"
            "from portal.tasks import heartbeat\n"
            "print('RESULT', heartbeat.apply_async(ignore_result=False).get(timeout=60))\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            env={**env, "DJANGO_SETTINGS_MODULE": "portal.settings"},
        )
        assert result.returncode == 0, result.stderr
        assert "RESULT 20" in result.stdout
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
    log = (tmp_path / "worker.log").read_text()
    assert "portal.tasks.heartbeat" in log and "succeeded" in log
    assert "beat: Starting" in log
