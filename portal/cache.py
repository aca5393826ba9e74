"""The Redis cache, degrading to "nothing cached" when Redis is down (issue 18).

The cache holds only counters and conveniences, never the truth (sessions and login locks live
in the database). When Redis does not answer, reads miss, writes are dropped, `add` answers True (so
a lock taken with `add`, like allauth's rate-limit lock, is granted) and `incr` raises
`ValueError` like a missing key, so every counter of the portal (allauth's login throttle, the
unknown-name failure counter, the external order link and installation-test rate limits) fails
OPEN: pages keep working. This is deliberate: failing closed would lock every user out of the
portal for the length of a Redis outage, while the protection that matters against password
guessing, the lock of a login after LOGIN_LOCK_AFTER failures (ACC-3), is a database field and
keeps working. Each failure is logged as a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

DOWN = (RedisConnectionError, RedisTimeoutError)


def _degrading(name: str, fallback: Callable[..., Any]) -> Callable[..., Any]:
    def method(self: RedisCache, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(super(DegradingRedisCache, self), name)(*args, **kwargs)
        except DOWN as exc:
            logger.warning("Redis cache unavailable (%s): %s degraded (fails open).", exc, name)
            return fallback(*args, **kwargs)

    method.__name__ = name
    return method


def _missing_key(*args: Any, **kwargs: Any) -> Any:
    raise ValueError("Key not found: the cache is unavailable.")


def _default(key: str, default: Any = None, *args: Any, **kwargs: Any) -> Any:
    return default


class DegradingRedisCache(RedisCache):
    """Django's RedisCache whose operations answer "not cached" instead of raising when Redis
    is unreachable (see the module's docstring for why the portal fails open)."""

    get = _degrading("get", _default)
    get_many = _degrading("get_many", lambda *a, **k: {})
    has_key = _degrading("has_key", lambda *a, **k: False)
    add = _degrading("add", lambda *a, **k: True)
    set = _degrading("set", lambda *a, **k: None)
    set_many = _degrading("set_many", lambda keys, *a, **k: list(keys))
    touch = _degrading("touch", lambda *a, **k: False)
    delete = _degrading("delete", lambda *a, **k: False)
    delete_many = _degrading("delete_many", lambda *a, **k: None)
    incr = _degrading("incr", _missing_key)
    decr = _degrading("decr", _missing_key)
    clear = _degrading("clear", lambda *a, **k: False)
