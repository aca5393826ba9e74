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

Within one request (`RequestMemoMiddleware`), each account's figures are read from Redis once,
with the generation in the same round trip, and then kept in memory: a page asks for 5 to 10
figures (menu badges, home blocks, counts), which were 2 Redis round trips each (issue 17, load). A `forget` in the request
empties this memory too. Outside a request (tasks, jobs, shell) every call reads Redis.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.http.response import HttpResponseBase

T = TypeVar("T")

TTL = 300  # seconds: the longest a figure that moves with time alone is kept
_GENERATION_KEY = "account-cache:generation"


# The request's memory of what it read from the cache (None outside a request).
_memo: ContextVar[dict[str, Any] | None] = ContextVar("account_cache_memo", default=None)


class RequestMemoMiddleware:
    """Keeps what the request read from the account cache for the rest of the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        token = _memo.set({})
        try:
            return self.get_response(request)
        finally:
            _memo.reset(token)


def _forget_memo() -> None:
    memo = _memo.get()
    if memo is not None:
        memo.clear()


def _key(account_id: int) -> str:
    return f"account-cache:{account_id}"


def _read(key: str) -> tuple[int, dict[str, tuple[float, Any]]]:
    """(generation, figures) of one account's entry: the generation and the entry in one round
    trip (issue 17, load). Figures kept under an older generation count as none. A generation
    missing from the cache (never set, evicted, Redis emptied) is started afresh from the clock,
    so that no entry written before can match it."""
    memo = _memo.get()
    if memo is not None and key in memo:
        kept: tuple[int, dict[str, tuple[float, Any]]] = memo[key]
        return kept
    found = cache.get_many([_GENERATION_KEY, key])
    generation = found.get(_GENERATION_KEY)
    if generation is None:
        cache.add(_GENERATION_KEY, time.time_ns(), None)
        generation = cache.get(_GENERATION_KEY)
    stored = found.get(key)
    figures = stored[1] if generation is not None and stored and stored[0] == generation else {}
    read = (generation, figures)
    if memo is not None and generation is not None:
        memo[key] = read
    return read


def cached(account_id: int, name: str, compute: Callable[[], T], ttl: int = TTL) -> T:
    """The account's figure `name`: from the cache when kept and younger than `ttl`, else computed
    by `compute()` and kept."""
    key = _key(account_id)
    generation, figures = _read(key)
    now = time.time()
    kept = figures.get(name)
    if kept is not None and kept[0] > now:
        return kept[1]
    value = compute()
    if generation is None:  # the cache is not answering: nothing to keep
        return value
    figures = {n: v for n, v in figures.items() if v[0] > now}
    figures[name] = (now + ttl, value)
    cache.set(key, (generation, figures), max(ttl, TTL))
    memo = _memo.get()
    if memo is not None:
        memo[key] = (generation, figures)
    return value


def forget(*account_ids: int) -> None:
    """Drop the figures of these accounts now and again after the current transaction commits."""
    keys = [_key(pk) for pk in set(account_ids) if pk is not None]
    if not keys:
        return
    _forget_memo()
    cache.delete_many(keys)

    def after_commit() -> None:
        _forget_memo()
        cache.delete_many(keys)

    transaction.on_commit(after_commit)


def forget_all() -> None:
    """Drop the figures of every account (a set-based job changed rows of many accounts)."""
    _forget_memo()
    try:
        cache.incr(_GENERATION_KEY)
    except ValueError:  # no generation yet: a fresh one matches no entry written before
        cache.set(_GENERATION_KEY, time.time_ns(), None)
