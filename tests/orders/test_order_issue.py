"""STAFF-2 issuance through the brand's connector, LIFE-3 delivery email, LIFE-9 validity, expiry job."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from django.utils import timezone

from accounts.models import AuditEvent
from orders.models import Certificate, Order, OrderStatus
from orders.services import IllegalTransition, issue_certificate, recommended_format, subscription_end
from orders.services.lifecycle import add_months
from orders.tasks import mark_expired_certificates
from tests.support.orders import make_order, pass_dcv

S = OrderStatus


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://portal.example.test"


def issue_on_commit(order, user, capture, **kwargs):
    pass_dcv(order, user)
    with capture(execute=True):
        return issue_certificate(order, user=user, **kwargs)


@pytest.mark.django_db
def test_issue_delivers_a_paid_order(account, product, staff, mailoutbox, django_capture_on_commit_callbacks):
    order = make_order(
        account, product, status=S.UNDER_VERIFICATION, paid=True, sans=["acme.test", "mail.acme.test"]
    )
    certificate = issue_on_commit(order, staff, django_capture_on_commit_callbacks)
    order.refresh_from_db()
    assert order.status == S.DELIVERED_PAID and order.delivered_at is not None
    assert order.ca_reference == certificate.serial and order.handler_name
    assert certificate.account == account and certificate.order == order
    leaf = x509.load_pem_x509_certificate(certificate.pem.encode())
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName
    )
    assert set(names) == {"www.acme.test", "acme.test", "mail.acme.test"}
    # OV product: the holder organisation is in the subject.
    assert leaf.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == account.holder.name
    assert certificate.public_key_sha256 == order.csr_public_key_sha256
    event = AuditEvent.objects.get(action="certificate.issued", object_id=order.reference)
    assert event.is_staff_action and event.details["serial"] == certificate.serial
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [order.technical_contact.email]
    assert order.reference in mail.subject
    assert "Full chain (PEM)" in mail.body  # Apache
    assert f"https://portal.example.test/orders/{order.reference}/" in mail.body
    assert mail.alternatives and "Full chain (PEM)" in mail.alternatives[0][0]


@pytest.mark.django_db
def test_unpaid_order_in_processing_is_delivered_not_paid(account, product, staff):
    order = pass_dcv(make_order(account, product, status=S.PROCESSING_AWAITING_PAYMENT), staff)
    issue_certificate(order, user=staff)
    assert Order.objects.get(pk=order.pk).status == S.DELIVERED_NOT_PAID


@pytest.mark.django_db
def test_issuing_twice_never_makes_two_certificates(account, product, staff):
    order = pass_dcv(make_order(account, product, status=S.UNDER_VERIFICATION, paid=True), staff)
    issue_certificate(order, user=staff)
    with pytest.raises(IllegalTransition):
        issue_certificate(order, user=staff)
    assert Certificate.objects.filter(order=order).count() == 1


@pytest.mark.django_db
def test_validity_is_the_subscription_capped_by_the_cab_schedule(account, product, staff):
    order = pass_dcv(make_order(account, product, status=S.UNDER_VERIFICATION, paid=True), staff)
    # Before 2026-03-15 the cap is 398 days, above the 12-month subscription: it ends with it.
    Order.objects.filter(pk=order.pk).update(paid_at=datetime(2025, 6, 1, 12, tzinfo=UTC))
    order.refresh_from_db()
    early = issue_certificate(order, user=staff, now=datetime(2025, 6, 2, tzinfo=UTC))
    assert early.not_after == subscription_end(order) == datetime(2026, 6, 1, 12, tzinfo=UTC)
    # From 2026-03-15 the cap is 200 days (one day under: 199), shorter than the subscription.
    later = pass_dcv(make_order(account, product, status=S.UNDER_VERIFICATION, paid=True), staff)
    issued_at = datetime(2026, 4, 1, tzinfo=UTC)
    certificate = issue_certificate(later, user=staff, now=issued_at)
    assert certificate.not_after - certificate.not_before <= timedelta(days=200)
    assert certificate.not_after < subscription_end(later)


def test_add_months_clamps_to_the_last_day():
    assert add_months(datetime(2026, 1, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2026, 11, 15, tzinfo=UTC), 14) == datetime(2028, 1, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("software", "fmt"),
    [
        ("apache", "fullchain"),
        ("nginx", "fullchain"),
        ("haproxy", "fullchain"),
        ("iis", "p7b"),
        ("exchange", "p7b"),
        ("tomcat", "p7b"),
        ("other", "zip"),
        ("", "zip"),
    ],
)
def test_recommended_format_per_server_software(software, fmt):
    assert recommended_format(software) == fmt


@pytest.mark.django_db
def test_delivery_email_for_iis_says_pkcs7_in_the_account_language(
    account, product, staff, mailoutbox, django_capture_on_commit_callbacks
):
    order = make_order(account, product, status=S.UNDER_VERIFICATION, paid=True, server_software="iis")
    issue_on_commit(order, staff, django_capture_on_commit_callbacks)
    assert "PKCS#7" in mailoutbox[0].body


@pytest.mark.django_db
def test_mark_expired_certificates_is_idempotent(account, other_account, product, staff):
    mine = pass_dcv(make_order(account, product, status=S.UNDER_VERIFICATION, paid=True), staff)
    theirs = pass_dcv(make_order(other_account, product, status=S.UNDER_VERIFICATION, paid=True), staff)
    fresh = pass_dcv(make_order(account, product, status=S.UNDER_VERIFICATION, paid=True), staff)
    old = timezone.now() - timedelta(days=500)
    expired_one = issue_certificate(mine, user=staff, now=old)
    expired_two = issue_certificate(theirs, user=staff, now=old)
    valid = issue_certificate(fresh, user=staff)
    assert mark_expired_certificates() == 2
    states = dict(Certificate.objects.values_list("pk", "state"))
    assert states == {expired_one.pk: "expired", expired_two.pk: "expired", valid.pk: "valid"}
    assert mark_expired_certificates() == 0
    assert AuditEvent.objects.filter(action="certificate.expired").count() == 2
