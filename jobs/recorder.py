"""Record each run of a scheduled job (JOBS: "a row per run, visible to staff").

`recorded_job(name)` wraps a task body: a JobRun row is written (in its own short transaction)
before the work starts and completed when it ends, with the items done and the errors. The body
returns an int, a dict of ints (summed), or an `Outcome`. An exception marks the run failed, with
its first 2,000 characters, and is raised again so Celery sees it too.

`exclusive(name)` is a context manager for jobs whose whole run must be single-flight (a rebuild):
inside a transaction it takes the JobLock row with SKIP LOCKED; a second concurrent run gets
False and does nothing. (SQLite serialises writers by itself; `select_for_update` is a no-op there.)
"""

from __future__ import annotations

import functools
import socket
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from .models import JobLock, JobRun

ERROR_TEXT_LIMIT = 2000


@dataclass
class Outcome:
    """What a job did: items done, items that failed, and a few counters for the back office."""

    done: int = 0
    errors: int = 0
    details: dict[str, Any] = field(default_factory=dict)
    skipped: bool = False


def _as_outcome(result: Any) -> Outcome:
    if isinstance(result, Outcome):
        return result
    if isinstance(result, dict):
        return Outcome(done=sum(int(v) for v in result.values() if isinstance(v, int)), details=result)
    if isinstance(result, int):
        return Outcome(done=result)
    return Outcome(details={"result": str(result)[:200]})


def recorded_job(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a task body so each call leaves a JobRun row; returns the body's result."""

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            row = JobRun.objects.create(name=name, worker=socket.gethostname()[:200])
            try:
                result = function(*args, **kwargs)
            except Exception as error:
                JobRun.objects.filter(pk=row.pk).update(
                    status=JobRun.Status.FAILED,
                    finished_at=timezone.now(),
                    errors=1,
                    error_text=("".join(traceback.format_exception_only(error)))[:ERROR_TEXT_LIMIT],
                )
                raise
            outcome = _as_outcome(result)
            JobRun.objects.filter(pk=row.pk).update(
                status=JobRun.Status.SKIPPED if outcome.skipped else JobRun.Status.SUCCEEDED,
                finished_at=timezone.now(),
                items_done=outcome.done,
                errors=outcome.errors,
                details=outcome.details,
            )
            if isinstance(result, Outcome):
                return {"done": outcome.done, "errors": outcome.errors, **outcome.details}
            return result

        return run

    return decorate


@contextmanager
def exclusive(name: str) -> Iterator[bool]:
    """Hold the job's lock row for the block (one transaction); yields False when another run has it."""
    JobLock.objects.get_or_create(name=name)
    with transaction.atomic():
        held = JobLock.objects.select_for_update(skip_locked=True).filter(name=name).first()
        yield held is not None


def last_runs(limit: int = 50) -> list[JobRun]:
    return list(JobRun.objects.order_by("-started_at", "-id")[:limit])
