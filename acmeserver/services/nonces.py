"""RFC 8555 6.5: anti-replay nonces, one row each, deleted when used (a replay finds none)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.utils import timezone

from ..models import AcmeNonce

NONCE_LIFETIME = timedelta(hours=1)


def new_nonce() -> str:
    value = secrets.token_urlsafe(24)
    AcmeNonce.objects.create(value=value)
    return value


def use_nonce(value: str) -> bool:
    """True once for a nonce we gave out less than NONCE_LIFETIME ago; False for a replay, an
    unknown or an old one. Old rows are swept here, so the table stays small without a job."""
    cutoff = timezone.now() - NONCE_LIFETIME
    deleted, _rows = AcmeNonce.objects.filter(value=value, created_at__gte=cutoff).delete()
    AcmeNonce.objects.filter(created_at__lt=cutoff).delete()
    return deleted == 1
