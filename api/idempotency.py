"""`Idempotency-Key` on the API's creations (order, renewal): a retried request creates nothing twice.

The key binds once the creation succeeded: the same key with the same method, path and body gets
the stored answer again (with `Idempotent-Replayed: true`); with another request it is refused
with 422. The key also becomes the order's submission token (orders.services.ordering), so two
requests racing with one key place one order.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User

from .models import IdempotencyKey
from .problems import Problem

HEADER = "Idempotency-Key"
_VALID = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII, no space


def request_key(request: Request) -> str:
    """The request's key ("" without one); 400 for a key that cannot be one."""
    key = request.headers.get(HEADER)
    if key is None:
        return ""
    if not _VALID.match(key):
        raise Problem(
            400,
            "invalid-idempotency-key",
            _("The Idempotency-Key header holds 1 to 255 printable ASCII characters, without spaces."),
        )
    return key


def fingerprint(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def submission_token(account_id: int, key: str) -> str:
    """The order's submission token for a key: one per account and key, 44 characters."""
    return "api-" + hashlib.sha256(f"{account_id}:{key}".encode()).hexdigest()[:40]


def _mismatch() -> Problem:
    return Problem(
        422,
        "idempotency-key-reused",
        _("This Idempotency-Key was already used with another request. Use a new key for a new request."),
    )


def _replay(row: IdempotencyKey) -> Response:
    response = Response(row.response, status=row.status_code)
    response["Idempotent-Replayed"] = "true"
    if isinstance(row.response, dict) and row.response.get("url"):
        response["Location"] = row.response["url"]
    return response


def idempotent(request: Request, create: Callable[[str], Response]) -> Response:
    """Run `create(submission_token)` once per key; without a key, every time (token "")."""
    key = request_key(request)
    if not key:
        return create("")
    user = request.user
    assert isinstance(user, User) and user.account_id is not None
    account_id: int = user.account_id
    digest = fingerprint(request)
    row = IdempotencyKey.objects.filter(account_id=account_id, key=key).first()
    if row is not None:
        if row.request_sha256 != digest:
            raise _mismatch()
        return _replay(row)
    response = create(submission_token(account_id, key))
    if response.status_code >= 300:
        return response
    try:
        with transaction.atomic():
            IdempotencyKey.objects.create(
                account_id=account_id,
                user=user,
                key=key,
                request_sha256=digest,
                status_code=response.status_code,
                response=response.data,
            )
    except IntegrityError:
        # A request with the same key finished first: its answer stands.
        row = IdempotencyKey.objects.get(account_id=account_id, key=key)
        if row.request_sha256 != digest:
            raise _mismatch() from None
        return _replay(row)
    return response
