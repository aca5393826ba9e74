"""Issue 17 (load): within one request the account's cached figures are read from the cache once
(`RequestMemoMiddleware`); a `forget` in the request is seen at once; outside a request every
call reads the cache, so another process's change is seen."""

from __future__ import annotations

import functools
from typing import Any

import pytest
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from accounts import account_cache


class CountingCache:
    """Counts the reads of the real cache."""

    def __init__(self) -> None:
        self.reads = 0

    def get(self, *args: Any, **kwargs: Any) -> Any:
        self.reads += 1
        return cache.get(*args, **kwargs)

    def get_or_set(self, *args: Any, **kwargs: Any) -> Any:
        self.reads += 1
        return cache.get_or_set(*args, **kwargs)

    def get_many(self, *args: Any, **kwargs: Any) -> Any:
        self.reads += 1
        return cache.get_many(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(cache, name)


@pytest.fixture
def counting(monkeypatch):
    counter = CountingCache()
    monkeypatch.setattr(account_cache, "cache", counter)
    account_cache.forget_all()
    return counter


def in_request(view):
    middleware = account_cache.RequestMemoMiddleware(view)
    return middleware(RequestFactory().get("/"))


def test_a_request_reads_the_cache_once_per_account(counting):
    computed: list[str] = []

    def compute(name: str) -> str:
        computed.append(name)
        return name

    def view(request: HttpRequest) -> HttpResponse:
        for name in ("a", "b", "c", "a", "b", "c"):
            account_cache.cached(41, name, functools.partial(compute, name))
        return HttpResponse()

    in_request(view)
    assert computed == ["a", "b", "c"]  # each computed once, then kept
    counting.reads = 0
    in_request(view)
    assert computed == ["a", "b", "c"]  # the next request finds them in the cache
    assert counting.reads == 1  # the generation and the account's figures, in one round trip
    # Outside a request, every call reads the cache again.
    counting.reads = 0
    for name in ("a", "b", "c"):
        account_cache.cached(41, name, lambda: "x")
    assert counting.reads == 3


@pytest.mark.django_db
def test_forget_within_the_request_is_seen_at_once(counting):
    values = iter(range(100))
    seen: list[int] = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(account_cache.cached(42, "n", lambda: next(values)))
        seen.append(account_cache.cached(42, "n", lambda: next(values)))
        account_cache.forget(42)
        seen.append(account_cache.cached(42, "n", lambda: next(values)))
        account_cache.forget_all()
        seen.append(account_cache.cached(42, "n", lambda: next(values)))
        return HttpResponse()

    in_request(view)
    assert seen == [0, 0, 1, 2]


def test_another_process_change_is_seen_by_the_next_request(counting):
    def view(request: HttpRequest) -> HttpResponse:
        request.META["seen"] = account_cache.cached(43, "n", lambda: "first")
        return HttpResponse(request.META["seen"])

    assert in_request(view).content == b"first"
    cache.delete(account_cache._key(43))  # as another worker's forget would
    account_cache.cached(43, "n", lambda: "second")
    assert in_request(view).content == b"second"
    assert account_cache._memo.get() is None  # nothing kept after the request


def test_a_set_based_job_drops_every_account_figures(counting):
    account_cache.cached(44, "n", lambda: "before")
    account_cache.cached(45, "n", lambda: "before")
    account_cache.forget_all()
    assert account_cache.cached(44, "n", lambda: "after") == "after"
    assert account_cache.cached(45, "n", lambda: "after") == "after"


def test_a_lost_generation_matches_no_entry_written_before(counting):
    """Redis emptied or the generation evicted: entries kept under any earlier generation count as none."""
    account_cache.cached(46, "n", lambda: "before")
    cache.delete(account_cache._GENERATION_KEY)
    assert account_cache.cached(46, "n", lambda: "after") == "after"
    assert account_cache.cached(46, "n", lambda: "again") == "after"  # kept under the new generation
