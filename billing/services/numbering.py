"""Gapless document numbers per series and year (ACCT-1; French invoices must be numbered in one
continuous chronological sequence, art. 242 nonies A of annex II to the General Tax Code)."""

from __future__ import annotations

from django.db import transaction

from ..models import NumberSequence


def next_number(series: str, year: int) -> int:
    """The next number of `series` for `year`.

    Must run inside the transaction that creates the document: the sequence row stays locked until
    that transaction ends, so a concurrent issue waits and a rolled-back issue gives its number
    back. No gap, no duplicate.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_number() must run inside transaction.atomic().")
    NumberSequence.objects.bulk_create([NumberSequence(series=series, year=year)], ignore_conflicts=True)
    sequence = NumberSequence.objects.select_for_update().get(series=series, year=year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return sequence.last_number
