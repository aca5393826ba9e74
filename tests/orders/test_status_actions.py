"""Status page actions (LIFE-5 to LIFE-8): revoke, revoke all, cancel, comments, notes, documents for
the audit, acceptance; each with its refusals (rights, other account, state)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import AuditEvent, Right
from orders.models import AuditDocument, Certificate, DocumentRequest, Order, OrderComment, OrderStatus
from orders.services.actions import add_comment
from orders.services.documents import send_audit_document
from tests.factories import make_product, make_staff, make_user
from tests.support.delivered import REAUTH_TIMEOUT, deliver, log_in
from tests.support.orders import make_order

S = OrderStatus
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def sales(account):
    return make_user(account, "sales", rights=[Right.COMMERCIAL])


@pytest.fixture
def delivered(account, product):
    order = make_order(account, product, status=S.UNDER_VERIFICATION, paid=True)
    certificate = deliver(order)
    return order, certificate


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def detail(order):
    return reverse("orders:detail", args=[order.reference])


def events(action, order):
    return AuditEvent.objects.filter(action=action, object_id=order.reference)


def crl_entry(client, certificate):
    response = client.get(reverse("pki:crl", args=[certificate.issuer.slug]))
    assert response.status_code == 200
    crl = x509.load_der_x509_crl(response.content)
    return crl.get_revoked_certificate_by_serial_number(int(certificate.serial, 16))


# The status page offers what the rights and the state allow -----------------------------------------


@pytest.mark.django_db
def test_technical_user_sees_the_actions_of_a_delivered_order(client, tech, delivered):
    order, certificate = delivered
    page = log_in(client, tech).get(detail(order)).content.decode()
    assert reverse("orders:revoke", args=[order.reference, certificate.serial]) in page
    assert reverse("orders:note", args=[order.reference, certificate.serial]) in page
    assert reverse("orders:accept", args=[order.reference, certificate.serial]) in page
    assert reverse("orders:comment", args=[order.reference]) in page
    # Delivered: neither cancel nor documents; one certificate: no "revoke all".
    assert reverse("orders:cancel", args=[order.reference]) not in page
    assert reverse("orders:send_document", args=[order.reference]) not in page
    assert reverse("orders:revoke_all", args=[order.reference]) not in page


@pytest.mark.django_db
def test_commercial_user_sees_no_action(client, sales, account, product):
    order = make_order(account, product, status=S.UNDER_VERIFICATION, paid=True)
    certificate = deliver(order, status=S.AWAITING_DCV)  # still in progress, with a certificate
    page = log_in(client, sales).get(detail(order)).content.decode()
    assert certificate.serial in page
    for name, args in [
        ("revoke", [certificate.serial]),
        ("note", [certificate.serial]),
        ("cancel", []),
        ("comment", []),
        ("send_document", []),
        ("accept", [certificate.serial]),
    ]:
        assert reverse(f"orders:{name}", args=[order.reference, *args]) not in page, name


# Revocation (LIFE-5) ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_revoke_warns_asks_a_reason_confirms_then_the_crl_lists_the_serial(
    client, tech, delivered, mailoutbox, django_capture_on_commit_callbacks
):
    order, certificate = delivered
    url = reverse("orders:revoke", args=[order.reference, certificate.serial])
    log_in(client, tech)
    page = client.get(url).content.decode()
    assert "revocation is final and is not refunded" in page and "reissue" in page
    # Step 1: the reason, answered by the final confirmation; nothing revoked yet.
    page = client.post(url, {"reason": "key_compromise"}).content.decode()
    assert "Confirm the revocation" in page and "Key compromise" in page
    assert Certificate.objects.get(pk=certificate.pk).state == Certificate.State.VALID
    assert crl_entry(client, certificate) is None
    # Step 2: confirmed.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"reason": "key_compromise", "confirmed": "on"})
    assert response["Location"] == detail(order)
    certificate.refresh_from_db()
    assert (
        certificate.state == Certificate.State.REVOKED and certificate.revocation_reason == "key_compromise"
    )
    entry = crl_entry(client, certificate)
    assert entry is not None
    assert (
        entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
        == x509.ReasonFlags.key_compromise
    )
    event = events("certificate.revoked", order).get()
    assert event.user == tech and event.details["serial"] == certificate.serial
    assert event.details["reason"] == "key_compromise"
    assert [m.to for m in mailoutbox] == [[order.technical_contact.email]]
    assert certificate.serial in mailoutbox[0].body and "Key compromise" in mailoutbox[0].body
    # The page shows it revoked, without a revoke button any more.
    page = client.get(detail(order)).content.decode()
    assert "Revoked" in page and url not in page


@pytest.mark.django_db
def test_revoke_needs_a_recent_authentication(client, tech, delivered):
    order, certificate = delivered
    url = reverse("orders:revoke", args=[order.reference, certificate.serial])
    log_in(client, tech, authenticated_seconds_ago=REAUTH_TIMEOUT + 60)
    for response in (client.get(url), client.post(url, {"reason": "superseded", "confirmed": "on"})):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert Certificate.objects.get(pk=certificate.pk).state == Certificate.State.VALID


@pytest.mark.django_db
def test_revoke_refusals(client, sales, outsider, delivered):
    order, certificate = delivered
    url = reverse("orders:revoke", args=[order.reference, certificate.serial])
    assert log_in(client, sales).post(url, {"reason": "superseded", "confirmed": "on"}).status_code == 403
    assert log_in(client, outsider).post(url, {"reason": "superseded", "confirmed": "on"}).status_code == 404
    assert Certificate.objects.get(pk=certificate.pk).state == Certificate.State.VALID
    assert not events("certificate.revoked", order).exists()


@pytest.mark.django_db
def test_revoke_with_an_unknown_reason_is_a_form_error(client, tech, delivered):
    order, certificate = delivered
    url = reverse("orders:revoke", args=[order.reference, certificate.serial])
    response = log_in(client, tech).post(url, {"reason": "ca_compromise", "confirmed": "on"})
    assert response.status_code == 200
    assert 'class="field has-error"' in response.content.decode()
    assert Certificate.objects.get(pk=certificate.pk).state == Certificate.State.VALID


@pytest.mark.django_db
def test_revoking_a_revoked_expired_or_imported_certificate_says_why(
    client, tech, account, product, delivered
):
    order, certificate = delivered
    log_in(client, tech)
    url = reverse("orders:revoke", args=[order.reference, certificate.serial])
    client.post(url, {"reason": "superseded", "confirmed": "on"})
    response = client.post(url, {"reason": "key_compromise", "confirmed": "on"}, follow=True)
    assert response.status_code == 200 and "cannot be revoked" in response.content.decode()
    assert Certificate.objects.get(pk=certificate.pk).revocation_reason == "superseded"
    assert events("certificate.revoked", order).count() == 1

    old = make_order(account, product, status=S.UNDER_VERIFICATION, paid=True, common_name="old.acme.test")
    expired = deliver(old, now=timezone.now() - timedelta(days=500))
    response = client.post(
        reverse("orders:revoke", args=[old.reference, expired.serial]),
        {"reason": "superseded", "confirmed": "on"},
        follow=True,
    )
    assert "cannot be revoked" in response.content.decode()

    Certificate.objects.filter(pk=certificate.pk).update(state=Certificate.State.VALID, imported=True)
    response = client.post(url, {"reason": "superseded", "confirmed": "on"}, follow=True)
    assert "cannot be revoked" in response.content.decode()


@pytest.mark.django_db
def test_revoke_all_revokes_every_valid_certificate_with_one_email(
    client, tech, account, product, mailoutbox, django_capture_on_commit_callbacks
):
    order = make_order(account, product, status=S.UNDER_VERIFICATION, paid=True)
    first, second = deliver(order), deliver(order)
    url = reverse("orders:revoke_all", args=[order.reference])
    log_in(client, tech)
    page = client.get(detail(order)).content.decode()
    assert url in page
    assert "Revoke the 2 certificates" in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"reason": "cessation_of_operation", "confirmed": "on"})
    for certificate in (first, second):
        certificate.refresh_from_db()
        assert certificate.state == Certificate.State.REVOKED
        flag = crl_entry(client, certificate).extensions.get_extension_for_class(x509.CRLReason).value.reason
        assert flag == x509.ReasonFlags.cessation_of_operation
    assert events("certificate.revoked", order).count() == 2
    assert len(mailoutbox) == 1 and first.serial in mailoutbox[0].body and second.serial in mailoutbox[0].body
    response = client.get(url, follow=True)
    assert "no valid certificate left to revoke" in response.content.decode()


# Cancellation (LIFE-6) --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_cancel_an_unpaid_order_with_a_reason(
    client, tech, account, product, mailoutbox, django_capture_on_commit_callbacks
):
    order = make_order(account, product, status=S.AWAITING_PAYMENT)
    url = reverse("orders:cancel", args=[order.reference])
    log_in(client, tech)
    assert url in client.get(detail(order)).content.decode()
    assert "cancellation fees may apply" in client.get(url).content.decode()
    response = client.post(url, {"reason": "   "})
    assert 'class="field has-error"' in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"reason": "Ordered twice by mistake"})
    assert response["Location"] == detail(order)
    order.refresh_from_db()
    assert (
        order.status == S.CANCELLED
        and order.cancel_reason == "Ordered twice by mistake"
        and order.cancelled_at
    )
    assert events("order.cancelled", order).get().details == {
        "reason": "Ordered twice by mistake",
        "paid": False,
    }
    assert events("order.status_changed", order).get().details["to"] == S.CANCELLED
    assert [m.to for m in mailoutbox] == [[order.technical_contact.email]]
    assert "Ordered twice by mistake" in mailoutbox[0].body
    assert "Ordered twice by mistake" in client.get(detail(order)).content.decode()


@pytest.mark.django_db
def test_cancel_a_paid_order_is_cancelled_and_refunded(client, tech, account, product):
    order = make_order(account, product, status=S.UNDER_VERIFICATION, paid=True)
    log_in(client, tech).post(reverse("orders:cancel", args=[order.reference]), {"reason": "Project stopped"})
    order.refresh_from_db()
    assert order.status == S.CANCELLED_REFUNDED


@pytest.mark.django_db
def test_cancel_refusals(client, tech, sales, outsider, account, product, delivered):
    pending = make_order(account, product, status=S.AWAITING_PAYMENT)
    url = reverse("orders:cancel", args=[pending.reference])
    assert log_in(client, sales).post(url, {"reason": "x"}).status_code == 403
    assert log_in(client, outsider).post(url, {"reason": "x"}).status_code == 404
    assert Order.objects.get(pk=pending.pk).status == S.AWAITING_PAYMENT
    order, _certificate = delivered
    response = log_in(client, tech).post(
        reverse("orders:cancel", args=[order.reference]), {"reason": "x"}, follow=True
    )
    assert response.status_code == 200
    assert "cannot be cancelled while it is “Delivered and paid”" in response.content.decode()
    assert Order.objects.get(pk=order.pk).status == S.DELIVERED_PAID
    assert not events("order.cancelled", order).exists()


# Comments (LIFE-2) ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_customer_and_staff_comments_show_on_the_page(client, tech, account, product):
    order = make_order(account, product, status=S.UNDER_VERIFICATION, paid=True)
    url = reverse("orders:comment", args=[order.reference])
    log_in(client, tech)
    response = client.post(url, {"text": ""})
    assert 'class="field has-error"' in response.content.decode()
    response = client.post(url, {"text": "The Kbis is on its way."})
    assert response["Location"] == detail(order) + "#comments"
    comment = OrderComment.objects.get(order=order)
    assert not comment.from_staff and comment.author == tech
    add_comment(order, "We are waiting for the Kbis.", user=make_staff("auditor"))
    page = client.get(detail(order)).content.decode()
    assert "The Kbis is on its way." in page and "We are waiting for the Kbis." in page
    assert "our team" in page and 'class="comment from-staff"' in page
    assert events("order.commented", order).count() == 2


@pytest.mark.django_db
def test_comment_refusals(client, sales, outsider, tech, account, product):
    order = make_order(account, product, status=S.AWAITING_PAYMENT)
    url = reverse("orders:comment", args=[order.reference])
    assert log_in(client, sales).post(url, {"text": "hi"}).status_code == 403
    assert log_in(client, outsider).post(url, {"text": "hi"}).status_code == 404
    closed = make_order(account, product, status=S.CANCELLED)
    response = log_in(client, tech).post(
        reverse("orders:comment", args=[closed.reference]), {"text": "hi"}, follow=True
    )
    assert "takes no more comments" in response.content.decode()
    assert not OrderComment.objects.exists()


# Notes (LIFE-7) ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_note_per_certificate(client, tech, sales, outsider, delivered):
    order, certificate = delivered
    url = reverse("orders:note", args=[order.reference, certificate.serial])
    assert log_in(client, sales).post(url, {"note": "x"}).status_code == 403
    assert log_in(client, outsider).post(url, {"note": "x"}).status_code == 404
    log_in(client, tech)
    response = client.post(url, {"note": "  Front   server  "})
    assert response["Location"] == f"{detail(order)}#certificate-{certificate.serial}"
    assert Certificate.objects.get(pk=certificate.pk).note == "Front server"
    assert 'value="Front server"' in client.get(detail(order)).content.decode()
    client.post(url, {"note": "Front server"})  # unchanged: no second event
    assert events("certificate.note_changed", order).get().details["note"] == "Front server"
    response = client.post(url, {"note": "x" * 251})
    assert response.status_code == 200 and 'class="field has-error"' in response.content.decode()
    assert "x" * 251 in response.content.decode()  # what was typed is kept


# Documents for the audit (LIFE-8) ---------------------------------------------------------------------


@pytest.mark.django_db
def test_send_a_requested_document_notifies_the_auditor(
    client, tech, staff, account, product, mailoutbox, django_capture_on_commit_callbacks
):
    order = make_order(account, product, status=S.UNDER_VERIFICATION, paid=True)
    DocumentRequest.objects.create(account=account, order=order, kind="kbis", note="Less than 3 months old")
    DocumentRequest.objects.create(account=account, order=order, kind="identity")
    log_in(client, tech)
    page = client.get(detail(order)).content.decode()
    assert "2 documents requested by the auditor" in page and "Less than 3 months old" in page
    url = reverse("orders:send_document", args=[order.reference])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {
                "kind": "kbis",
                "comment": "Fresh extract",
                "file": SimpleUploadedFile("kbis.pdf", PDF, "application/pdf"),
            },
        )
    assert response["Location"] == detail(order) + "#documents"
    document = AuditDocument.objects.get(order=order)
    assert document.original_name == "kbis.pdf" and document.uploaded_by == tech
    assert document.request.kind == "kbis" and document.request.fulfilled_at is not None
    assert [m.to for m in mailoutbox] == [[staff.email]]
    assert order.reference in mailoutbox[0].subject and "kbis.pdf" in mailoutbox[0].body
    assert events("order.document_sent", order).get().details["kind"] == "kbis"
    page = client.get(detail(order)).content.decode()
    assert "1 document requested by the auditor" in page
    download = client.get(reverse("orders:document", args=[order.reference, document.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == PDF


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("scan.pdf", PNG, "is not a PDF document"),
        ("notes.txt", b"hello", "Send a PDF, JPEG or PNG file."),
        ("photo.png", b"%PDF-1.4 fake", "is not a PNG document"),
        ("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), "larger than 10 MB"),
    ],
)
def test_uploads_of_the_wrong_type_or_size_are_refused(
    client, tech, account, product, name, content, message
):
    order = make_order(account, product, status=S.UNDER_VERIFICATION, paid=True)
    response = log_in(client, tech).post(
        reverse("orders:send_document", args=[order.reference]),
        {"kind": "other", "comment": "see attached", "file": SimpleUploadedFile(name, content)},
    )
    page = response.content.decode()
    assert response.status_code == 200 and message in page
    assert "see attached" in page  # the comment typed is kept
    assert not AuditDocument.objects.exists()


@pytest.mark.django_db
def test_document_refusals(client, tech, sales, outsider, account, product, delivered):
    order = make_order(account, product, status=S.UNDER_VERIFICATION, paid=True)
    url = reverse("orders:send_document", args=[order.reference])
    upload = {"kind": "kbis", "file": SimpleUploadedFile("kbis.pdf", PDF)}
    assert log_in(client, sales).post(url, upload).status_code == 403
    assert log_in(client, outsider).get(url).status_code == 404
    delivered_order, _certificate = delivered
    response = log_in(client, tech).post(
        reverse("orders:send_document", args=[delivered_order.reference]),
        {"kind": "kbis", "file": SimpleUploadedFile("kbis.pdf", PDF)},
        follow=True,
    )
    assert "documents cannot be sent" in response.content.decode()
    assert not AuditDocument.objects.exists()


@pytest.mark.django_db
def test_only_the_accounts_own_documents_download(client, sales, outsider, account, product):
    order = make_order(account, product, status=S.UNDER_VERIFICATION, paid=True)
    document = send_audit_document(order, kind="kbis", upload=SimpleUploadedFile("k.png", PNG), user=sales)
    url = reverse("orders:document", args=[order.reference, document.pk])
    assert log_in(client, sales).get(url)["Content-Type"] == "image/png"  # commercial may read
    assert log_in(client, outsider).get(url).status_code == 404


# Acceptance (LIFE-8) ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_certificates_to_accept_pages_keep_to_the_brand_and_follow_a_rename(
    client, tech, account, product, monkeypatch
):
    """LIST-3, issue 17: the list is paged (read over the order's stored brand name), shows only
    the acceptance brands' certificates, and still finds them after the brand is renamed."""
    from orders.views import actions as action_views

    monkeypatch.setattr(action_views, "TO_ACCEPT_PER_PAGE", 2)
    certigna = make_product("certigna-ssl", brand_code="certigna")
    mine = [make_order(account, certigna, status=S.UNDER_VERIFICATION, paid=True) for _ in range(3)]
    for order in mine:
        deliver(order)
    other = make_order(account, product, status=S.UNDER_VERIFICATION, paid=True)
    deliver(other)
    log_in(client, tech)
    url = reverse("orders:to_accept")
    first, second = client.get(url).content.decode(), client.get(url, {"page": 2}).content.decode()
    assert sum(order.reference in first for order in mine) == 2
    assert sum(order.reference in second for order in mine) == 1 and "?page=1" in second
    assert other.reference not in first + second
    certigna.brand.name = "Certigna (Dhimyotis)"
    certigna.brand.save()
    both = client.get(url, {"per_page": 50}).content.decode() + client.get(url, {"page": 2}).content.decode()
    assert all(order.reference in both for order in mine)


@pytest.mark.django_db
def test_accept_a_certigna_certificate_within_30_days(client, tech, account):
    certigna = make_product("certigna-ssl", brand_code="certigna")
    order = make_order(account, certigna, status=S.UNDER_VERIFICATION, paid=True)
    certificate = deliver(order)
    log_in(client, tech)
    deadline = (certificate.created_at + timedelta(days=30)).astimezone(timezone.get_current_timezone())
    page = client.get(detail(order)).content.decode()
    assert "must be accepted by" in page and date_format(deadline, "SHORT_DATE_FORMAT") in page
    to_accept = client.get(reverse("orders:to_accept")).content.decode()
    assert order.reference in to_accept
    url = reverse("orders:accept", args=[order.reference, certificate.serial])
    assert client.get(url).status_code == 200
    assert client.post(url)["Location"] == detail(order)
    client.post(url)  # twice: accepted once
    certificate.refresh_from_db()
    assert certificate.accepted_at is not None
    assert events("certificate.accepted", order).count() == 1
    assert order.reference not in client.get(reverse("orders:to_accept")).content.decode()
    assert "must be accepted by" not in client.get(detail(order)).content.decode()


@pytest.mark.django_db
def test_acceptance_refusals(client, tech, sales, outsider, delivered):
    order, certificate = delivered
    url = reverse("orders:accept", args=[order.reference, certificate.serial])
    assert (
        "must be accepted by" not in log_in(client, tech).get(detail(order)).content.decode()
    )  # not Certigna
    assert log_in(client, sales).post(url).status_code == 403
    assert log_in(client, outsider).post(url).status_code == 404
    Certificate.objects.filter(pk=certificate.pk).update(state=Certificate.State.REVOKED)
    response = log_in(client, tech).post(url, follow=True)
    assert "can no longer be accepted" in response.content.decode()
    assert Certificate.objects.get(pk=certificate.pk).accepted_at is None


@pytest.mark.django_db
def test_status_page_queries_do_not_grow_with_certificates(
    client, tech, account, product, django_assert_max_num_queries
):
    order = make_order(account, product, status=S.UNDER_VERIFICATION, paid=True)
    deliver(order)
    log_in(client, tech)
    with CaptureQueriesContext(connection) as one:
        client.get(detail(order))
    for _i in range(3):
        deliver(order)
    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get(detail(order))
