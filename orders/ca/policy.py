"""Validity and validation-reuse limits of publicly trusted TLS certificates (LIFE-9).

CA/Browser Forum Baseline Requirements 6.3.2 (certificate validity) and 4.2.1 (reuse of domain
validation data), as amended by ballot SC-081 "Introduce Schedule of Reducing Validity and Data
Reuse Periods". A day is 86,400 seconds and the BR count a validity period inclusively (notAfter -
notBefore + 1 second), so we issue one day under each maximum.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# (issued on or after, maximum validity days, domain validation reuse days), newest first: SC-081.
_SCHEDULE: tuple[tuple[datetime, int, int], ...] = (
    (datetime(2029, 3, 15, tzinfo=UTC), 47, 10),
    (datetime(2027, 3, 15, tzinfo=UTC), 100, 100),
    (datetime(2026, 3, 15, tzinfo=UTC), 200, 200),
)
_BEFORE_SC081 = (398, 398)


def _limits(issued_at: datetime) -> tuple[int, int]:
    moment = issued_at if issued_at.tzinfo else issued_at.replace(tzinfo=UTC)
    for start, validity_days, reuse_days in _SCHEDULE:
        if moment >= start:
            return validity_days, reuse_days
    return _BEFORE_SC081


def max_tls_validity(issued_at: datetime) -> timedelta:
    """BR 6.3.2 (ballot SC-081): the longest validity of a TLS certificate issued at `issued_at`.

    398 days before 2026-03-15, 200 from 2026-03-15, 100 from 2027-03-15, 47 from 2029-03-15.
    """
    return timedelta(days=_limits(issued_at)[0])


def default_tls_validity(issued_at: datetime) -> timedelta:
    """LIFE-9: the validity we give, one day under `max_tls_validity` (397/199/99/46 days).

    The day of margin absorbs the inclusive counting of BR 6.3.2 and a backdated notBefore.
    """
    return max_tls_validity(issued_at) - timedelta(days=1)


def dcv_reuse_days(issued_at: datetime) -> int:
    """BR 4.2.1 (ballot SC-081): how old a domain validation may be when a certificate is issued.

    398 days before 2026-03-15, 200 from 2026-03-15, 100 from 2027-03-15, 10 from 2029-03-15.
    """
    return _limits(issued_at)[1]
