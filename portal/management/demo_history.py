"""A year of use (PLAT-8, issue 8 point 17): the demo's orders and its billing, replayed in date order.

Invoices, quotes and credit notes are numbered without gap in one chronological sequence per series
(art. 242 nonies A of annex II to the General Tax Code; `billing.services.documents` refuses a
document dated before the last one of its series). So the demo's past is not written after the
fact: every step, an order walked through the order services (`demo_orders`, and the robots'
subscriptions of `demo_robots`) or a move of money through the billing services (below), runs in
date order inside billing's clock (`billing.clock.replaying`) set to its own date. Nothing is
written to a ledger or a document by hand.

The money side, for each account over the past twelve months: a top-up every other month (tokens
for the partner's Rebate formula, euros for the enterprise's current account) paid by transfer a
week later, the last one still awaiting payment; a top-up ordered twice by mistake and cancelled
(its invoice credited in full by a credit note); a quote the customer accepted online, then paid.
The orders add their own invoices, the pending quote of the order waiting for its purchase order,
the credit notes of refunded cancellations, and the unpaid invoices of orders delivered before
payment.

Every step is idempotent (submission tokens, top-up draft keys, services that return what exists),
so a second run changes nothing. On a database filled by an older demo, whose documents are dated
today, the back-dated steps are refused by the numbering rule and skipped: start from an empty
database for the full history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial

from django.db import transaction
from django.utils import timezone

from accounts.models import Account, User
from billing.clock import replaying
from billing.models import PaymentMode, TopUp, TopUpKind
from billing.services.documents import DocumentError
from billing.services.quotes import accept_quote
from billing.services.topups import TopUpError, cancel_topup, confirm_topup, create_topup, priced_lines
from catalog.models import Product
from orders.services import find_submitted

from .demo_accounts import DemoAccount
from .demo_orders import DEMO_ORDERS, DemoOrder, _Context, _place, order_start
from .demo_robots import ROBOT_ORDERS

DRAFT_PREFIX = "demo-history-"
TOKEN_PACK = ("tbs-x509-ssl-dv", 10)  # the partner's regular purchase
EURO_TOP_UP = Decimal("1500.00")  # the enterprise's


@dataclass(frozen=True)
class Step:
    moment: datetime
    run: Callable[[], int]  # how many demo orders it created (the summary counts them)


def _order_steps(
    demo: DemoAccount, staff: User, now: datetime, specs: list[DemoOrder], base: int, *, counted: bool = True
) -> list[Step]:
    products = {
        p.code: p for p in Product.objects.filter(code__in={s.product for s in specs}).select_related("brand")
    }
    ctx = _Context(demo, staff, products, now)
    steps = []
    for index, spec in enumerate(specs):
        if spec.product not in products:
            continue

        def run(spec: DemoOrder = spec, index: int = base + index) -> int:
            if find_submitted(demo.account, spec.token) is not None:
                return 0
            _place(ctx, spec, index)
            return int(counted)

        steps.append(Step(order_start(spec, products[spec.product], now), run))
    return steps


def _payer(demo: DemoAccount) -> User:
    """Who handles the account's money: its billing user, else its super user."""
    users = list(demo.users.values())
    return next((u for u in users if u.username.endswith("-billing")), None) or next(
        u for u in users if u.is_account_superuser
    )


def _topup(demo: DemoAccount, key: str, *, as_quote: bool = False) -> TopUp:
    account, by = demo.account, _payer(demo)
    draft_key = f"{DRAFT_PREFIX}{key}"
    existing = TopUp.objects.filter(account=account, draft_key=draft_key).first()
    if existing is not None:
        return existing
    if account.formula == Account.Formula.CURRENT:
        return create_topup(
            account,
            kind=TopUpKind.EUROS,
            euros_excl_vat=EURO_TOP_UP,
            payment_mode=PaymentMode.TRANSFER,
            billing_contact=None,
            as_quote=as_quote,
            draft_key=draft_key,
            by=by,
        )
    code, quantity = TOKEN_PACK
    product = Product.objects.get(code=code)
    return create_topup(
        account,
        kind=TopUpKind.TOKENS,
        lines=priced_lines({product.pk: quantity}),
        payment_mode=PaymentMode.TRANSFER,
        billing_contact=None,
        as_quote=as_quote,
        draft_key=draft_key,
        by=by,
    )


def _pay(demo: DemoAccount, staff: User, key: str) -> TopUp:
    return confirm_topup(_topup(demo, key), staff, payment_reference=f"VIR-{key.upper()}")


def _accept(demo: DemoAccount) -> None:
    quote = _topup(demo, "quote", as_quote=True).document
    if quote is not None:
        accept_quote(quote, _payer(demo))


def _money_steps(demo: DemoAccount, staff: User, now: datetime, first_month: int) -> list[Step]:
    steps: list[Step] = []

    def at(days_ago: float, action: Callable[[], object]) -> None:
        def run() -> int:
            action()
            return 0

        steps.append(Step(now - timedelta(days=days_ago), run))

    # A top-up every other month, paid by transfer a week later; the last one awaits its payment.
    for months_ago in range(first_month, 0, -2):
        key = f"topup-{months_ago}"
        # The last one, ten days ago, is within its 30-day payment term (not yet late).
        days_ago = months_ago * 30.4 + 3 if months_ago > 1 else 10
        at(days_ago, partial(_topup, demo, key))
        if months_ago > 1:
            at(days_ago - 7, partial(_pay, demo, staff, key))
    # Ordered twice by mistake: the second top-up is cancelled, its invoice credited in full.
    days_ago = first_month * 30.4 - 40
    at(days_ago, lambda: _topup(demo, "duplicate"))
    at(
        days_ago - 2,
        lambda: cancel_topup(_topup(demo, "duplicate"), staff, reason="Ordered twice by mistake."),
    )
    # A quote accepted online by the customer, then paid by transfer (the invoice comes then).
    days_ago = first_month * 30.4 - 130
    at(days_ago, lambda: _topup(demo, "quote", as_quote=True))
    at(days_ago - 4, partial(_accept, demo))
    at(days_ago - 12, lambda: confirm_topup(_topup(demo, "quote"), staff, payment_reference="VIR-QUOTE"))
    return steps


def ensure_history(demos: list[DemoAccount], staff: User, now: datetime | None = None) -> tuple[int, int]:
    """Replay the demo's past in date order; returns (demo orders created now, steps skipped)."""
    now = now or timezone.now()
    steps: list[Step] = []
    for position, demo in enumerate(demos):
        domain = demo.spec.domain
        steps += _order_steps(demo, staff, now, DEMO_ORDERS[domain], 0)
        # A robot subscription whose token a demo order already uses stays that order, as before.
        taken = {spec.token for spec in DEMO_ORDERS[domain]}
        robots = [spec for spec in ROBOT_ORDERS.get(domain, []) if spec.token not in taken]
        steps += _order_steps(demo, staff, now, robots, 200, counted=False)
        steps += _money_steps(demo, staff, now, 12 - position)
    steps.sort(key=lambda step: step.moment)
    created = skipped = 0
    for step in steps:
        try:
            # One step at a time: a failure leaves nothing half made, and a rerun completes the set.
            with transaction.atomic(), replaying(step.moment):
                created += step.run()
        except (DocumentError, TopUpError):
            skipped += 1  # an older demo's documents are dated later: this step cannot come first
    return created, skipped
