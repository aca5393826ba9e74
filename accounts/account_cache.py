"""Figures of an account kept in the cache between requests (issue 17: a page costs the same at
100,000 orders as at 1,000).

The menu badges (NAV-2), the home page's counts and selections (NAV-3) and the list's certificate
counts (LIST-1) would otherwise be recounted over the whole account on every request. Each is
computed once, kept per account under one cache entry, and dropped:

- when the services change what it counts: saving or deleting an order, a certificate, an
  invoice or quote, a token movement or a reissue recommendation drops its account's figures
  (signals of orders and billing), again after the commit so a reader between the write and the
  commit cannot keep the old numbers; set-based jobs (`mark_expired`, `revoke_scheduled`, the
  reissue list rebuild) drop every account's figures at once (`forget_all`);
- after `TTL` seconds at most, for what moves with time alone (a quote's expiry, the renewal
  window, "expiring within 30 days").

The cache is the portal's Redis cache, which fails open (portal/cache.py): with Redis down every
request computes its figures again, as it did before this cache existed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")

TTL = 300  # seconds: the longest a figure that moves with time alone is kept
_GENERATION_KEY = "account-cache:generation"


def _key(account_id: int) -> str:
    generation = cache.get_or_set(_GENERATION_KEY, 0, None)
    return f"account-cache:{generation}:{account_id}"


def cached(account_id: int, name: str, compute: Callable[[], T], ttl: int = TTL) -> T:
    """The account's figure `name`: from the cache when kept and younger than `ttl`, else computed
    by `compute()` and kept."""
    key = _key(account_id)
    figures: dict[str, tuple[float, Any]] = cache.get(key) or {}
    now = time.time()
    kept = figures.get(name)
    if kept is not None and kept[0] > now:
        return kept[1]
    value = compute()
    figures = {n: v for n, v in figures.items() if v[0] > now}
    figures[name] = (now + ttl, value)
    cache.set(key, figures, max(ttl, TTL))
    return value


def forget(*account_ids: int) -> None:
    """Drop the figures of these accounts now and again after the current transaction commits."""
    keys = [_key(pk) for pk in set(account_ids) if pk is not None]
    if not keys:
        return
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


def forget_all() -> None:
    """Drop the figures of every account (a set-based job changed rows of many accounts)."""
    try:
        cache.incr(_GENERATION_KEY)
    except ValueError:
        cache.set(_GENERATION_KEY, 1, None)
