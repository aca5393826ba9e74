"""The demo's news and money (PLAT-8): news items, promo codes, a deposit coupon, top-ups.

Everything goes through the billing services and is idempotent: the services dedupe by reference,
and promo codes are looked up by their note before one is issued.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import Account, User
from billing.models import PromoCode
from billing.services.coupons import issue_coupon
from billing.services.ledger import credit_euros, credit_tokens
from billing.services.promos import issue_promo_code
from catalog.models import News, Product

NEWS = [
    (
        "en",
        "Certificate lifetimes shrink to 200 days",
        "Since 15 March 2026 publicly trusted TLS certificates last at most 200 days (CA/Browser Forum "
        "ballot SC-081). Your subscriptions are not affected: reissues inside them are free.",
    ),
    (
        "fr",
        "La durée des certificats passe à 200 jours",
        "Depuis le 15 mars 2026, les certificats TLS publics durent au plus 200 jours (vote SC-081 du "
        "CA/Browser Forum). Vos abonnements ne changent pas : les refabrications sont gratuites.",
    ),
    (
        "",
        "Maintenance window / Maintenance programmée",
        "Sunday 6 December, 06:00-07:00 CET / Dimanche 6 décembre, 6 h - 7 h.",
    ),
]


def ensure_news() -> None:
    for language, title, body in NEWS:
        News.objects.get_or_create(title=title, defaults={"body": body, "language": language})


def _promo(account: Account, note: str, value: Decimal, *, kind: str, days_ago: int) -> None:
    if not PromoCode.objects.filter(account=account, note=note).exists():
        issue_date = timezone.localdate() - timedelta(days=days_ago)
        issue_promo_code(account, value, origin="gesture", kind=kind, note=note, issue_date=issue_date)


def ensure_money(account: Account, staff: User) -> None:
    """Promo codes (one expiring soon), a deposit coupon, and a top-up fitting the formula."""
    _promo(account, "Demo: welcome offer", Decimal("30.00"), kind="amount", days_ago=20)
    _promo(account, "Demo: loyalty discount, expiring soon", Decimal("10"), kind="percent", days_ago=350)
    issue_coupon(
        account,
        Decimal("144.00"),
        origin_reference="DEMO-DOUBLE-PAYMENT",
        by=staff,
        note="Demo: a transfer received twice",
    )
    if account.formula == Account.Formula.CURRENT:
        credit_euros(
            account,
            Decimal("2500.00"),
            reference="DEMO-TOPUP-1",
            user=staff,
            note="Demo: initial current-account top-up",
        )
    else:
        for code, quantity in (("tbs-x509-ssl-dv", 10), ("tbs-x509-ssl-ov", 5)):
            product = Product.objects.filter(code=code).first()
            if product is not None:
                credit_tokens(
                    account,
                    product,
                    quantity,
                    reference=f"DEMO-TOKENS-{code}",
                    user=staff,
                    note="Demo: token pack",
                )
