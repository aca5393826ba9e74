"""The moment billing stamps on what it issues and books: documents, payments, ledger movements.

Normally now. A loader of past activity (the demo's year of history, issue 8 point 17) replays it
inside `replaying(moment)`: the same services run, with every rule they keep (gapless numbers, one
chronological sequence per series: `services.documents`), only the date is the replayed one. A
moment in the future is refused: nothing is ever issued ahead of time.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.utils import timezone

_replayed: ContextVar[datetime.datetime | None] = ContextVar("billing_replayed_moment", default=None)


def now() -> datetime.datetime:
    return _replayed.get() or timezone.now()


def replayed() -> bool:
    """Whether billing is replaying a past moment (a history loaded in date order, the demo)."""
    return _replayed.get() is not None


def today() -> datetime.date:
    return timezone.localdate(now())


@contextmanager
def replaying(moment: datetime.datetime) -> Iterator[datetime.datetime]:
    """Billing's clock reads `moment` (aware, not in the future) until the block ends."""
    if timezone.is_naive(moment):
        raise ValueError("A replayed moment must be timezone-aware.")
    if moment > timezone.now():
        raise ValueError("Billing cannot replay a moment in the future.")
    token = _replayed.set(moment)
    try:
        yield moment
    finally:
        _replayed.reset(token)
