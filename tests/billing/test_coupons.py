"""ACCT-4: deposit coupons: issue, full and partial use (the remainder becomes a new coupon),
refund request, expiry, the /accounting/coupons/ page, the back office; one coupon used by two
orders at once serves one."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from accounts.models import AuditEvent
from billing.models import Coupon, CouponState
from billing.services.coupons import (
    CouponError,
    apply_coupon,
    coupons_for_home,
    expire_coupons,
    issue_coupon,
    mark_refunded,
    request_refund,
    usable_coupons,
)
from tests.support.billing_money import run_together

D = Decimal
URL = "/accounting/coupons/"
pytestmark = pytest.mark.django_db


def year() -> int:
    return timezone.localdate().year


# Services ---------------------------------------------------------------------------------------


def test_issue_numbers_coupons_and_is_idempotent_per_origin(account, staff):
    first = issue_coupon(account, D("120.00"), origin_reference="CP0001", by=staff, note="Cancellation")
    again = issue_coupon(account, "120.00", origin_reference="CP0001", by=staff)
    second = issue_coupon(account, D("30.50"), origin_reference="CP0002")
    assert first.pk == again.pk
    assert (first.number, second.number) == (f"CA{year()}-000001", f"CA{year()}-000002")
    assert first.state == CouponState.VALID
    assert first.expires_on == timezone.localdate() + datetime.timedelta(days=365)
    assert Coupon.objects.count() == 2
    assert AuditEvent.objects.filter(action="coupon.issued").count() == 2
    with pytest.raises(CouponError, match="already issued for CP0001"):
        issue_coupon(account, D("99.00"), origin_reference="CP0001")


@pytest.mark.parametrize("amount", ["0", "-5", "1.001", "abc"])
def test_issue_refuses_a_bad_amount(account, amount):
    with pytest.raises(CouponError):
        issue_coupon(account, amount, origin_reference="CP0001")
    assert not Coupon.objects.exists()


def test_validity_setting(account, settings):
    settings.BILLING_COUPON_VALIDITY_DAYS = 0
    assert issue_coupon(account, D("10.00"), origin_reference="CP1").expires_on is None
    settings.BILLING_COUPON_VALIDITY_DAYS = 30
    assert issue_coupon(account, D("10.00"), origin_reference="CP2").expires_on == (
        timezone.localdate() + datetime.timedelta(days=30)
    )


def test_a_coupon_pays_the_whole_order_when_it_covers_it(account, owner):
    coupon = issue_coupon(account, D("100.00"), origin_reference="CP0001")
    applied, remainder = apply_coupon(coupon, D("100.00"), reference="CP0002", by=owner)
    coupon.refresh_from_db()
    assert (applied, remainder) == (D("100.00"), None)
    assert (coupon.state, coupon.used_reference, coupon.applied_amount) == (
        CouponState.USED,
        "CP0002",
        D("100.00"),
    )
    assert coupon.used_at is not None


def test_a_partial_use_leaves_a_new_coupon_for_the_remainder(account, owner):
    coupon = issue_coupon(account, D("150.00"), origin_reference="CP0001")
    applied, remainder = apply_coupon(coupon, D("40.20"), reference="CP0002", by=owner)
    coupon.refresh_from_db()
    assert applied == D("40.20")
    assert coupon.state == CouponState.USED and coupon.applied_amount == D("40.20")
    assert remainder.amount == D("109.80")
    assert (remainder.parent, remainder.state, remainder.origin_reference) == (
        coupon,
        CouponState.VALID,
        "CP0001",
    )
    assert remainder.expires_on == coupon.expires_on
    assert remainder.number == f"CA{year()}-000002"
    event = AuditEvent.objects.get(action="coupon.used")
    assert event.details["remainder"] == remainder.number and event.user == owner
    # The same order asking again gets the same answer; nothing new is made.
    assert apply_coupon(coupon, D("40.20"), reference="CP0002", by=owner) == (D("40.20"), remainder)
    assert Coupon.objects.count() == 2
    # The remainder pays the next order in full, leaving nothing.
    assert apply_coupon(remainder, D("500.00"), reference="CP0003") == (D("109.80"), None)


def test_a_used_coupon_is_refused_for_another_order(account):
    coupon = issue_coupon(account, D("50.00"), origin_reference="CP0001")
    apply_coupon(coupon, D("50.00"), reference="CP0002")
    with pytest.raises(CouponError, match="already used for CP0002"):
        apply_coupon(coupon, D("10.00"), reference="CP0003")


def test_an_expired_or_refunded_coupon_cannot_pay(account):
    old = issue_coupon(
        account,
        D("50.00"),
        origin_reference="CP0001",
        expires_on=timezone.localdate() - datetime.timedelta(days=1),
    )
    with pytest.raises(CouponError, match="expired"):
        apply_coupon(old, D("10.00"), reference="CP0009")
    refunding = request_refund(issue_coupon(account, D("50.00"), origin_reference="CP0002"), None)
    with pytest.raises(CouponError, match="refunded"):
        apply_coupon(refunding, D("10.00"), reference="CP0009")
    assert list(usable_coupons(account)) == []


def test_a_user_of_another_account_cannot_use_the_coupon(account, outsider):
    coupon = issue_coupon(account, D("50.00"), origin_reference="CP0001")
    with pytest.raises(CouponError, match="does not belong"):
        apply_coupon(coupon, D("10.00"), reference="X1", by=outsider)
    coupon.refresh_from_db()
    assert coupon.state == CouponState.VALID


def test_bad_amount_due_is_refused(account):
    coupon = issue_coupon(account, D("50.00"), origin_reference="CP0001")
    with pytest.raises(CouponError, match="amount due"):
        apply_coupon(coupon, D("0"), reference="CP0002")


def test_refund_request_then_refund(account, billing, staff, mailoutbox, django_capture_on_commit_callbacks):
    coupon = issue_coupon(account, D("80.00"), origin_reference="CP0001")
    with django_capture_on_commit_callbacks(execute=True):
        request_refund(coupon, billing)
        request_refund(coupon, billing)  # idempotent: one email
    coupon.refresh_from_db()
    assert coupon.state == CouponState.BEING_REFUNDED and coupon.refund_requested_at
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [staff.email] and coupon.number in mailoutbox[0].subject
    assert reverse("admin:billing_coupon_change", args=[coupon.pk]) in mailoutbox[0].body
    mark_refunded(coupon, staff, refund_reference="VIR-123")
    coupon.refresh_from_db()
    assert (coupon.state, coupon.refund_reference) == (CouponState.REFUNDED, "VIR-123")
    event = AuditEvent.objects.get(action="coupon.refunded")
    assert event.user == staff and event.is_staff_action
    with pytest.raises(CouponError):
        request_refund(coupon, billing)


def test_only_a_requested_refund_can_be_marked_refunded(account, staff):
    coupon = issue_coupon(account, D("80.00"), origin_reference="CP0001")
    with pytest.raises(CouponError):
        mark_refunded(coupon, staff)


def test_expiry_job_runs_once(account, other_account):
    today = timezone.localdate()
    old = issue_coupon(
        account, D("10.00"), origin_reference="CP1", expires_on=today - datetime.timedelta(days=1)
    )
    issue_coupon(
        other_account, D("10.00"), origin_reference="CP2", expires_on=today - datetime.timedelta(days=3)
    )
    current = issue_coupon(account, D("10.00"), origin_reference="CP3", expires_on=today)
    forever = issue_coupon(account, D("10.00"), origin_reference="CP4")
    Coupon.objects.filter(pk=forever.pk).update(expires_on=None)
    assert expire_coupons(today) == 2
    assert expire_coupons(today) == 0
    old.refresh_from_db()
    current.refresh_from_db()
    assert (old.state, current.state) == (CouponState.EXPIRED, CouponState.VALID)
    assert AuditEvent.objects.filter(action="coupon.expired").count() == 2


def test_home_data_lists_usable_coupons(account, other_account):
    coupon = issue_coupon(account, D("25.00"), origin_reference="CP1")
    apply_coupon(issue_coupon(account, D("25.00"), origin_reference="CP2"), D("25.00"), reference="CP9")
    issue_coupon(other_account, D("99.00"), origin_reference="CP3")
    assert [(c.number, c.amount) for c in coupons_for_home(account)] == [(coupon.number, D("25.00"))]


@pytest.mark.django_db(transaction=True)
def test_two_orders_using_one_coupon_at_once_get_one_success(account):
    coupon = issue_coupon(account, D("100.00"), origin_reference="CP0001")

    def use(i: int):
        with scope(account=account.pk):
            return apply_coupon(coupon, D("30.00"), reference=f"CP10{i:02d}")

    results = run_together(use, 8)
    done = [r for r in results if isinstance(r, tuple)]
    refused = [r for r in results if isinstance(r, CouponError)]
    assert (len(done), len(refused)) == (1, 7), results
    coupon.refresh_from_db()
    assert coupon.state == CouponState.USED
    assert Coupon.objects.filter(parent=coupon).count() == 1
    assert Coupon.objects.get(parent=coupon).amount == D("70.00")


# Page -------------------------------------------------------------------------------------------


def test_the_page_lists_the_accounts_coupons(client, billing, account, other_account):
    used = issue_coupon(account, D("150.00"), origin_reference="CP0001")
    _applied, remainder = apply_coupon(used, D("50.00"), reference="CP0007")
    theirs = issue_coupon(other_account, D("12.00"), origin_reference="CPX")
    client.force_login(billing)
    response = client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    rows = {row.record.number for row in response.context["table"].page.object_list}
    assert rows == {used.number, remainder.number}
    assert theirs.number not in page
    for text in ("CP0001", "CP0007", "Used", "Valid", f"remainder of {used.number}", "150.00", "100.00"):
        assert text in page, text
    assert reverse("billing:coupon_refund", args=[remainder.public_id]) in page
    assert reverse("billing:coupon_refund", args=[used.public_id]) not in page


def test_refund_request_from_the_page(client, billing, account, django_capture_on_commit_callbacks):
    coupon = issue_coupon(account, D("150.00"), origin_reference="CP0001")
    client.force_login(billing)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("billing:coupon_refund", args=[coupon.public_id]), follow=True)
    assert response.redirect_chain[-1][0] == URL
    assert "refund request for coupon" in response.content.decode()
    coupon.refresh_from_db()
    assert coupon.state == CouponState.BEING_REFUNDED
    event = AuditEvent.objects.get(action="coupon.refund_requested")
    assert event.user == billing


def test_refund_of_a_used_coupon_is_refused_with_a_message(client, billing, account):
    coupon = issue_coupon(account, D("50.00"), origin_reference="CP0001")
    apply_coupon(coupon, D("50.00"), reference="CP0002")
    client.force_login(billing)
    response = client.post(reverse("billing:coupon_refund", args=[coupon.public_id]), follow=True)
    assert "already used" in response.content.decode()
    coupon.refresh_from_db()
    assert coupon.state == CouponState.USED


def test_refund_needs_post(client, billing, account):
    coupon = issue_coupon(account, D("50.00"), origin_reference="CP0001")
    client.force_login(billing)
    assert client.get(reverse("billing:coupon_refund", args=[coupon.public_id])).status_code == 405


def test_it_refuses_another_accounts_coupon(client, outsider, account):
    coupon = issue_coupon(account, D("50.00"), origin_reference="CP0001")
    client.force_login(outsider)
    assert client.post(reverse("billing:coupon_refund", args=[coupon.public_id])).status_code == 404
    coupon.refresh_from_db()
    assert coupon.state == CouponState.VALID


def test_it_refuses_a_user_without_the_billing_right(client, tech, account):
    coupon = issue_coupon(account, D("50.00"), origin_reference="CP0001")
    client.force_login(tech)
    assert client.get(URL).status_code == 403
    assert client.get(reverse("billing:coupons_csv")).status_code == 403
    assert client.post(reverse("billing:coupon_refund", args=[coupon.public_id])).status_code == 403


def test_csv_has_the_shown_columns(client, billing, account):
    coupon = issue_coupon(account, D("50.00"), origin_reference="CP0001")
    client.force_login(billing)
    response = client.get(reverse("billing:coupons_csv"))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode()[1:])))
    assert rows[0] == [
        "Number",
        "Created",
        "Origin",
        "Used for",
        "Used on",
        "Amount incl. VAT",
        "Amount applied",
        "Valid until",
        "State",
    ]
    assert rows[1][0] == coupon.number and rows[1][2] == "CP0001" and rows[1][5] == "50.00"
    assert rows[1][8] == "Valid"


def test_the_number_of_queries_does_not_grow_with_the_list(client, billing, account):
    client.force_login(billing)
    for i in range(3):
        apply_coupon(
            issue_coupon(account, D("50.00"), origin_reference=f"A{i}"), D("10.00"), reference=f"B{i}"
        )
    client.get(URL)
    with CaptureQueriesContext(connection) as small:
        client.get(URL)
    for i in range(8):
        apply_coupon(
            issue_coupon(account, D("50.00"), origin_reference=f"C{i}"), D("10.00"), reference=f"D{i}"
        )
    client.get(URL)  # the coupons' writes dropped the account's cached figures: counted again once
    with CaptureQueriesContext(connection) as large:
        client.get(URL)
    assert len(large.captured_queries) == len(small.captured_queries)


# Back office ------------------------------------------------------------------------------------


def test_staff_issue_a_coupon_and_mark_a_refund(client, staff, account):
    client.force_login(staff)
    response = client.post(
        reverse("admin:billing_coupon_add"),
        {
            "account": account.pk,
            "amount": "42.00",
            "origin_reference": "CP0042",
            "origin_note": "Double payment",
            "expires_on": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    coupon = Coupon.objects.get(origin_reference="CP0042")
    assert coupon.number == f"CA{year()}-000001" and coupon.created_by == staff
    assert AuditEvent.objects.get(action="coupon.issued").user == staff
    request_refund(coupon, None)
    response = client.post(
        reverse("admin:billing_coupon_changelist"),
        {"action": "mark_refunded_action", "_selected_action": [coupon.pk]},
    )
    assert response.status_code == 302
    coupon.refresh_from_db()
    assert coupon.state == CouponState.REFUNDED
    assert AuditEvent.objects.get(action="coupon.refunded").user == staff
    assert client.get(reverse("admin:billing_coupon_change", args=[coupon.pk])).status_code == 200


def test_staff_add_form_refuses_a_zero_amount(client, staff, account):
    client.force_login(staff)
    response = client.post(
        reverse("admin:billing_coupon_add"),
        {"account": account.pk, "amount": "0", "origin_reference": "CP0042"},
    )
    assert response.status_code == 200
    assert not Coupon.objects.exists()
