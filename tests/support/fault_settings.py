"""Settings of the web server and Celery worker that tests/portal/test_faults.py starts in subprocesses:
the portal's settings, with emails written one file each through a gate the test controls, and
the outbox relay and heartbeat every second instead of every minute."""

from portal.settings import *  # noqa: F403

EMAIL_BACKEND = "tests.support.fault_mail.GatedFileBackend"
CELERY_BEAT_SCHEDULE = {
    "outbox-relay": {"task": "outbox.relay", "schedule": 1.0},
    "heartbeat": {"task": "portal.tasks.heartbeat", "schedule": 1.0},
}
OUTBOX_RELAY_GRACE_SECONDS = 1
# The relay must not republish what a killed worker held: the worker that restarts does it.
OUTBOX_REPUBLISH_AFTER = 600
OUTBOX_TASK_RETRIES = 2
