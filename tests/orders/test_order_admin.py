"""STAFF-2 in the back office: record a payment (form and confirmation) and issue; refusals shown."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.models import AuditEvent
from orders.models import Certificate, CertificateAuthority, Order, OrderStatus
from orders.services import issue_certificate
from tests.support.orders import make_order, pass_dcv
from tests.support.payments import record_receipt_in_admin

S = OrderStatus
CHANGELIST = reverse("admin:orders_order_changelist")


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def run_action(client, action, *orders):
    return client.post(
        CHANGELIST, {"action": action, "_selected_action": [o.pk for o in orders]}, follow=True
    )


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)] or [
        str(m) for m in response.context["messages"]
    ]


@pytest.mark.django_db
def test_record_payment_then_issue_through_the_actions(
    staff_client, staff, account, product, mailoutbox, django_capture_on_commit_callbacks
):
    order = make_order(account, product, status=S.AWAITING_PAYMENT)
    url = reverse("admin:orders_order_record_payment", args=[order.pk])
    _check, response = record_receipt_in_admin(staff_client, url, order.price_incl_vat)
    assert response.status_code == 302
    assert any("is paid" in text for text in texts(staff_client.get(response["Location"])))
    order.refresh_from_db()
    assert order.status == S.UNDER_VERIFICATION and order.paid_at
    pass_dcv(order, staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(staff_client, "issue_selected", order)
    assert any("issued" in text for text in texts(response))
    order.refresh_from_db()
    assert order.status == S.DELIVERED_PAID
    certificate = Certificate.objects.get(order=order)
    assert certificate.account == account
    events = AuditEvent.objects.filter(object_id=order.reference, is_staff_action=True, user=staff)
    assert {"order.payment_recorded", "certificate.issued", "order.status_changed"} <= set(
        events.values_list("action", flat=True)
    )
    assert [m.to for m in mailoutbox] == [[order.technical_contact.email]]


@pytest.mark.django_db
def test_refusals_are_admin_error_messages(staff_client, account, product):
    unpaid = make_order(account, product, status=S.AWAITING_PAYMENT)
    cancelled = make_order(account, product, status=S.CANCELLED)
    response = run_action(staff_client, "issue_selected", unpaid)
    assert response.status_code == 200
    assert any("cannot be issued" in text for text in texts(response))
    response = staff_client.get(
        reverse("admin:orders_order_record_payment", args=[cancelled.pk]), follow=True
    )
    assert any("awaits no payment to record here" in text for text in texts(response))
    assert not Certificate.objects.exists()


@pytest.mark.django_db
def test_buttons_on_the_order_page(staff_client, staff, account, product):
    order = make_order(account, product, status=S.AWAITING_PAYMENT)
    change = reverse("admin:orders_order_change", args=[order.pk])
    page = staff_client.get(change).content.decode()
    pay_url = reverse("admin:orders_order_record_payment", args=[order.pk])
    issue_url = reverse("admin:orders_order_issue", args=[order.pk])
    assert pay_url in page and issue_url not in page
    assert staff_client.get(pay_url).status_code == 200
    _check, response = record_receipt_in_admin(
        staff_client, pay_url, order.price_incl_vat, reference="VIR-77"
    )
    assert response["Location"] == change
    order.refresh_from_db()
    assert order.payment_reference == "VIR-77" and order.status == S.UNDER_VERIFICATION
    page = staff_client.get(change).content.decode()
    assert issue_url in page and pay_url not in page
    pass_dcv(order, staff)
    staff_client.post(issue_url)
    staff_client.post(issue_url)  # a double click issues once
    assert Order.objects.get(pk=order.pk).status == S.DELIVERED_PAID
    assert Certificate.objects.filter(order=order).count() == 1


@pytest.mark.django_db
def test_account_users_cannot_use_the_back_office(client, owner, account, product):
    order = make_order(account, product)
    client.force_login(owner)
    url = reverse("admin:orders_order_record_payment", args=[order.pk])
    for response in (client.get(url), client.post(url, {"amount": "144.00", "confirmed": "yes"})):
        assert response.status_code == 302 and "/staff/login/" in response["Location"]
    assert Order.objects.get(pk=order.pk).paid_at is None


@pytest.mark.django_db
def test_money_and_status_are_read_only_and_edits_audited(staff_client, account, product):
    order = make_order(account, product)
    change = reverse("admin:orders_order_change", args=[order.pk])
    staff_client.post(
        change,
        {
            "customer_reference": "x",
            "ca_reference": "CA-9",
            "handler_name": "Eve",
            "customer_comment": "Send the Kbis.",
            "price_excl_vat": "1.00",
            "status": "cancelled",
            "certificates-TOTAL_FORMS": "0",
            "certificates-INITIAL_FORMS": "0",
        },
    )
    order.refresh_from_db()
    assert order.customer_comment == "Send the Kbis." and order.ca_reference == "CA-9"
    assert order.price_excl_vat == 120 and order.status == S.AWAITING_PAYMENT
    event = AuditEvent.objects.get(action="order.edited_by_staff")
    assert event.details["customer_comment"] == "Send the Kbis."


@pytest.mark.django_db
def test_ca_keys_are_never_shown(staff_client, account, product, staff):
    issue_certificate(
        pass_dcv(make_order(account, product, status=S.UNDER_VERIFICATION, paid=True), staff), user=staff
    )
    ca = CertificateAuthority.objects.first()
    page = staff_client.get(
        reverse("admin:orders_certificateauthority_change", args=[ca.pk])
    ).content.decode()
    assert ca.common_name in page
    assert "ENCRYPTED PRIVATE KEY" not in page and "encrypted_key" not in page
    certificate = Certificate.objects.get()
    assert (
        staff_client.get(reverse("admin:orders_certificate_change", args=[certificate.pk])).status_code == 200
    )
