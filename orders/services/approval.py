"""Approval mode (ORD-5, ADM-5): orders placed by non-approvers wait for an approver.

The ordering code puts such orders in "awaiting approval" (`ordering.initial_status`) and calls
`notify_approvers(order)` once the order is saved; orders from an external order link do the same.
An approver then approves (`approve_order`) or cancels with a reason (`actions.cancel_order`).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.audit import log_action
from accounts.mail import send_mail_on_commit
from accounts.models import Account, Right, User
from billing.services.ledger import InsufficientBalance

from ..models import Order, OrderOrigin, OrderStatus
from .lifecycle import IllegalTransition, lock_order, move
from .payment import PREPAID_METHODS, PaymentPlan, record_shortfall, settle

S = OrderStatus


def status_url(order: Order) -> str:
    # Not imported from .ordering: ordering's submit_order calls notify_approvers (no import cycle).
    return settings.SITE_URL + reverse("orders:detail", args=[order.reference])


def approvers(account: Account) -> QuerySet[User]:
    """ADM-5: the account's active people holding the Approval right (the super user holds every right)."""
    return (
        User.objects.filter(account=account, is_active=True, is_api_user=False)
        .filter(Q(right_approval=True) | Q(is_account_superuser=True))
        .exclude(email="")
        .order_by("pk")
    )


def pending_orders(account: Account) -> QuerySet[Order]:
    """LIST-3: the account's orders awaiting approval, oldest first, ready for a list."""
    return (
        Order.objects.filter(account=account, status=S.AWAITING_APPROVAL)
        .select_related("product__brand", "created_by", "external_link", "admin_contact")
        .order_by("created_at", "pk")
    )


def pending_count(account: Account) -> int:
    """NAV-2: the "Awaiting approval" badge (one query)."""
    return Order.objects.filter(account=account, status=S.AWAITING_APPROVAL).count()


def badge_counts(account: Account) -> dict[str, int]:
    """NAV-2: {url name: count} for the menu, as billing.menu.badge_counts gives its own."""
    return {"orders:approval": pending_count(account)}


def orderer_name(order: Order) -> str:
    """Who placed the order: the user, or the external link it came through."""
    if order.created_by is not None:
        return order.created_by.get_full_name() or order.created_by.username
    if order.origin == OrderOrigin.EXTERNAL_LINK and order.external_link is not None:
        return _("External order link “%(label)s” (%(name)s)") % {
            "label": order.external_link.label,
            "name": order.admin_contact.full_name,
        }
    return order.admin_contact.full_name


def notify_approvers(order: Order) -> int:
    """ORD-5: email each approver of the order's account that an order awaits their approval.

    Call it right after saving an order in "awaiting approval" (inside the same transaction: the
    emails leave on commit). Returns the number of approvers emailed; an order in another status
    emails nobody.
    """
    if order.status != S.AWAITING_APPROVAL:
        return 0
    approval_url = settings.SITE_URL + reverse("orders:approval")
    count = 0
    for approver in approvers(order.account):
        language = approver.language or order.account.language
        with translation.override(language):
            context = {
                "reference": order.reference,
                "product": str(order.product),
                "common_name": order.common_name,
                "names": order.all_names,
                "price_excl_vat": str(order.price_excl_vat),
                "ordered_by": orderer_name(order),
                "approver_name": approver.get_full_name() or approver.username,
                "status_url": status_url(order),
                "approval_url": approval_url,
            }
        send_mail_on_commit(
            "order_approval_request", [approver.email], context, language, account=order.account
        )
        count += 1
    return count


def status_after_approval(order: Order) -> str:
    """ORD-5: where an approved order goes on, as if an approver had placed it.

    With the payment chosen at order time (ORD-9), where that payment starts it (tokens, balance
    and monthly charge: under verification; a quote: quote; card, cheque, transfer: awaiting
    payment). Without one, an account paying monthly (one invoice for the previous month's
    orders, guide 2.4) is processed before it pays: "processing, awaiting payment"; every other
    account pays first.
    """
    plan = PaymentPlan.from_options((order.options or {}).get("payment"))
    if plan is not None:
        return plan.initial_status()
    if order.account.formula == Account.Formula.MONTHLY:
        return S.PROCESSING_AWAITING_PAYMENT
    return S.AWAITING_PAYMENT


