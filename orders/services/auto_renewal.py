"""ORD-14 / JOBS-2: automatic renewal of a subscription (a new paid term).

Per server certificate order (not PositiveSSL, not an imported certificate), switched on or off on
the status page or on a selection in the automatic-renewal list. The renewal is filed
`RenewalSettings.auto_renewal_days` (65 by default) before the end (`renewal.renewal_end`); a
date already passed files on the next daily run (within 24 hours). Filed 60 to 90 days before the
end, the early-renewal discount (`EARLY_RENEWAL_RATE`) lowers a price paid in euros.

The renewal is identical (product, period, names, contacts, CSR, options), placed in the name of
the account's super user through `ordering.submit_order` and paid by the account's formula
(`formula_method`): tokens, the euro balance or the monthly invoice; a Rebate account without
tokens gets an invoice (direct debit with a mandate, else transfer). When the formula cannot pay
(no token, balance too low), nothing is ordered, the filing is kept as "payment failed" with the
reason, the contacts get a clear email, and the next day's run tries again.

Never twice: the source order's row is locked while filing and `AutoRenewalFiling` is unique per
(order, term end); the submission token is derived from both too. The renewal inherits the
automatic renewal, so the delivered renewal is enrolled again. "Do not renew" blocks it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from accounts.audit import log_action
from accounts.mail import send_mail_on_commit
from accounts.models import Account, Right, User
from billing.services.coupons import CouponError
from billing.services.ledger import InsufficientBalance
from billing.services.promos import PromoCodeError
from catalog.models import SERVER_TYPES
from jobs.recorder import Outcome

from ..models import CLOSED, DELIVERED, AutoRenewalFiling, Order, OrderOrigin, RenewalSettings
from ..robot_models import DEFAULT_AUTO_RENEWAL_DAYS
from .lifecycle import lock_order
from .ordering import OrderError, status_url, submit_order
from .payment import Method, PaymentError, PaymentPlan, _refusal, offer
from .pricing import order_price
from .renewal import renewal_end, with_renewal_data

if TYPE_CHECKING:
    from .renewal import RenewalOrder

EXCLUDED_BRANDS = frozenset({"positivessl"})
EARLY_WINDOW = (60, 90)  # days before the end, both included
EARLY_RENEWAL_RATE = Decimal("5.00")  # percent off a price paid in euros
MAX_DAYS = 90
BATCH = 500


@dataclass(frozen=True)
class FilingResult:
    order: Order
    filing: AutoRenewalFiling | None
    created: bool


def refusal(order: Order) -> str | None:
    """Why automatic renewal cannot be switched on for `order`, or None."""
    if order.product.product_type not in SERVER_TYPES:
        return _("Automatic renewal is offered for server certificates only.")
    if order.product.brand.code in EXCLUDED_BRANDS:
        return _("%(brand)s certificates cannot be renewed automatically.") % {
            "brand": order.product.brand.name
        }
    if order.origin == OrderOrigin.IMPORT:
        return _("An imported certificate cannot be renewed automatically: order it from us first.")
    if order.status in CLOSED:
        return _("A cancelled order cannot be renewed.")
    if order.do_not_renew:
        return _("This order is marked “do not renew”: remove that mark first.")
    return None


def days_before(account: Account) -> int:
    settings_row = RenewalSettings.objects.filter(account=account).first()
    return settings_row.auto_renewal_days if settings_row else DEFAULT_AUTO_RENEWAL_DAYS


def filing_date(order: Order, days: int | None = None) -> date | None:
    """ORD-14: the local date the renewal will be filed, or None while the order has no end."""
    end = renewal_end(order)
    if end is None:
        return None
    return timezone.localdate(end) - timedelta(days=days if days is not None else days_before(order.account))


def set_auto_renew(
    orders: list[Order], enabled: bool, *, user: User, request: HttpRequest | None = None
) -> tuple[int, list[str]]:
    """Switch automatic renewal on or off for the given orders of the user's account.

    Returns (how many changed, refusals as "REFERENCE: reason"). Each change is audited.
    """
    changed, refused = 0, []
    for order in orders:
        if enabled:
            reason = refusal(order)
            if reason:
                refused.append(f"{order.reference}: {reason}")
                continue
        with transaction.atomic():
            locked = lock_order(order)
            if locked.auto_renew == enabled:
                continue
            locked.auto_renew = enabled
            locked.save(update_fields=["auto_renew"])
            log_action("order.auto_renewal_changed", obj=locked, user=user, request=request, enabled=enabled)
            order.auto_renew = enabled
            changed += 1
    return changed, refused


def set_do_not_renew(
    order: Order, do_not_renew: bool, *, user: User, request: HttpRequest | None = None
) -> bool:
    """ORD-14 "do not renew": the automatic renewal and the expiry reminders leave the order alone.

    Returns whether it changed; each change is audited."""
    with transaction.atomic():
        locked = lock_order(order)
        if locked.do_not_renew == do_not_renew:
            return False
        locked.do_not_renew = do_not_renew
        locked.save(update_fields=["do_not_renew"])
        log_action(
            "order.do_not_renew_changed", obj=locked, user=user, request=request, do_not_renew=do_not_renew
        )
    order.do_not_renew = do_not_renew
    return True


def candidates(account: Account | None = None) -> QuerySet[RenewalOrder]:
    """Orders on automatic renewal that may be filed: delivered, not "do not renew", eligible product,
    no open renewal. Annotated with `renewal_end` (renewal.with_renewal_data)."""
    open_renewal = Order.objects.filter(source_order=OuterRef("pk"), origin=OrderOrigin.RENEWAL).exclude(
        status__in=CLOSED
    )
    orders = (
        Order.objects.filter(
            auto_renew=True,
            do_not_renew=False,
            status__in=DELIVERED,
            product__product_type__in=SERVER_TYPES,
        )
        .exclude(product__brand__code__in=EXCLUDED_BRANDS)
        .exclude(origin=OrderOrigin.IMPORT)
    )
    if account is not None:
        orders = orders.filter(account=account)
    return with_renewal_data(orders.filter(~Exists(open_renewal)))


def due_orders(now: datetime) -> QuerySet[RenewalOrder]:
    """Set-based selection: candidates whose end falls within MAX_DAYS (the widest setting); the
    exact per-account day is checked on this bounded set."""
    return (
        candidates()
        .filter(renewal_end__isnull=False, renewal_end__lte=now + timedelta(days=MAX_DAYS))
        .select_related("account", "product__brand")
        .order_by("renewal_end", "pk")
    )


def file_due(now: datetime | None = None) -> Outcome:
    """JOBS-2: file every renewal due today; idempotent, safe with two workers at once."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    filed = failed = skipped = 0
    with scopes_disabled():
        days = dict(RenewalSettings.objects.values_list("account_id", "auto_renewal_days"))
        for order in due_orders(now).iterator(chunk_size=BATCH):
            end = order.renewal_end
            if end is None:  # due_orders keeps only orders with an end
                continue
            if (
                timezone.localdate(end)
                - timedelta(days=days.get(order.account_id, DEFAULT_AUTO_RENEWAL_DAYS))
                > today
            ):
                continue
            if timezone.localdate(end) + timedelta(days=30) < today:
                continue  # ORD-10: past the renewal window; a new order is needed
            outcome = file_one(order, end, now)
            if outcome == "filed":
                filed += 1
            elif outcome == "failed":
                failed += 1
            else:
                skipped += 1
    return Outcome(
        done=filed, errors=failed, details={"filed": filed, "payment_failed": failed, "skipped": skipped}
    )


