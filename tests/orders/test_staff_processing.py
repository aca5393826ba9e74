"""STAFF-2 in the back office: the audit's status moves, comments to the customer, document requests,
cancellation and audit documents, each audited as a staff action; and LIFE-1 statuses reached by
real actions."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Account, AuditEvent
from orders.models import DocumentRequest, Order, OrderComment, OrderStatus
from orders.services.actions import cancel_order
from orders.services.approval import approve_order
from orders.services.documents import send_audit_document
from orders.services.lifecycle import record_payment
from orders.services.ordering import submit_order
from orders.services.processing import staff_move
from tests.factories import make_csr, make_key
from tests.support.delivered import deliver, log_in
from tests.support.orders import contacts_of, make_order, pass_dcv

S = OrderStatus
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def change_url(order):
    return reverse("admin:orders_order_change", args=[order.pk])


def move_url(order, code):
    return reverse("admin:orders_order_move", args=[order.pk, code])


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.django_db
def test_the_order_page_offers_the_moves_of_its_status(staff_client, account, product):
    order = make_order(account, product, status=S.UNDER_VERIFICATION, paid=True)
    page = staff_client.get(change_url(order)).content.decode()
    for code in ("dormant", "awaiting_dcv", "no_followup"):
        assert move_url(order, code) in page, code
    for code in ("verification", "fee_paid", "quote_signed"):
        assert move_url(order, code) not in page, code
    for name in ("comment", "request_documents", "cancel"):
        assert reverse(f"admin:orders_order_{name}", args=[order.pk]) in page, name
    assert "Order comments" in page and "Document requests" in page and "Audit documents" in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("source", "code", "target"),
    [
        (S.UNDER_VERIFICATION, "dormant", S.DORMANT),
        (S.PROCESSING_AWAITING_PAYMENT, "dormant", S.DORMANT),
        (S.DORMANT, "verification", S.UNDER_VERIFICATION),
        (S.UNDER_VERIFICATION, "awaiting_dcv", S.AWAITING_DCV),
        (S.AWAITING_DCV, "verification", S.UNDER_VERIFICATION),
        (S.AWAITING_DCV, "no_followup", S.NO_FOLLOWUP_AWAITING_FEE),
        (S.NO_FOLLOWUP_AWAITING_FEE, "fee_paid", S.NO_FOLLOWUP_FEE_PAID),
        (S.QUOTE, "quote_signed", S.QUOTE_SIGNED),
        (S.QUOTE_SIGNED, "verification", S.UNDER_VERIFICATION),
    ],
)
def test_each_move_is_a_staff_action_with_its_note(
    staff_client, staff, account, product, source, code, target
):
    order = make_order(account, product, status=source)
    response = staff_client.post(move_url(order, code), {"note": "Kbis missing"})
    assert response["Location"] == change_url(order)
    order.refresh_from_db()
    assert order.status == target and order.handler_name == staff.username
    event = AuditEvent.objects.get(action="order.status_changed", object_id=order.reference)
    assert event.is_staff_action and event.user == staff and event.account == account
    assert event.details == {"from": source, "to": target, "note": "Kbis missing"}


@pytest.mark.django_db
def test_moves_refused_by_the_status_say_why(staff_client, account, product):
    order = make_order(account, product, status=S.AWAITING_PAYMENT)
    response = staff_client.post(move_url(order, "dormant"), follow=True)
    assert any("is not possible for order" in text for text in texts(response))
    # Skipping the payment or the approval is not a staff move.
    staff_client.post(move_url(order, "verification"))
    approval = make_order(account, product, status=S.AWAITING_APPROVAL)
    staff_client.post(move_url(approval, "verification"))
    assert Order.objects.get(pk=order.pk).status == S.AWAITING_PAYMENT
    assert Order.objects.get(pk=approval.pk).status == S.AWAITING_APPROVAL
    assert staff_client.post(move_url(order, "delivered")).status_code == 404
    assert staff_client.get(move_url(order, "dormant")).status_code == 405
    assert not AuditEvent.objects.filter(action="order.status_changed").exists()


@pytest.mark.django_db
def test_staff_comment_reaches_the_customer_with_the_handler_name(
    staff_client, staff, client, tech, account, product
):
    order = make_order(account, product, status=S.UNDER_VERIFICATION, paid=True)
    staff_client.post(
        reverse("admin:orders_order_comment", args=[order.pk]), {"text": "Please sign the mandate."}
    )
    comment = OrderComment.objects.get(order=order)
    assert comment.from_staff and comment.author == staff
    assert AuditEvent.objects.get(action="order.commented").is_staff_action
    page = staff_client.get(change_url(order)).content.decode()
    assert "Please sign the mandate." in page  # the inline
    response = staff_client.post(
        reverse("admin:orders_order_comment", args=[order.pk]), {"text": ""}, follow=True
    )
    assert any("required" in text for text in texts(response))
    page = log_in(client, tech).get(reverse("orders:detail", args=[order.reference])).content.decode()
    assert "Please sign the mandate." in page and f"Handled by {staff.username}" in page


@pytest.mark.django_db
def test_request_documents_emails_the_technical_contact_and_counts_on_the_page(
    staff_client, client, tech, account, product, mailoutbox, django_capture_on_commit_callbacks
):
    order = make_order(account, product, status=S.UNDER_VERIFICATION, paid=True)
    url = reverse("admin:orders_order_request_documents", args=[order.pk])
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(url, {"kinds": ["kbis", "mandate"], "note": "Signed by the manager"})
    assert sorted(DocumentRequest.objects.filter(order=order).values_list("kind", flat=True)) == [
        "kbis",
        "mandate",
    ]
    assert [m.to for m in mailoutbox] == [[order.technical_contact.email]]
    assert "Signed mandate" in mailoutbox[0].body and "Signed by the manager" in mailoutbox[0].body
    event = AuditEvent.objects.get(action="order.documents_requested")
    assert event.is_staff_action and event.details["kinds"] == ["kbis", "mandate"]
    response = staff_client.post(url, {"kinds": ["kbis"]}, follow=True)
    assert any("already requested" in text for text in texts(response))
    assert DocumentRequest.objects.filter(order=order).count() == 2
    response = staff_client.post(url, {"note": "nothing chosen"}, follow=True)
    assert any("required" in text for text in texts(response))
    page = log_in(client, tech).get(reverse("orders:detail", args=[order.reference])).content.decode()
    assert "2 documents requested by the auditor" in page and "Send the requested documents (2)" in page


@pytest.mark.django_db
def test_no_documents_are_requested_for_a_delivered_order(staff_client, account, product):
    order = make_order(account, product, status=S.UNDER_VERIFICATION, paid=True)
    deliver(order)
    response = staff_client.post(
        reverse("admin:orders_order_request_documents", args=[order.pk]), {"kinds": ["kbis"]}, follow=True
    )
    assert any("no documents can be requested" in text for text in texts(response))
    assert not DocumentRequest.objects.exists()


@pytest.mark.django_db
def test_staff_cancel_and_document_download(staff_client, staff, tech, account, product):
    order = make_order(account, product, status=S.DORMANT, paid=True)
    document = send_audit_document(order, kind="kbis", upload=SimpleUploadedFile("kbis.pdf", PDF), user=tech)
    page = staff_client.get(change_url(order)).content.decode()
    download = reverse("admin:orders_order_document", args=[order.pk, document.pk])
    assert download in page
    response = staff_client.get(download)
    assert response["Content-Type"] == "application/pdf" and b"".join(response.streaming_content) == PDF
    url = reverse("admin:orders_order_cancel", args=[order.pk])
    staff_client.post(url, {"reason": ""})
    assert Order.objects.get(pk=order.pk).status == S.DORMANT
    staff_client.post(url, {"reason": "Documents never received"})
    order.refresh_from_db()
    assert order.status == S.CANCELLED_REFUNDED and order.cancel_reason == "Documents never received"
    assert AuditEvent.objects.get(action="order.cancelled").is_staff_action
    assert url not in staff_client.get(change_url(order)).content.decode()


@pytest.mark.django_db
def test_account_users_cannot_use_the_processing_actions(client, owner, account, product):
    order = make_order(account, product, status=S.UNDER_VERIFICATION, paid=True)
    client.force_login(owner)
    for url, data in [
        (move_url(order, "dormant"), {}),
        (reverse("admin:orders_order_comment", args=[order.pk]), {"text": "x"}),
        (reverse("admin:orders_order_request_documents", args=[order.pk]), {"kinds": ["kbis"]}),
        (reverse("admin:orders_order_cancel", args=[order.pk]), {"reason": "x"}),
    ]:
        response = client.post(url, data)
        assert response.status_code == 302 and "/staff/login/" in response["Location"]
    assert Order.objects.get(pk=order.pk).status == S.UNDER_VERIFICATION
    assert not OrderComment.objects.exists() and not DocumentRequest.objects.exists()


@pytest.mark.django_db
def test_life_1_statuses_are_reached_by_real_actions(account, tech, owner, staff, product):
    """Issue 5 point 9: each status below is reached by a customer or staff action (delivery by
    `issue_certificate`, tested with the issuing workflow)."""
    account.approval_mode = True
    account.save()
    holder, admin, technical = contacts_of(account)

    def place():
        return submit_order(
            account=Account.objects.get(pk=account.pk),
            user=tech,
            product=product,
            period_months=12,
            organisation=holder,
            admin_contact=admin,
            technical_contact=technical,
            common_name="www.acme.test",
            sans=[],
            csr=make_csr("www.acme.test", key=make_key("p256")),
            server_software="nginx",
            dcv_method="dns",
        )

    seen = set()
    order = place()
    seen.add(order.status)
    seen.add(approve_order(order, user=owner).status)
    pass_dcv(order, staff)  # ORD-8: domains validated first, so payment leads to "under verification"
    seen.add(record_payment(order, user=staff).status)
    for code in ("awaiting_dcv", "dormant", "verification", "no_followup", "fee_paid"):
        seen.add(staff_move(order, code, user=staff).status)
    seen.add(cancel_order(place(), "not needed", user=tech).status)
    paid = place()
    approve_order(paid, user=owner)
    record_payment(paid, user=staff)
    seen.add(cancel_order(paid, "project stopped", user=tech).status)
    Account.objects.filter(pk=account.pk).update(formula=Account.Formula.MONTHLY)
    seen.add(approve_order(place(), user=owner).status)
    assert seen == {
        S.AWAITING_APPROVAL,
        S.AWAITING_PAYMENT,
        S.UNDER_VERIFICATION,
        S.AWAITING_DCV,
        S.DORMANT,
        S.NO_FOLLOWUP_AWAITING_FEE,
        S.NO_FOLLOWUP_FEE_PAID,
        S.CANCELLED,
        S.CANCELLED_REFUNDED,
        S.PROCESSING_AWAITING_PAYMENT,
    }