def approval_refusal(order: Order) -> str | None:
    """ORD-5: why an approver can no longer approve or refuse the order (None while it awaits
    approval): already approved, or gone on otherwise (cancelled meanwhile). The approval pages and
    the API say the same."""
    if order.status == S.AWAITING_APPROVAL:
        return None
    if order.approved_at is not None:
        return _("Order %(reference)s is already approved.") % {"reference": order.reference}
    return _("Order %(reference)s no longer awaits approval: it is “%(status)s”.") % {
        "reference": order.reference,
        "status": S(order.status).label,
    }


def approve_order(order: Order, *, user: User, request: HttpRequest | None = None) -> Order:
    """ORD-5: an approver lets the order go on; audited as "order.approved"; the orderer is emailed.

    Approving an order already approved returns it unchanged; an order that no longer awaits
    approval (cancelled meanwhile) is refused with IllegalTransition.
    """
    if user.account_id != order.account_id or not user.has_right(Right.APPROVAL):
        raise PermissionDenied
    with transaction.atomic():
        locked = lock_order(order)
        if locked.status != S.AWAITING_APPROVAL:
            if locked.approved_at is not None:
                return locked
            raise IllegalTransition(
                locked,
                message=_("Order %(reference)s no longer awaits approval: it is “%(status)s”.")
                % {"reference": locked.reference, "status": S(locked.status).label},
            )
        locked.approved_by = user
        locked.approved_at = timezone.now()
        locked.save(update_fields=["approved_by", "approved_at"])
        plan = PaymentPlan.from_options((locked.options or {}).get("payment"))
        if plan is None:
            move(locked, status_after_approval(locked), user=user, request=request, note=_("Approved"))
        else:
            _settle_approved(locked, plan, user=user, request=request)
        log_action("order.approved", obj=locked, user=user, request=request, status=locked.status)
        send_approved_email(locked, user)
    return locked


def _settle_approved(
    locked: Order, plan: PaymentPlan, *, user: User, request: HttpRequest | None = None
) -> None:
    """ORD-9 after ORD-5: book the payment chosen at order time, as `submit_order` does for an order
    placed without approval (same `settle`, under the order's lock then the billing profile's).

    Tokens and balance are debited now; when they no longer cover the order it waits for payment
    and says so (`record_shortfall`): the status page offers the top-up and the payment (LEDG-4).
    """
    prepaid = plan.method in PREPAID_METHODS and not plan.free
    start = S.AWAITING_PAYMENT if prepaid else plan.initial_status()
    move(locked, start, user=user, request=request, note=_("Approved"))
    try:
        with transaction.atomic():
            settle(locked, plan, user=user, request=request)
    except InsufficientBalance as shortfall:
        locked.refresh_from_db()
        record_shortfall(locked, plan, shortfall, user=user, request=request)


def send_approved_email(order: Order, approver: User) -> None:
    """ORD-5: the person who placed the order, or for an order without a user (an external link) its
    technical contact, who has no access to the status page."""
    page = ""
    if order.created_by is not None and order.created_by.email:
        to, name = order.created_by.email, order.created_by.get_full_name() or order.created_by.username
        language = order.created_by.language or order.account.language
        page = status_url(order)
    else:
        to, name, language = (
            order.technical_contact.email,
            order.technical_contact.full_name,
            order.account.language,
        )
    with translation.override(language):
        context = {
            "reference": order.reference,
            "common_name": order.common_name,
            "product": str(order.product),
            "name": name,
            "approver_name": approver.get_full_name() or approver.username,
            "status": str(S(order.status).label),
            "status_help": str(order.status_help),
            "status_url": page,
        }
    send_mail_on_commit("order_approved", [to], context, language, account=order.account)