def formula_method(account: Account, methods: list[str]) -> str | None:
    """The payment method of the account's formula for an automatic renewal, or None if unavailable."""
    by_formula: dict[str, list[Method]] = {
        Account.Formula.BULK: [Method.TOKENS],
        Account.Formula.CURRENT: [Method.BALANCE],
        Account.Formula.MONTHLY: [Method.MONTHLY],
        Account.Formula.REBATE: [Method.TOKENS, Method.DIRECT_DEBIT, Method.TRANSFER],
    }
    wanted = by_formula.get(account.formula, [Method.TRANSFER])
    for method in wanted:
        if method in methods:
            return str(method)
    return None


def _needed_method(account: Account) -> str:
    needed: dict[str, str] = {
        Account.Formula.BULK: Method.TOKENS,
        Account.Formula.CURRENT: Method.BALANCE,
        Account.Formula.MONTHLY: Method.MONTHLY,
    }
    return needed.get(account.formula, Method.TRANSFER)


def early_discount(end: datetime, now: datetime, amount: Decimal) -> Decimal:
    """ORD-14: the early-renewal promo when filed 60 to 90 days before the end."""
    days = (timezone.localdate(end) - timezone.localdate(now)).days
    if EARLY_WINDOW[0] <= days <= EARLY_WINDOW[1]:
        return (amount * EARLY_RENEWAL_RATE / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return Decimal("0.00")


def _plan(order: Order, end: datetime, now: datetime) -> tuple[PaymentPlan, Decimal]:
    account, product, months = order.account, order.product, order.period_months
    total = order_price(product, months, order.common_name, list(order.sans), order.options)
    current = offer(account, product, months, total)
    method = formula_method(account, current.methods)
    if method is None:
        raise PaymentError(_refusal(_needed_method(account), current))
    price = (
        current.formula_price
        if method in (Method.TOKENS, Method.BALANCE, Method.MONTHLY)
        else current.public_price
    )
    discount = Decimal("0.00") if method == Method.TOKENS else early_discount(end, now, price)
    if (
        method == Method.BALANCE
        and current.euro_balance is not None
        and current.euro_balance < price - discount
    ):
        raise PaymentError(_refusal(Method.BALANCE, current))
    return PaymentPlan(method=method, price=price - discount, total_excl_vat=price - discount), discount


def _owner(account: Account) -> User | None:
    return User.objects.filter(account=account, is_account_superuser=True, is_active=True).first()


def file_one(order: Order, end: datetime, now: datetime) -> str:
    """File the renewal of `order` for the term ending `end`: "filed", "failed" or "skipped"."""
    today = timezone.localdate(now)
    try:
        with transaction.atomic():
            locked = lock_order(order)
            if not locked.auto_renew or locked.do_not_renew or refusal(locked):
                return "skipped"
            filing = AutoRenewalFiling.objects.filter(source_order=locked, term_end=end).first()
            if filing is not None and (
                filing.status == AutoRenewalFiling.Status.FILED or filing.last_attempt_on >= today
            ):
                return "skipped"
            owner = _owner(locked.account)
            try:
                if owner is None:
                    raise OrderError(
                        _("The account has no active super user to place the order in the name of.")
                    )
                plan, discount = _plan(locked, end, now)
                with transaction.atomic():
                    renewal = submit_order(
                        account=locked.account,
                        user=owner,
                        product=locked.product,
                        period_months=locked.period_months,
                        organisation=locked.organisation,
                        admin_contact=locked.admin_contact,
                        technical_contact=locked.technical_contact,
                        legal_representative=locked.legal_representative,
                        common_name=locked.common_name,
                        sans=list(locked.sans),
                        csr=locked.csr,
                        server_software=locked.server_software,
                        server_software_other=locked.server_software_other,
                        dcv_method=locked.dcv_method,
                        customer_reference=locked.customer_reference,
                        submission_token=f"auto-renewal-{locked.pk}-{end:%Y%m%d%H%M%S}",
                        options={
                            **{k: v for k, v in (locked.options or {}).items() if k != "payment"},
                            "auto_renewal": {"early_discount": str(discount)},
                        },
                        origin=OrderOrigin.RENEWAL,
                        source_order=locked,
                        payment=plan,
                    )
                    Order.objects.filter(pk=renewal.pk).update(auto_renew=True)
            except (PaymentError, InsufficientBalance, OrderError, CouponError, PromoCodeError) as error:
                message = str(getattr(error, "message", None) or (error.args[0] if error.args else error))
                _record(locked, end, filing, AutoRenewalFiling.Status.FAILED, today, error=message)
                log_action("order.auto_renewal_failed", obj=locked, user=None, reason=message)
                _email_failed(locked, message)
                return "failed"
            _record(
                locked, end, filing, AutoRenewalFiling.Status.FILED, today, renewal=renewal, discount=discount
            )
            log_action(
                "order.auto_renewal_filed",
                obj=locked,
                user=None,
                renewal=renewal.reference,
                method=plan.method,
            )
            return "filed"
    except IntegrityError:
        return "skipped"  # another worker filed it at the same moment: the unique constraint settled it


def _record(
    order: Order,
    end: datetime,
    filing: AutoRenewalFiling | None,
    status: str,
    today: date,
    *,
    error: str = "",
    renewal: Order | None = None,
    discount: Decimal | None = None,
) -> None:
    if filing is None:
        AutoRenewalFiling.objects.create(
            account_id=order.account_id,
            source_order=order,
            term_end=end,
            status=status,
            error=error[:2000],
            renewal_order=renewal,
            last_attempt_on=today,
            early_discount=discount or Decimal("0.00"),
        )
        return
    filing.status, filing.error, filing.renewal_order = status, error[:2000], renewal
    filing.attempts += 1
    filing.last_attempt_on = today
    filing.early_discount = discount or Decimal("0.00")
    filing.save(
        update_fields=["status", "error", "renewal_order", "attempts", "last_attempt_on", "early_discount"]
    )


def _recipients(order: Order) -> list[str]:
    emails = [order.technical_contact.email]
    if order.admin_contact.email not in emails:
        emails.append(order.admin_contact.email)
    return emails


def _email_failed(order: Order, reason: str) -> None:
    """ORD-14: the payment of the automatic renewal failed: say why and what to do."""
    language = order.account.language
    with translation.override(language):
        context = {
            "reference": order.reference,
            "common_name": order.common_name,
            "product": str(order.product),
            "reason": reason,
            "status_url": status_url(order),
            "contact_name": order.technical_contact.full_name,
        }
    send_mail_on_commit("auto_renewal_failed", _recipients(order), context, language, account=order.account)


def upcoming(account: Account) -> QuerySet[RenewalOrder]:
    """The account's orders on automatic renewal, with their end, soonest first (the list page)."""
    return (
        with_renewal_data(Order.objects.filter(account=account, status__in=DELIVERED))
        .select_related("product__brand")
        .order_by("renewal_end", "pk")
    )


def auto_renewal_panel(user: User, order: Order) -> dict | None:
    """ORD-14 on the status page: "Automatic" with the filing date, or why not, and the toggle."""
    if order.status not in DELIVERED or order.product.product_type not in SERVER_TYPES:
        return None
    last_failure = (
        order.auto_renewal_filings.filter(status=AutoRenewalFiling.Status.FAILED)
        .order_by("-created_at")
        .first()
        if order.auto_renew
        else None
    )
    return {
        "refusal": refusal(order),
        "filing": filing_date(order) if order.auto_renew else None,
        "last_failure": last_failure,
        "can_change": user.has_right(Right.TECHNICAL),
    }
