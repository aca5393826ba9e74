"""ACCT-5: promo codes: single use, not split, valid one year; fixed amount or percentage;
states valid, used, expired, cancelled; the /accounting/promo-codes/ page, the home-page data,
the expiry job and the staff's commercial gestures."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from accounts.models import AuditEvent
from billing.models import PromoCode, PromoKind, PromoOrigin, PromoState
from billing.services.promos import (
    PromoCodeError,
    cancel_promo_code,
    check_promo_code,
    expire_promo_codes,
    issue_promo_code,
    one_year_after,
    promo_codes_for_home,
    redeem_promo_code,
)
from tests.support.billing_money import on, run_together

D = Decimal
URL = "/accounting/promo-codes/"
GESTURE = PromoOrigin.GESTURE
pytestmark = pytest.mark.django_db


# Services ---------------------------------------------------------------------------------------


def test_issue_a_fixed_amount_code_valid_one_year(account, staff):
    promo = issue_promo_code(account, D("50.00"), origin=GESTURE, by=staff, note="Sorry for the delay")
    assert re.fullmatch(r"PR-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", promo.code)
    assert (promo.kind, promo.value, promo.state) == (PromoKind.AMOUNT, D("50.00"), PromoState.VALID)
    assert promo.valid_until == one_year_after(timezone.localdate())
    event = AuditEvent.objects.get(action="promo_code.issued")
    assert event.user == staff and event.details["code"] == promo.code


def test_one_year_after_a_leap_day():
    assert one_year_after(datetime.date(2028, 2, 29)) == datetime.date(2029, 2, 28)
    assert one_year_after(datetime.date(2026, 7, 14)) == datetime.date(2027, 7, 14)


@pytest.mark.parametrize(
    ("kind", "value"), [("percent", "101"), ("amount", "0"), ("amount", "-1"), ("bogus", "5")]
)
def test_issue_refuses_bad_values(account, kind, value):
    with pytest.raises(PromoCodeError):
        issue_promo_code(account, value, origin=GESTURE, kind=kind)
    assert not PromoCode.objects.exists()


def test_redeem_a_fixed_amount(account, billing):
    promo = issue_promo_code(account, D("50.00"), origin=GESTURE)
    # Typed in lower case with spaces: still found.
    discount = redeem_promo_code(
        account, f" {promo.code.lower()} ", amount_due=D("120.00"), reference="CP0001", by=billing
    )
    promo.refresh_from_db()
    assert discount == D("50.00")
    assert (promo.state, promo.used_reference, promo.discount) == (PromoState.USED, "CP0001", D("50.00"))
    assert promo.used_at is not None
    assert AuditEvent.objects.get(action="promo_code.used").user == billing
    # The same order asking again gets the same discount.
    assert redeem_promo_code(account, promo.code, amount_due=D("120.00"), reference="CP0001") == D("50.00")


def test_a_code_is_not_split(account):
    promo = issue_promo_code(account, D("80.00"), origin=GESTURE)
    assert redeem_promo_code(account, promo.code, amount_due=D("30.00"), reference="CP0001") == D("30.00")
    with pytest.raises(PromoCodeError, match="already used"):
        redeem_promo_code(account, promo.code, amount_due=D("50.00"), reference="CP0002")


def test_a_percentage_code(account):
    promo = issue_promo_code(account, D("15"), origin=GESTURE, kind=PromoKind.PERCENT)
    assert check_promo_code(account, promo.code, amount_due=D("99.99"))[1] == D("15.00")  # 14.9985
    promo.refresh_from_db()
    assert promo.state == PromoState.VALID  # checking does not use it
    assert redeem_promo_code(account, promo.code, amount_due=D("99.99"), reference="CP1") == D("15.00")


def test_an_expired_code_is_refused(account):
    with on(timezone.localdate() - datetime.timedelta(days=400)):
        promo = issue_promo_code(account, D("20.00"), origin=GESTURE)
    assert promo.valid_until < timezone.localdate()
    with pytest.raises(PromoCodeError, match="expired"):
        redeem_promo_code(account, promo.code, amount_due=D("100.00"), reference="CP1")
    promo.refresh_from_db()
    assert promo.state == PromoState.VALID  # the job marks it; the refusal does not change it


def test_a_cancelled_code_is_refused(account, staff):
    promo = cancel_promo_code(issue_promo_code(account, D("20.00"), origin=GESTURE), staff)
    assert promo.state == PromoState.CANCELLED
    with pytest.raises(PromoCodeError, match="cancelled"):
        redeem_promo_code(account, promo.code, amount_due=D("100.00"), reference="CP1")
    assert AuditEvent.objects.get(action="promo_code.cancelled").user == staff


def test_a_used_code_cannot_be_cancelled(account, staff):
    promo = issue_promo_code(account, D("20.00"), origin=GESTURE)
    redeem_promo_code(account, promo.code, amount_due=D("100.00"), reference="CP1")
    with pytest.raises(PromoCodeError):
        cancel_promo_code(promo, staff)


def test_another_accounts_code_is_unknown_here(account, other_account):
    theirs = issue_promo_code(other_account, D("20.00"), origin=GESTURE)
    with pytest.raises(PromoCodeError, match="not valid for your account") as refused:
        redeem_promo_code(account, theirs.code, amount_due=D("100.00"), reference="CP1")
    with pytest.raises(PromoCodeError, match="not valid for your account") as unknown:
        redeem_promo_code(account, "PR-NOPE-NOPE-NOPE", amount_due=D("100.00"), reference="CP1")
    assert str(refused.value) == str(unknown.value)  # no hint the code exists elsewhere
    theirs.refresh_from_db()
    assert theirs.state == PromoState.VALID


def test_empty_code_and_bad_amount(account):
    promo = issue_promo_code(account, D("20.00"), origin=GESTURE)
    with pytest.raises(PromoCodeError, match="Enter a promo code"):
        redeem_promo_code(account, "  ", amount_due=D("10.00"), reference="CP1")
    with pytest.raises(PromoCodeError, match="amount due"):
        redeem_promo_code(account, promo.code, amount_due="-3", reference="CP1")


@pytest.mark.django_db(transaction=True)
def test_two_orders_using_one_code_at_once_get_one_discount(account):
    promo = issue_promo_code(account, D("20.00"), origin=GESTURE)

    def use(i: int):
        with scope(account=account.pk):
            return redeem_promo_code(account, promo.code, amount_due=D("100.00"), reference=f"CP{i}")

    results = run_together(use, 6)
    assert sum(isinstance(r, Decimal) for r in results) == 1, results
    assert sum(isinstance(r, PromoCodeError) for r in results) == 5


def test_expiry_job_runs_once(account, other_account):
    with on(timezone.localdate() - datetime.timedelta(days=370)):
        old = issue_promo_code(account, D("10.00"), origin=GESTURE)
        issue_promo_code(other_account, D("10.00"), origin=GESTURE)
        used = issue_promo_code(account, D("10.00"), origin=GESTURE)
        redeem_promo_code(account, used.code, amount_due=D("10.00"), reference="CP1")
    fresh = issue_promo_code(account, D("10.00"), origin=GESTURE)
    assert expire_promo_codes() == 2
    assert expire_promo_codes() == 0
    old.refresh_from_db()
    used.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.state, used.state, fresh.state) == (PromoState.EXPIRED, PromoState.USED, PromoState.VALID)


def test_home_data_warns_of_codes_expiring_within_30_days(account, other_account):
    with on(timezone.localdate() - datetime.timedelta(days=350)):
        soon = issue_promo_code(account, D("10.00"), origin=GESTURE)  # 15 or 16 days left
    later = issue_promo_code(account, D("15"), origin=GESTURE, kind=PromoKind.PERCENT)
    used = issue_promo_code(account, D("10.00"), origin=GESTURE)
    redeem_promo_code(account, used.code, amount_due=D("10.00"), reference="CP1")
    issue_promo_code(other_account, D("10.00"), origin=GESTURE)
    rows = promo_codes_for_home(account)
    assert [(row.code, row.expiring_soon) for row in rows] == [(soon.code, True), (later.code, False)]
    assert rows[0].days_left == (soon.valid_until - timezone.localdate()).days
    assert rows[1].kind == PromoKind.PERCENT and rows[1].value == D("15.00")


# Page -------------------------------------------------------------------------------------------


def test_the_page_lists_codes_with_where_and_when_used(client, billing, account, other_account):
    valid = issue_promo_code(account, D("50.00"), origin=PromoOrigin.REBATE)
    used = issue_promo_code(account, D("10"), origin=GESTURE, kind=PromoKind.PERCENT)
    redeem_promo_code(account, used.code, amount_due=D("200.00"), reference="CP0042")
    theirs = issue_promo_code(other_account, D("5.00"), origin=GESTURE)
    client.force_login(billing)
    response = client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert {row.record.code for row in response.context["table"].page.object_list} == {valid.code, used.code}
    assert theirs.code not in page
    for text in ("CP0042", "Rebate recovery", "Commercial gesture", "Used", "Valid", "10\u00a0%", "20.00"):
        assert text in page, text


def test_the_page_filters_by_state(client, billing, account):
    valid = issue_promo_code(account, D("50.00"), origin=GESTURE)
    used = issue_promo_code(account, D("50.00"), origin=GESTURE)
    redeem_promo_code(account, used.code, amount_due=D("200.00"), reference="CP0042")
    client.force_login(billing)
    response = client.get(URL, {"state": "used"})
    assert [row.record.code for row in response.context["table"].page.object_list] == [used.code]
    response = client.get(URL, {"state": "bogus"})
    assert "Select a valid choice" in response.content.decode()
    assert {row.record.code for row in response.context["table"].page.object_list} == {valid.code, used.code}


def test_the_page_warns_of_a_code_about_to_expire(client, billing, account):
    with on(timezone.localdate() - datetime.timedelta(days=355)):
        soon = issue_promo_code(account, D("10.00"), origin=GESTURE)
    issue_promo_code(account, D("10.00"), origin=GESTURE)
    client.force_login(billing)
    page = client.get(URL).content.decode()
    assert page.count('data-testid="promo-expiring"') == 1
    assert f"Promo code {soon.code} expires on" in page


def test_it_refuses_a_user_without_the_billing_right(client, tech):
    client.force_login(tech)
    assert client.get(URL).status_code == 403
    assert client.get(reverse("billing:promo_codes_csv")).status_code == 403


def test_csv_export(client, billing, account):
    promo = issue_promo_code(account, D("50.00"), origin=GESTURE)
    client.force_login(billing)
    body = b"".join(client.get(reverse("billing:promo_codes_csv")).streaming_content).decode()
    assert body.splitlines()[0].lstrip("\ufeff") == (
        "Code,Value,Origin,Issued,Valid until,State,Used for,Used on,Discount given"
    )
    assert promo.code in body and "50.00" in body


# Back office ------------------------------------------------------------------------------------


def test_staff_give_a_commercial_gesture_and_cancel_it(client, staff, account):
    client.force_login(staff)
    response = client.post(
        reverse("admin:billing_promocode_add"),
        {"account": account.pk, "kind": "amount", "value": "25.00", "note": "Late delivery"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    promo = PromoCode.objects.get()
    assert (promo.origin, promo.value, promo.created_by, promo.note) == (
        GESTURE,
        D("25.00"),
        staff,
        "Late delivery",
    )
    assert promo.valid_until == one_year_after(timezone.localdate())
    assert AuditEvent.objects.get(action="promo_code.issued").user == staff
    response = client.post(
        reverse("admin:billing_promocode_changelist"),
        {"action": "cancel_action", "_selected_action": [promo.pk]},
    )
    assert response.status_code == 302
    promo.refresh_from_db()
    assert promo.state == PromoState.CANCELLED
    assert AuditEvent.objects.get(action="promo_code.cancelled").user == staff


def test_staff_add_form_refuses_a_percentage_above_100(client, staff, account):
    client.force_login(staff)
    response = client.post(
        reverse("admin:billing_promocode_add"),
        {"account": account.pk, "kind": "percent", "value": "120", "note": ""},
    )
    assert response.status_code == 200
    assert "A percentage is at most 100." in response.content.decode()
    assert not PromoCode.objects.exists()
