"""Token and euro balances and their movements (LEDG-1, LEDG-2).

A balance is always the sum of the account's movements. Every credit and debit runs in one
transaction holding the lock of the account's `BillingProfile` row, so two debits of the same
account never both see the same balance (STYLE.md 5): the second waits, then sees the first.
A debit never takes a balance below zero. A movement for an order or top-up reference is booked
once per kind (and product): calling again returns the first movement, so a retried task or a
double click never moves the balance twice.

Callers run inside the account's scope (django-scopes), as every account-owned query does.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import F, Sum, Window
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from accounts.audit import log_action
from accounts.models import Account, User
from catalog.models import Product

from .. import clock
from ..models import BillingProfile, Document, EuroMovement, MovementKind, TokenMovement
from ..models.ledger import CREDIT_KINDS, DEBIT_KINDS

ZERO = Decimal("0.00")


class LedgerError(ValueError):
    """A movement that cannot be booked as asked."""


class InsufficientBalance(LedgerError):  # noqa: N818 (the name the callers use)
    """LEDG-2: a debit would take the balance below zero."""

    def __init__(self, available: Any, requested: Any) -> None:
        self.available = available
        self.requested = requested
        super().__init__(
            _("Insufficient balance: %(available)s available, %(requested)s requested.")
            % {"available": available, "requested": requested}
        )


def billing_profile(account: Account) -> BillingProfile:
    """The account's billing profile, created with the defaults the first time."""
    profile, _created = BillingProfile.objects.get_or_create(account=account)
    return profile


def lock_account(account: Account) -> BillingProfile:
    """Lock the account's billing profile row until the transaction ends (serialises debits)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_account() must run inside transaction.atomic().")
    # INSERT ... ON CONFLICT DO NOTHING: two first debits of a new account both end on one row.
    BillingProfile.objects.bulk_create([BillingProfile(account=account)], ignore_conflicts=True)
    return BillingProfile.objects.select_for_update().get(account=account)


# Balances ---------------------------------------------------------------------------------------


def token_balance(account: Account, product: Product) -> int:
    """LEDG-2: the account's tokens for one product, the sum of its movements."""
    result = TokenMovement.objects.filter(account=account, product=product).aggregate(
        balance=Coalesce(Sum("quantity"), 0)
    )
    return result["balance"]


def token_balances(account: Account) -> dict[int, int]:
    """LEDG-2: {product_id: tokens} for every product the account ever had tokens of (one query)."""
    rows = (
        TokenMovement.objects.filter(account=account)
        .order_by()
        .values("product_id")
        .annotate(balance=Sum("quantity"))
        .values_list("product_id", "balance")
    )
    return dict(rows)


def euro_balance(account: Account) -> Decimal:
    """LEDG-2: the account's euro balance, the sum of its movements."""
    result = EuroMovement.objects.filter(account=account).aggregate(balance=Coalesce(Sum("amount"), ZERO))
    return result["balance"]


def euro_balance_is_low(account: Account) -> bool:
    """The euro balance is at or below the account's alert threshold."""
    threshold = (
        BillingProfile.objects.filter(account=account).values_list("alert_threshold", flat=True).first()
    )
    return euro_balance(account) <= (threshold if threshold is not None else ZERO)


def euro_statement(account: Account) -> Any:
    """LEDG-2: the euro movements, oldest first, each with `balance_after` (one query)."""
    return (
        EuroMovement.objects.filter(account=account)
        .select_related("created_by", "document")
        .annotate(balance_after=Window(Sum("amount"), order_by=F("id").asc()))
        .order_by("id")
    )


def token_statement(account: Account, product: Product | None = None) -> Any:
    """LEDG-2: token movements, oldest first, each with `balance_after` for its product (one query)."""
    movements = TokenMovement.objects.filter(account=account)
    if product is not None:
        movements = movements.filter(product=product)
    return (
        movements.select_related("product", "created_by", "document")
        .annotate(balance_after=Window(Sum("quantity"), partition_by=F("product_id"), order_by=F("id").asc()))
        .order_by("id")
    )


# Checks -----------------------------------------------------------------------------------------


def _positive_tokens(quantity: int) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise LedgerError(_("A number of tokens must be a positive whole number."))
    return quantity


def _positive_euros(amount: Any) -> Decimal:
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        raise LedgerError(_("An amount must be a number.")) from None
    if not value.is_finite() or value <= 0 or value != value.quantize(Decimal("0.01")):
        raise LedgerError(_("An amount must be positive, to the cent."))
    return value.quantize(Decimal("0.01"))


def _check_reference(reference: str) -> str:
    reference = (reference or "").strip()
    if not reference:
        raise LedgerError(_("A movement needs a reference (the order or top-up it is for, or a note)."))
    if len(reference) > 60:
        raise LedgerError(_("A reference has at most 60 characters."))
    return reference


def _already_booked(model: Any, signed_field: str, signed_value: Any, **lookup: Any) -> Any:
    """The movement already booked for this reference (idempotency), or None."""
    if lookup["kind"] == MovementKind.ADJUSTMENT:
        return None
    existing = model.objects.filter(**lookup).first()
    if existing is not None and getattr(existing, signed_field) != signed_value:
        raise LedgerError(
            _("Reference %(reference)s was already booked with a different amount.")
            % {"reference": lookup["reference"]}
        )
    return existing


