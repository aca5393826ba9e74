"""Low-balance alert emails (ADM-5, JOBS-7).

The account's alert threshold (`BillingProfile.alert_threshold`) is in euros for a Current account
and in tokens for a Bulk purchase account (per product; a fractional threshold counts its whole
part); 0 turns alerts off. When the euro balance, or a product's token balance, falls to the
threshold or below, the administrative contact is emailed once; the state is remembered in
`BalanceAlert` and resets when the balance is back above, so the next crossing alerts again.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.audit import log_action
from accounts.models import Account
from catalog.models import Product

from ..models import BalanceAlert, BillingProfile
from .ledger import euro_balance, token_balances
from .notify import mail_administrative_contact

logger = logging.getLogger(__name__)
ALERT_FORMULAS = (Account.Formula.CURRENT, Account.Formula.BULK)


def _send(account: Account, context: dict) -> bool:
    return mail_administrative_contact(
        account,
        "low_balance_alert",
        {
            "formula": account.formula,
            "url": settings.SITE_URL + reverse("account_info:statements"),
            **context,
        },
    )


def check_account(account: Account) -> bool:
    """ADM-5: compare the account's balances with its threshold; email on a new crossing. Returns
    True when an alert was sent. Runs under the alert state's row lock: two runs send one email."""
    with transaction.atomic():
        threshold = (
            BillingProfile.objects.filter(account=account).values_list("alert_threshold", flat=True).first()
        )
        BalanceAlert.objects.bulk_create([BalanceAlert(account=account)], ignore_conflicts=True)
        state = BalanceAlert.objects.select_for_update().get(account=account)
        limit = threshold if threshold is not None and threshold > 0 else None
        sent = False
        if account.formula == Account.Formula.CURRENT:
            balance = euro_balance(account)
            low = limit is not None and balance <= limit
            if low and not state.euro_low:
                sent = _send(account, {"balance": str(balance), "threshold": str(threshold), "products": []})
                log_action(
                    "billing.low_balance_alert",
                    account=account,
                    obj=state,
                    balance=str(balance),
                    threshold=str(threshold),
                    emailed=sent,
                )
            state.euro_low = low
        elif account.formula == Account.Formula.BULK:
            tokens = int(limit) if limit is not None else 0
            balances = token_balances(account)
            low_ids = {pid for pid, balance in balances.items() if tokens > 0 and balance <= tokens}
            products = {p.pk: p for p in Product.objects.filter(pk__in=low_ids)}
            low_codes = sorted(products[pid].code for pid in low_ids)
            if set(low_codes) - set(state.low_products):
                rows = [
                    {"code": products[pid].code, "name": products[pid].name, "balance": balances[pid]}
                    for pid in sorted(low_ids, key=lambda pid: products[pid].name)
                ]
                sent = _send(account, {"balance": "", "threshold": str(tokens), "products": rows})
                log_action(
                    "billing.low_balance_alert",
                    account=account,
                    obj=state,
                    products=low_codes,
                    threshold=tokens,
                    emailed=sent,
                )
            state.low_products = low_codes
        if sent:
            state.last_alert_at = timezone.now()
        state.save()
    return sent


def send_low_balance_alerts() -> int:
    """JOBS-7: check every active Current and Bulk purchase account with a threshold; returns how
    many alerts were sent. Across every account: the caller runs it under scopes_disabled()."""
    accounts = (
        Account.objects.filter(
            status=Account.Status.ACTIVE,
            formula__in=ALERT_FORMULAS,
            billing_profile__alert_threshold__gt=0,
        )
        .select_related("administrative_contact")
        .order_by("pk")
    )
    sent = 0
    for account in accounts:
        try:
            sent += check_account(account)
        except Exception:  # one account must not stop the others
            logger.exception("Low-balance check of account %s failed", account.pk)
    return sent
