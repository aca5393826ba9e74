"""Billing models: the per-account profile, the append-only ledgers (LEDG-2) and the documents
(ACCT-1, PLAT-4) with their gapless number sequences."""

from .base import AppendOnlyError
from .documents import (
    SERIES,
    Document,
    DocumentKind,
    DocumentLine,
    DocumentStatus,
    ImmutableDocumentError,
    NumberSequence,
)
from .ledger import BillingProfile, EuroMovement, MovementKind, PaymentMode, TokenMovement

__all__ = [
    "SERIES",
    "AppendOnlyError",
    "BillingProfile",
    "Document",
    "DocumentKind",
    "DocumentLine",
    "DocumentStatus",
    "EuroMovement",
    "ImmutableDocumentError",
    "MovementKind",
    "NumberSequence",
    "PaymentMode",
    "TokenMovement",
]