# Tokens -----------------------------------------------------------------------------------------


def credit_tokens(
    account: Account,
    product: Product,
    quantity: int,
    *,
    reference: str,
    kind: str = MovementKind.TOP_UP,
    user: User | None = None,
    document: Document | None = None,
    note: str = "",
) -> TokenMovement:
    """LEDG-4: add tokens (a top-up, a refund, or a staff adjustment)."""
    quantity = _positive_tokens(quantity)
    if kind not in (*CREDIT_KINDS, MovementKind.ADJUSTMENT):
        raise LedgerError(f"{kind} is not a credit.")
    reference = _check_reference(reference)
    with transaction.atomic():
        lock_account(account)
        existing = _already_booked(
            TokenMovement,
            "quantity",
            quantity,
            account=account,
            product=product,
            kind=kind,
            reference=reference,
        )
        if existing is not None:
            return existing
        movement = TokenMovement.objects.create(
            account=account,
            product=product,
            quantity=quantity,
            kind=kind,
            reference=reference,
            document=document,
            created_by=user,
            note=note,
            created_at=clock.now(),
        )
        log_action(
            "ledger.tokens_credited",
            account=account,
            user=user,
            obj=movement,
            product=product.code,
            quantity=quantity,
            kind=kind,
            balance=token_balance(account, product),
        )
    return movement


def debit_tokens(
    account: Account,
    product: Product,
    quantity: int,
    *,
    reference: str,
    kind: str = MovementKind.CONSUMPTION,
    user: User | None = None,
    document: Document | None = None,
    note: str = "",
) -> TokenMovement:
    """LEDG-2: use tokens (an order paid with tokens); raises InsufficientBalance, never below zero."""
    quantity = _positive_tokens(quantity)
    if kind not in (*DEBIT_KINDS, MovementKind.ADJUSTMENT):
        raise LedgerError(f"{kind} is not a debit.")
    reference = _check_reference(reference)
    with transaction.atomic():
        lock_account(account)
        existing = _already_booked(
            TokenMovement,
            "quantity",
            -quantity,
            account=account,
            product=product,
            kind=kind,
            reference=reference,
        )
        if existing is not None:
            return existing
        balance = token_balance(account, product)
        if balance < quantity:
            raise InsufficientBalance(balance, quantity)
        movement = TokenMovement.objects.create(
            account=account,
            product=product,
            quantity=-quantity,
            kind=kind,
            reference=reference,
            document=document,
            created_by=user,
            note=note,
            created_at=clock.now(),
        )
        log_action(
            "ledger.tokens_debited",
            account=account,
            user=user,
            obj=movement,
            product=product.code,
            quantity=quantity,
            kind=kind,
            balance=balance - quantity,
        )
    return movement


# Euros ------------------------------------------------------------------------------------------


def credit_euros(
    account: Account,
    amount: Decimal,
    *,
    reference: str,
    kind: str = MovementKind.TOP_UP,
    user: User | None = None,
    document: Document | None = None,
    note: str = "",
) -> EuroMovement:
    """LEDG-4: credit the current account (a top-up, a refund, or a staff adjustment)."""
    amount = _positive_euros(amount)
    if kind not in (*CREDIT_KINDS, MovementKind.ADJUSTMENT):
        raise LedgerError(f"{kind} is not a credit.")
    reference = _check_reference(reference)
    with transaction.atomic():
        lock_account(account)
        existing = _already_booked(
            EuroMovement, "amount", amount, account=account, kind=kind, reference=reference
        )
        if existing is not None:
            return existing
        movement = EuroMovement.objects.create(
            account=account,
            amount=amount,
            kind=kind,
            reference=reference,
            document=document,
            created_by=user,
            note=note,
            created_at=clock.now(),
        )
        log_action(
            "ledger.euros_credited",
            account=account,
            user=user,
            obj=movement,
            amount=str(amount),
            kind=kind,
            balance=str(euro_balance(account)),
        )
    return movement


def debit_euros(
    account: Account,
    amount: Decimal,
    *,
    reference: str,
    kind: str = MovementKind.PURCHASE,
    user: User | None = None,
    document: Document | None = None,
    note: str = "",
) -> EuroMovement:
    """LEDG-1 current account: pay from the euro balance; raises InsufficientBalance, never below zero."""
    amount = _positive_euros(amount)
    if kind not in (*DEBIT_KINDS, MovementKind.ADJUSTMENT):
        raise LedgerError(f"{kind} is not a debit.")
    reference = _check_reference(reference)
    with transaction.atomic():
        lock_account(account)
        existing = _already_booked(
            EuroMovement, "amount", -amount, account=account, kind=kind, reference=reference
        )
        if existing is not None:
            return existing
        balance = euro_balance(account)
        if balance < amount:
            raise InsufficientBalance(balance, amount)
        movement = EuroMovement.objects.create(
            account=account,
            amount=-amount,
            kind=kind,
            reference=reference,
            document=document,
            created_by=user,
            note=note,
            created_at=clock.now(),
        )
        log_action(
            "ledger.euros_debited",
            account=account,
            user=user,
            obj=movement,
            amount=str(amount),
            kind=kind,
            balance=str(balance - amount),
        )
    return movement
