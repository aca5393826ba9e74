"""The http-01 answers of the upstream ACME connector (RFC 8555 8.3, AUTO-4 [beyond]).

The DCV the portal did does not transfer to an outside CA: it validates the names itself. The
connector publishes each challenge's key authorization here and the portal serves it at
`/.well-known/acme-challenge/<token>` (orders.views.acme_challenge); a customer's web server
redirects that path to the portal (an outside CA follows redirects, RFC 8555 8.3), or the name
points at the portal. The answers live in the shared cache (Redis), not the database: the worker
publishes them inside its task's transaction, which the web process could not read before the
commit. They expire on their own after `TTL` seconds.
"""

from __future__ import annotations

import re

from django.core.cache import cache

TTL = 15 * 60
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,128}$")  # RFC 8555 8.1: base64url, at least 128 bits


def _key(token: str) -> str:
    return f"upstream-http01:{token}"


def publish(token: str, key_authorization: str) -> None:
    if not TOKEN.match(token):
        raise ValueError("not an ACME challenge token")
    cache.set(_key(token), key_authorization, TTL)


def withdraw(token: str) -> None:
    cache.delete(_key(token))


def key_authorization(token: str) -> str | None:
    """The answer published for `token`, or None (unknown, expired, or not a token)."""
    if not TOKEN.match(token):
        return None
    value = cache.get(_key(token))
    return value if isinstance(value, str) else None
