"""JOBS-7: the scheduled billing jobs, each run twice to show it does nothing twice: the monthly
invoice of the Monthly payment formula, the quarterly rebates (with the rebate page and its
recovery), coupon and promo code expiry, and the low-balance alert emails."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, AuditEvent
from billing import menu
from billing.models import (
    BillingProfile,
    Document,
    PendingCharge,
    PromoCode,
    PromoOrigin,
    PromoState,
    Rebate,
    RebateState,
)
from billing.services import documents as document_services
from billing.services.coupons import issue_coupon
from billing.services.documents import LineInput, issue_credit_note, issue_invoice
from billing.services.ledger import credit_euros, credit_tokens, debit_euros, debit_tokens
from billing.services.monthly import ChargeError, register_charge, withdraw_charge
from billing.services.promos import issue_promo_code
from billing.services.rebates import (
    RebateError,
    closed_quarters,
    overview,
    quarter_bounds,
    quarter_of,
    rate_for,
    recover_as_promo_code,
    recover_by_invoice,
)
from billing.tasks import (
    expire_coupons_and_promo_codes,
    low_balance_alerts,
    monthly_invoices,
    quarterly_rebates,
)
from tests import factories
from tests.support.billing_money import fake_pdf, on, set_administrative_contact, set_formula

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_pdf(monkeypatch):
    monkeypatch.setattr(document_services, "render_document_pdf", fake_pdf)


def first_of_this_month() -> datetime.date:
    return timezone.localdate().replace(day=1)


def last_month(day: int) -> datetime.date:
    return (first_of_this_month() - datetime.timedelta(days=1)).replace(day=day)


# Monthly invoice --------------------------------------------------------------------------------


@pytest.fixture
def monthly(account):
    return set_formula(account, Account.Formula.MONTHLY)


def test_register_charge_is_idempotent_and_for_monthly_accounts_only(monthly, other_account):
    charge = register_charge(
        monthly, reference="CP0001", description="SSL OV – 1 year", amount="120.00", date=last_month(3)
    )
    assert (
        register_charge(
            monthly, reference="CP0001", description="SSL OV – 1 year", amount=D("120.00"), date=last_month(3)
        ).pk
        == charge.pk
    )
    with pytest.raises(ChargeError, match="different amount"):
        register_charge(monthly, reference="CP0001", description="x", amount=D("99.00"), date=last_month(3))
    with pytest.raises(ChargeError, match="Monthly payment"):
        register_charge(
            other_account, reference="CP0002", description="x", amount=D("1.00"), date=last_month(3)
        )
    with pytest.raises(ChargeError):
        register_charge(monthly, reference="CP0003", description="x", amount=D("-1.00"), date=last_month(3))
    assert PendingCharge.objects.count() == 1
    assert AuditEvent.objects.filter(action="billing.charge_registered").count() == 1


def test_the_monthly_invoice_covers_last_months_charges_once(monthly, other_account):
    theirs = set_formula(other_account, Account.Formula.MONTHLY)
    register_charge(
        monthly, reference="CP0001", description="SSL OV – 1 year", amount=D("120.00"), date=last_month(3)
    )
    register_charge(
        monthly, reference="CP0002", description="EV – 1 year", amount=D("300.00"), date=last_month(20)
    )
    register_charge(
        monthly, reference="CP0003", description="Cancelled", amount=D("50.00"), date=last_month(21)
    )
    withdraw_charge(monthly, "CP0003")
    current = register_charge(
        monthly, reference="CP0004", description="This month", amount=D("10.00"), date=first_of_this_month()
    )
    register_charge(theirs, reference="CP0100", description="DV", amount=D("20.00"), date=last_month(5))
    with on(first_of_this_month()):
        assert monthly_invoices.delay().get() == 2
        assert monthly_invoices.delay().get() == 0
    invoice = Document.objects.get(account=monthly)
    month = last_month(1)
    assert invoice.source_reference == f"MONTHLY-{month:%Y-%m}"
    assert invoice.issue_date == first_of_this_month()
    assert [(line.description, line.unit_price) for line in invoice.lines.all()] == [
        (f"{last_month(3):%Y-%m-%d} CP0001 – SSL OV – 1 year", D("120.00")),
        (f"{last_month(20):%Y-%m-%d} CP0002 – EV – 1 year", D("300.00")),
    ]
    assert (invoice.total_excl_vat, invoice.total_incl_vat) == (D("420.00"), D("504.00"))
    assert set(
        PendingCharge.objects.filter(invoiced_document=invoice).values_list("reference", flat=True)
    ) == {"CP0001", "CP0002"}
    current.refresh_from_db()
    assert current.invoiced_document is None
    assert Document.objects.get(account=theirs).total_excl_vat == D("20.00")
    assert AuditEvent.objects.filter(action="billing.monthly_invoice_issued").count() == 2
    # An invoiced charge cannot leave the invoice any more.
    with pytest.raises(ChargeError, match="credit note"):
        withdraw_charge(monthly, "CP0001")


def test_a_late_charge_goes_on_the_next_invoice(monthly):
    register_charge(monthly, reference="CP0001", description="A", amount=D("10.00"), date=last_month(3))
    with on(first_of_this_month()):
        monthly_invoices.delay().get()
    # Registered after the invoice, dated last month: not lost, on next month's invoice.
    register_charge(monthly, reference="CP0002", description="B", amount=D("20.00"), date=last_month(28))
    with on(first_of_this_month()):
        assert monthly_invoices.delay().get() == 0
    next_first = (first_of_this_month() + datetime.timedelta(days=32)).replace(day=1)
    with on(next_first):
        assert monthly_invoices.delay(next_first.isoformat()).get() == 1
    assert Document.objects.filter(account=monthly).count() == 2
    assert Document.objects.filter(
        source_reference=f"MONTHLY-{first_of_this_month():%Y-%m}"
    ).get().total_excl_vat == D("20.00")


# Quarterly rebates ------------------------------------------------------------------------------


def previous_quarter_day(day_in_quarter: int = 10) -> datetime.date:
    start, _end = quarter_bounds(closed_quarters(timezone.localdate())[0])
    return start + datetime.timedelta(days=day_in_quarter)


def invoice_on(account, day: datetime.date, amount: Decimal) -> Document:
    with on(day):
        return issue_invoice(account, [LineInput("Certificates", 1, amount)], paid=True)


def test_rate_by_volume_tier(settings):
    assert [rate_for(D(v)) for v in ("0", "999.99", "1000", "4999", "5000", "25000")] == [
        D(0),
        D(0),
        D(3),
        D(3),
        D(5),
        D(8),
    ]
    settings.BILLING_REBATE_TIERS = [(0, 1), (100, 2)]
    assert (rate_for(D("50")), rate_for(D("100"))) == (D(1), D(2))


def test_quarters():
    assert quarter_of(datetime.date(2026, 7, 14)) == "2026-Q3"
    assert quarter_bounds("2026-Q4") == (datetime.date(2026, 10, 1), datetime.date(2026, 12, 31))
    assert closed_quarters(datetime.date(2026, 2, 1)) == ["2025-Q4", "2025-Q3", "2025-Q2", "2025-Q1"]


def test_the_rebate_job_computes_each_quarter_once(account, other_account):
    # `account` is a Rebate account (the factories' default); the other one is not.
    set_formula(other_account, Account.Formula.BULK)
    invoice_on(account, previous_quarter_day(5), D("4000.00"))
    refunded = invoice_on(account, previous_quarter_day(6), D("2000.00"))
    with on(previous_quarter_day(7)):
        issue_credit_note(refunded, [LineInput("Certificates", 1, D("500.00"))], reason="Partly cancelled")
    invoice_on(account, timezone.localdate(), D("9999.00"))  # this quarter: not counted yet
    invoice_on(other_account, previous_quarter_day(5), D("9000.00"))
    assert quarterly_rebates.delay().get() == 1
    assert quarterly_rebates.delay().get() == 0
    rebate = Rebate.objects.get()
    assert rebate.account == account
    assert rebate.quarter == closed_quarters(timezone.localdate())[0]
    assert (rebate.base_amount, rebate.rate, rebate.amount) == (D("5500.00"), D("5.00"), D("275.00"))
    assert rebate.state == RebateState.AVAILABLE


def test_rebates_older_than_four_closed_quarters_lapse(account):
    quarters = closed_quarters(timezone.localdate(), count=6)
    old = Rebate.objects.create(
        account=account, quarter=quarters[5], base_amount=D("1000"), rate=D("3"), amount=D("30.00")
    )
    kept = Rebate.objects.create(
        account=account, quarter=quarters[3], base_amount=D("1000"), rate=D("3"), amount=D("30.00")
    )
    quarterly_rebates.delay().get()
    quarterly_rebates.delay().get()
    old.refresh_from_db()
    kept.refresh_from_db()
    assert (old.state, kept.state) == (RebateState.LAPSED, RebateState.AVAILABLE)
    assert AuditEvent.objects.filter(action="rebate.lapsed").count() == 1


def make_rebates(account, amounts):
    quarters = closed_quarters(timezone.localdate())
    return [
        Rebate.objects.create(
            account=account, quarter=quarter, base_amount=amount * 20, rate=D("5"), amount=amount
        )
        for quarter, amount in zip(quarters, amounts, strict=False)
    ]


def test_recover_as_a_promo_code(account, billing):
    rebates = make_rebates(account, [D("100.00"), D("50.50"), D("0.00")])
    promo = recover_as_promo_code(account, billing)
    assert (promo.value, promo.origin, promo.state) == (D("150.50"), PromoOrigin.REBATE, PromoState.VALID)
    for rebate in rebates[:2]:
        rebate.refresh_from_db()
        assert (rebate.state, rebate.promo_code, rebate.recovery_reference) == (
            RebateState.RECOVERED_PROMO,
            promo,
            promo.code,
        )
    rebates[2].refresh_from_db()
    assert rebates[2].state == RebateState.AVAILABLE  # nothing to recover in a zero rebate
    assert AuditEvent.objects.get(action="rebate.recovered").details["amount"] == "150.50"
    with pytest.raises(RebateError, match="no rebate"):
        recover_as_promo_code(account, billing)
    assert PromoCode.objects.count() == 1


def test_recover_by_invoice(account, billing):
    make_rebates(account, [D("80.00")])
    with pytest.raises(RebateError, match="number of your invoice"):
        recover_by_invoice(account, billing, reference=" ")
    assert recover_by_invoice(account, billing, reference="FAC-2026-17") == D("80.00")
    rebate = Rebate.objects.get()
    assert (rebate.state, rebate.recovery_reference, rebate.recovered_by) == (
        RebateState.RECOVERED_INVOICE,
        "FAC-2026-17",
        billing,
    )


def test_overview_has_the_current_quarter_and_four_closed_ones(account):
    assert overview(account).closed[0].state == "pending"  # the job has not run yet
    make_rebates(account, [D("10.00"), D("20.00")])
    invoice_on(account, timezone.localdate(), D("1200.00"))
    data = overview(account)
    assert data.current.quarter == quarter_of(timezone.localdate())
    assert (data.current.base_amount, data.current.rate, data.current.amount) == (
        D("1200.00"),
        D(3),
        D("36.00"),
    )
    assert [row.quarter for row in data.closed] == closed_quarters(timezone.localdate())
    assert [row.state for row in data.closed] == ["available", "available", "none", "none"]
    assert data.recoverable == D("30.00")


REBATES = "/account/rebates/"


def test_the_rebate_page_and_promo_code_recovery(client, billing, account, other_account):
    make_rebates(account, [D("100.00"), D("50.00")])
    make_rebates(other_account, [D("999.00")])
    client.force_login(billing)
    page = client.get(REBATES).content.decode()
    assert 'data-testid="recoverable">150.00' in page
    assert "999.00" not in page
    response = client.post(reverse("account_info:rebates_promo_code"), follow=True)
    promo = PromoCode.objects.get(account=account)
    page = response.content.decode()
    assert promo.code in page and "Rebates recovered" in page
    assert 'data-testid="recoverable">0.00' in page
    assert Rebate.objects.get(account=other_account).state == RebateState.AVAILABLE


def test_recovery_by_invoice_from_the_page(client, billing, account):
    make_rebates(account, [D("100.00")])
    client.force_login(billing)
    response = client.post(reverse("account_info:rebates_invoice"), {"reference": ""})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert Rebate.objects.get().state == RebateState.AVAILABLE
    response = client.post(reverse("account_info:rebates_invoice"), {"reference": "FAC-17"}, follow=True)
    assert "FAC-17" in response.content.decode()
    assert Rebate.objects.get().state == RebateState.RECOVERED_INVOICE


def test_recovery_with_nothing_to_recover_says_so(client, billing, account):
    client.force_login(billing)
    response = client.post(reverse("account_info:rebates_invoice"), {"reference": "FAC-17"})
    assert response.status_code == 400
    assert "You have no rebate to recover." in response.content.decode()
    response = client.post(reverse("account_info:rebates_promo_code"), follow=True)
    assert "You have no rebate to recover." in response.content.decode()


def test_the_rebate_pages_are_for_rebate_accounts_with_the_billing_right(client, billing, tech, account):
    client.force_login(tech)
    assert client.get(REBATES).status_code == 403
    client.force_login(billing)
    assert client.get(REBATES).status_code == 200
    set_formula(account, Account.Formula.BULK)
    for url in (REBATES, reverse("account_info:rebates_promo_code"), reverse("account_info:rebates_invoice")):
        assert client.post(url).status_code == 403
    assert client.get(REBATES).status_code == 403


def test_menu_entries(billing, account):
    account_info = [entry.url_name for entry in menu.entries_for(billing, menu.ACCOUNT_INFO)]
    accounting = [entry.url_name for entry in menu.entries_for(billing, menu.ACCOUNTING)]
    assert "account_info:rebates" in account_info
    assert {"billing:coupons", "billing:promo_codes", "billing:late_payments"} <= set(accounting)
    set_formula(account, Account.Formula.CURRENT)
    billing.refresh_from_db()
    assert "account_info:rebates" not in [
        entry.url_name for entry in menu.entries_for(billing, menu.ACCOUNT_INFO)
    ]


# Expiry -----------------------------------------------------------------------------------------


def test_the_expiry_job_runs_once(account):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    issue_coupon(account, D("10.00"), origin_reference="CP1", expires_on=yesterday)
    with on(timezone.localdate() - datetime.timedelta(days=400)):
        issue_promo_code(account, D("10.00"), origin=PromoOrigin.GESTURE)
    assert expire_coupons_and_promo_codes.delay().get() == {"coupons": 1, "promo_codes": 1}
    assert expire_coupons_and_promo_codes.delay().get() == {"coupons": 0, "promo_codes": 0}


# Low-balance alerts -----------------------------------------------------------------------------


def set_threshold(account, threshold: str) -> None:
    BillingProfile.objects.update_or_create(account=account, defaults={"alert_threshold": D(threshold)})


def test_a_current_account_is_alerted_once_per_crossing(
    account, mailoutbox, django_capture_on_commit_callbacks
):
    set_formula(account, Account.Formula.CURRENT)
    contact = set_administrative_contact(account)
    set_threshold(account, "50.00")
    credit_euros(account, D("100.00"), reference="TOP-1")
    with django_capture_on_commit_callbacks(execute=True):
        assert low_balance_alerts.delay().get() == 0  # 100 > 50
        debit_euros(account, D("60.00"), reference="CP0001")
        assert low_balance_alerts.delay().get() == 1  # 40 ≤ 50
        assert low_balance_alerts.delay().get() == 0  # same crossing
        credit_euros(account, D("100.00"), reference="TOP-2")
        assert low_balance_alerts.delay().get() == 0  # back above: resets
        debit_euros(account, D("100.00"), reference="CP0002")
        assert low_balance_alerts.delay().get() == 1  # a new crossing
    assert len(mailoutbox) == 2
    assert mailoutbox[0].to == [contact.email]
    assert "40.00 EUR" in mailoutbox[0].body and "50.00 EUR" in mailoutbox[0].body
    assert AuditEvent.objects.filter(action="billing.low_balance_alert").count() == 2


def test_a_bulk_account_is_alerted_per_product(
    account, product, mailoutbox, django_capture_on_commit_callbacks
):
    set_formula(account, Account.Formula.BULK)
    set_administrative_contact(account)
    set_threshold(account, "2")
    other = factories.make_product("ssl-dv", name="SSL DV")
    credit_tokens(account, product, 5, reference="TOP-1")
    credit_tokens(account, other, 2, reference="TOP-2")
    with django_capture_on_commit_callbacks(execute=True):
        assert low_balance_alerts.delay().get() == 1  # SSL DV has 2 ≤ 2
        assert low_balance_alerts.delay().get() == 0
        debit_tokens(account, product, 3, reference="CP0001")
        assert low_balance_alerts.delay().get() == 1  # SSL-OV newly low
    assert len(mailoutbox) == 2
    assert "SSL DV: 2" in mailoutbox[0].body and "SSL-OV" not in mailoutbox[0].body
    assert "SSL DV: 2" in mailoutbox[1].body and "SSL-OV: 2" in mailoutbox[1].body


def test_no_alert_without_a_threshold_or_for_other_formulas(
    account, other_account, mailoutbox, django_capture_on_commit_callbacks
):
    set_formula(account, Account.Formula.CURRENT)
    set_threshold(other_account, "1000.00")  # a Rebate account: no balance alert
    with django_capture_on_commit_callbacks(execute=True):
        assert low_balance_alerts.delay().get() == 0
    assert mailoutbox == []


# Back office ------------------------------------------------------------------------------------


def test_staff_see_rebates_charges_and_alert_states_and_withdraw_a_charge(client, staff, monthly):
    make_rebates(monthly, [D("10.00")])
    charge = register_charge(
        monthly, reference="CP0001", description="SSL", amount=D("10.00"), date=last_month(2)
    )
    client.force_login(staff)
    for name in ("rebate", "pendingcharge", "balancealert", "coupon", "promocode", "latepaymentstatement"):
        assert client.get(reverse(f"admin:billing_{name}_changelist")).status_code == 200, name
    assert client.get(reverse("admin:billing_rebate_add")).status_code == 403
    client.post(
        reverse("admin:billing_pendingcharge_changelist"),
        {"action": "withdraw_action", "_selected_action": [charge.pk]},
    )
    charge.refresh_from_db()
    assert charge.withdrawn_at is not None
    assert AuditEvent.objects.get(action="billing.charge_withdrawn").user == staff
