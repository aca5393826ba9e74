"""LIFE-8: options added to a delivered signature solution: new users priced pro rata of the days
left in the subscription, invoiced at once (billing), and counted in the order's options."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import log_action
from accounts.models import User
from billing.models import Document
from billing.services.documents import LineInput, issue_invoice
from catalog.models import ProductType

from ..models import DELIVERED, Order
from .lifecycle import IllegalTransition, lock_order, subscription_end
from .pricing import MAX_SIGNATURE_USERS, SIGNATURE_USER_PRICES

YEAR_DAYS = Decimal("365")


def accepts_options(order: Order) -> bool:
    return order.product.product_type == ProductType.SIGNATURE and order.status in DELIVERED


def prorata_price(order: Order, users: int, user_type: str, now: datetime) -> tuple[Decimal, int]:
    """The price excl. VAT of `users` more users until the subscription ends, and the days left:
    the yearly price per user × users × days left / 365, rounded half-up to the cent."""
    days_left = max(0, (subscription_end(order) - now).days)
    yearly = SIGNATURE_USER_PRICES[user_type] * users
    return (yearly * days_left / YEAR_DAYS).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), days_left


def add_signature_users(
    order: Order,
    users: int,
    user_type: str,
    *,
    user: User,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Document:
    """Add `users` users of `user_type` to a delivered signature solution and invoice them."""
    now = now or timezone.now()
    if user_type not in SIGNATURE_USER_PRICES or users < 1:
        raise IllegalTransition(order, message=_("Choose a number of users and their type."))
    with transaction.atomic():
        locked = lock_order(order)
        if not accepts_options(locked):
            raise IllegalTransition(
                locked, message=_("Options are added to a delivered signature solution only.")
            )
        options = dict(locked.options or {})
        total_users = int(options.get("users") or 0) + users
        if total_users > MAX_SIGNATURE_USERS:
            raise IllegalTransition(
                locked,
                message=_("A signature solution has at most %(max)d users.") % {"max": MAX_SIGNATURE_USERS},
            )
        price, days_left = prorata_price(locked, users, user_type, now)
        if days_left == 0:
            raise IllegalTransition(locked, message=_("The subscription has ended: renew it first."))
        description = _(
            "%(users)d additional %(kind)s signature user(s) for %(days)d days (order %(reference)s)"
        ) % {"users": users, "kind": user_type, "days": days_left, "reference": locked.reference}
        invoice = issue_invoice(
            locked.account, [LineInput(description, Decimal("1"), price)], reference=locked.reference, by=user
        )
        options["users"] = total_users
        options.setdefault("user_type", user_type)
        locked.options = options
        locked.save(update_fields=["options"])
        log_action(
            "order.options_added",
            obj=locked,
            user=user,
            request=request,
            users=users,
            user_type=user_type,
            price=str(price),
            invoice=invoice.display_number,
        )
    return invoice
