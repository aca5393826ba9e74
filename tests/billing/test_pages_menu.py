"""NAV-1, NAV-2: billing's menu entries as data, their rights and formulas matching the views',
and the badge counts; every billing page refuses the other rights."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import URLPattern, get_resolver, resolve, reverse
from django.utils import timezone

from accounts.models import Account, Right
from billing import menu
from billing.services import documents as document_services
from billing.services.documents import LineInput, issue_credit_note, issue_invoice, issue_quote, mark_paid
from tests import factories
from tests.billing.test_pages_documents import on

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.billing.test_pages_documents")]

LINES = [LineInput("SSL OV – 1 year", 1, Decimal("100.00"))]
ALL_ENTRIES = menu.ACCOUNT_INFO + menu.ACCOUNTING


@pytest.fixture(autouse=True)
def fast_pdf(monkeypatch):
    monkeypatch.setattr(
        document_services,
        "render_document_pdf",
        lambda document: f"%PDF-1.4 {document.display_number}".encode(),
    )


def billing_patterns():
    for namespace in ("billing", "account_info"):
        resolver = next(r for r in get_resolver().url_patterns if getattr(r, "namespace", None) == namespace)
        for pattern in resolver.url_patterns:
            assert isinstance(pattern, URLPattern)
            yield f"{namespace}:{pattern.name}", "/" + str(resolver.pattern) + str(pattern.pattern), pattern


def concrete(route: str) -> str:
    return re.sub(r"<(?:\w+:)?\w+>", "ssl-ov", route)


def test_a_billing_user_sees_every_entry_of_the_formula(billing):
    expected = [e for e in ALL_ENTRIES if e.formulas is None or Account.Formula.REBATE in e.formulas]
    assert menu.entries_for(billing, ALL_ENTRIES) == expected
    assert len(expected) < len(ALL_ENTRIES)  # the euro top-up is for current accounts only
    assert {"billing:documents", "billing:quotes", "billing:unpaid"} <= {e.url_name for e in menu.ACCOUNTING}
    assert all(e.url.startswith("/accounting/") for e in menu.ACCOUNTING)
    assert all(e.url.startswith("/account/") for e in menu.ACCOUNT_INFO)


def test_a_user_without_the_billing_right_sees_none(tech, staff):
    assert menu.entries_for(tech, ALL_ENTRIES) == []
    assert menu.entries_for(staff, ALL_ENTRIES) == []


def test_an_entry_limited_to_formulas_follows_the_account(billing, account):
    entry = menu.MenuEntry(
        "Tokens", "account_info:statements", (Right.BILLING,), formulas=(Account.Formula.BULK,)
    )
    assert not entry.allows(billing)
    account.formula = Account.Formula.BULK
    account.save(update_fields=["formula"])
    billing.refresh_from_db()
    assert entry.allows(billing)


def test_entries_point_to_views_with_the_same_rights():
    for entry in ALL_ENTRIES:
        view = resolve(reverse(entry.url_name)).func
        assert tuple(view.required_rights) == entry.rights, entry.url_name
        assert not hasattr(view, "formulas") or entry.formulas == view.formulas


def test_formula_pages_match_their_views():
    guarded = {
        name: pattern.callback.formulas
        for name, _route, pattern in billing_patterns()
        if hasattr(pattern.callback, "formulas")
    }
    assert guarded == menu.FORMULA_PAGES


def test_every_billing_page_needs_the_billing_right():
    for name, _route, pattern in billing_patterns():
        assert pattern.callback.required_rights == (Right.BILLING,), name


@pytest.mark.parametrize("right", [r for r in Right if r != Right.BILLING])
def test_every_billing_page_refuses_other_rights(client, account, right):
    account.formula = Account.Formula.BULK
    account.save(update_fields=["formula"])
    client.force_login(factories.make_user(account, f"only-{right}", rights=[right]))
    for name, route, _pattern in billing_patterns():
        assert client.get(concrete(route)).status_code == 403, name
        assert client.post(concrete(route)).status_code == 403, name


def test_badge_counts(account, other_account):
    issue_quote(account, LINES)
    with on(timezone.localdate() - datetime.timedelta(days=90)):
        issue_quote(account, LINES)  # expired
    unpaid = issue_invoice(account, LINES)
    paid = issue_invoice(account, LINES)
    mark_paid(paid)
    issue_credit_note(issue_invoice(account, LINES), reason="Cancelled")  # cancelled, not due
    issue_quote(other_account, LINES)
    issue_invoice(other_account, LINES)
    assert unpaid.status == "issued"
    assert menu.badge_counts(account) == {"billing:quotes": 1, "billing:unpaid": 1}
