"""The top-up being prepared (LEDG-4), kept in the user's session between the cart, payment and
review pages: the token lines (product id -> tokens) or the current account amount, then the
payment choice, and a key that makes its confirmation happen once.

Only ids and plain values are stored (the session is JSON); every page reloads and re-prices
what it shows, so a price or a product changed meanwhile is never taken from the session.
"""

from __future__ import annotations

import secrets
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.sessions.backends.base import SessionBase

SESSION_KEY = "billing_topup"


def _draft(session: SessionBase) -> dict[str, Any]:
    return session.get(SESSION_KEY) or {}


def _save(session: SessionBase, draft: dict[str, Any]) -> None:
    session[SESSION_KEY] = draft
    session.modified = True


def tokens(session: SessionBase) -> dict[int, int]:
    """The token lines: {product id: tokens}."""
    lines = _draft(session).get("tokens") or {}
    return {int(product_id): int(quantity) for product_id, quantity in lines.items()}


def set_tokens(session: SessionBase, lines: dict[int, int]) -> None:
    draft = _draft(session)
    draft["tokens"] = {
        str(product_id): int(quantity) for product_id, quantity in lines.items() if quantity > 0
    }
    draft.pop("key", None)  # a changed cart is a new draft to confirm
    _save(session, draft)


def add_tokens(session: SessionBase, product_id: int, quantity: int, *, maximum: int) -> int:
    """Add tokens of a product to its line (capped at `maximum`); returns the line's tokens."""
    lines = tokens(session)
    lines[product_id] = min(lines.get(product_id, 0) + quantity, maximum)
    set_tokens(session, lines)
    return lines[product_id]


def remove_tokens(session: SessionBase, product_id: int) -> bool:
    lines = tokens(session)
    if lines.pop(product_id, None) is None:
        return False
    set_tokens(session, lines)
    return True


def euros(session: SessionBase) -> tuple[Decimal, bool] | None:
    """The current account top-up: (amount entered, entered including VAT) or None."""
    entry = _draft(session).get("euros")
    if not entry:
        return None
    try:
        return Decimal(entry["amount"]), bool(entry["includes_vat"])
    except (KeyError, InvalidOperation, TypeError):
        return None


def set_euros(session: SessionBase, amount: Decimal, includes_vat: bool) -> None:
    draft = _draft(session)
    draft["euros"] = {"amount": str(amount), "includes_vat": includes_vat}
    draft.pop("key", None)
    _save(session, draft)


def payment(session: SessionBase) -> dict[str, Any] | None:
    """{"mode", "contact" (public id or ""), "as_quote"} once the payment page was filled in."""
    return _draft(session).get("payment")


def set_payment(session: SessionBase, mode: str, contact: str, as_quote: bool) -> None:
    draft = _draft(session)
    draft["payment"] = {"mode": mode, "contact": contact, "as_quote": as_quote}
    draft.pop("key", None)
    _save(session, draft)


def draft_key(session: SessionBase) -> str:
    """The key of the draft shown on the review page; confirming it twice makes one top-up."""
    draft = _draft(session)
    if not draft.get("key"):
        draft["key"] = secrets.token_hex(16)
        _save(session, draft)
    return draft["key"]


def clear(session: SessionBase) -> None:
    session.pop(SESSION_KEY, None)
    session.modified = True
