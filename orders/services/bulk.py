"""Helpers of the set-based scheduled jobs (issue 17: a job's query count does not grow with rows)."""

from __future__ import annotations

import zlib

from django.db import connection
from django.db.models import QuerySet


def serialise(job: str) -> None:
    """Hold a transaction-scoped lock named after `job`, so two runs of it take turns (PostgreSQL's
    advisory lock; SQLite runs one writer at a time anyway). Call inside `transaction.atomic()`."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(job.encode())])


def lock_rows(queryset: QuerySet) -> int:
    """Lock the rows of `queryset` until the transaction ends (one query); returns how many.

    A concurrent single-row change (a revocation by a user) then waits for the job, and the job's
    INSERT … SELECT and UPDATE see the same rows.
    """
    return len(queryset.order_by().select_for_update().values_list("pk", flat=True))
