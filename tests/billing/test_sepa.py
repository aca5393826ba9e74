"""ADM-5, ORD-9: the SEPA direct debit mandate: IBAN/BIC checks, the prefilled form, the PDF emailed
to the super user, staff validation (audited) and the mandate a direct debit uses."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from pypdf import PdfReader

from accounts.models import AuditEvent
from billing.models import BillingProfile, MandateKind, MandateStatus, PaymentMode, SepaMandate
from billing.services.sepa import (
    MandateError,
    active_mandate,
    clean_bic,
    clean_iban,
    creditor_id,
    request_mandate,
    revoke_mandate,
    validate_mandate,
)

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.billing.test_pricing")]

URL = "/account/sepa/"
IBAN = "FR76 3000 6000 0112 3456 7890 189"
HOLDER = {
    "name": "Acme Hosting",
    "address": "1 rue de la Paix",
    "postal_code": "75002",
    "city": "Paris",
    "country": "FR",
}


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def form_data(**changes) -> dict:
    data = {
        "kind": MandateKind.RECURRING,
        "holder_name": "Acme Hosting",
        "holder_address": "1 rue de la Paix",
        "holder_postal_code": "75002",
        "holder_city": "Paris",
        "holder_country": "FR",
        "iban": IBAN,
        "bic": "AGRIFRPP",
    }
    data.update(changes)
    return data


@pytest.fixture
def mandate(account, owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return request_mandate(
            account, kind=MandateKind.RECURRING, holder=HOLDER, iban=IBAN, bic="AGRIFRPP", by=owner
        )


class TestChecks:
    def test_iban(self):
        assert clean_iban(IBAN) == "FR7630006000011234567890189"
        assert clean_iban("de89 3704 0044 0532 0130 00") == "DE89370400440532013000"
        with pytest.raises(MandateError, match="not valid"):
            clean_iban("FR76 3000 6000 0112 3456 7890 188")  # wrong check digits
        with pytest.raises(MandateError, match="SEPA zone"):
            clean_iban("BR15 0000 0000 0000 1093 2840 814 P2")  # valid, but Brazil

    def test_bic(self):
        assert clean_bic("agrifrpp") == "AGRIFRPP"
        assert clean_bic("DEUTDEFF500") == "DEUTDEFF500"
        with pytest.raises(MandateError):
            clean_bic("AGRI12PP")

    def test_creditor_identifier_setting(self, settings):
        settings.BILLING_SEPA_CREDITOR_ID = "DE98 ZZZ0 9999 9999 99"
        assert creditor_id() == "DE98ZZZ09999999999"
        settings.BILLING_SEPA_CREDITOR_ID = "FR73ZZZ123456"
        with pytest.raises(ImproperlyConfigured, match="check digits"):
            creditor_id()
        settings.BILLING_SEPA_CREDITOR_ID = "nonsense"
        with pytest.raises(ImproperlyConfigured):
            creditor_id()


class TestPage:
    def test_form_is_prefilled_from_the_holder(self, client, billing, account):
        client.force_login(billing)
        page = client.get(URL).content.decode()
        assert 'name="holder_name" value="Acme Hosting"' in page
        assert 'name="holder_city" value="Paris"' in page
        assert '<option value="FR" selected>' in page
        assert "No validated mandate" in page

    def test_bad_iban_is_refused_next_to_its_field_nothing_lost(self, client, billing):
        client.force_login(billing)
        response = client.post(URL, form_data(iban="FR76 1234", holder_name="Acme Finance"))
        page = response.content.decode()
        assert response.status_code == 400
        error_block = page.split('id="field-iban"', 1)[1].split('id="field-bic"', 1)[0]
        assert "This IBAN is not valid" in error_block and 'value="FR76 1234"' in error_block
        assert 'value="Acme Finance"' in page
        assert not SepaMandate.objects.exists()

    def test_request_emails_the_pdf_to_the_super_user(
        self, client, billing, owner, account, mailoutbox, django_capture_on_commit_callbacks, settings
    ):
        settings.BILLING_SEPA_CREDITOR_ID = "FR72ZZZ123456"
        client.force_login(billing)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(URL, form_data())
        assert response.status_code == 302
        mandate = SepaMandate.objects.get()
        assert mandate.status == MandateStatus.PENDING and mandate.created_by == billing
        assert mandate.reference.startswith(f"RUM{account.pk:06d}") and len(mandate.reference) <= 35
        assert mandate.iban == "FR7630006000011234567890189"
        text = pdf_text(bytes(mandate.pdf))
        for expected in (
            "SEPA direct debit mandate",
            mandate.reference,
            "FR72ZZZ123456",
            "FR7630006000011234567890189",
            "AGRIFRPP",
            "Acme Hosting",
            "1 rue de la Paix, 75002 Paris",
            "Recurrent payment",
            "Certificate Portal Demo",
            "refund from your bank",
        ):
            assert expected in text, expected
        assert len(mailoutbox) == 1
        mail = mailoutbox[0]
        assert mail.to == [owner.email] and mail.cc == [billing.email]
        assert mail.attachments == [(mandate.pdf_filename, bytes(mandate.pdf), "application/pdf")]
        assert mandate.reference in mail.subject and "FR76 **** 0189" in mail.body
        assert (
            AuditEvent.objects.get(action="billing.sepa_mandate_requested").details["iban"]
            == "FR76 **** 0189"
        )
        page = client.get(URL).content.decode()
        assert mandate.reference in page and "Awaiting the signed mandate" in page
        pdf = client.get(reverse("account_info:sepa_pdf", args=[mandate.public_id]))
        assert pdf.status_code == 200 and pdf.content == bytes(mandate.pdf)

    def test_refusals(self, client, tech, outsider, mandate):
        client.force_login(tech)
        assert client.get(URL).status_code == 403
        assert client.post(URL, form_data()).status_code == 403
        client.force_login(outsider)
        assert client.get(reverse("account_info:sepa_pdf", args=[mandate.public_id])).status_code == 404
        assert mandate.reference not in client.get(URL).content.decode()


class TestValidation:
    def test_staff_validate_in_the_admin(self, client, staff, mandate, account):
        assert active_mandate(account) is None
        client.force_login(staff)
        response = client.post(
            reverse("admin:billing_sepamandate_changelist"),
            {"action": "validate", "_selected_action": [mandate.pk]},
        )
        assert response.status_code == 302
        mandate.refresh_from_db()
        assert mandate.status == MandateStatus.VALIDATED and mandate.validated_by == staff
        assert mandate.signed_at is not None
        assert active_mandate(account) == mandate
        assert BillingProfile.objects.get(account=account).default_payment_mode == PaymentMode.DIRECT_DEBIT
        event = AuditEvent.objects.get(action="billing.sepa_mandate_validated")
        assert event.user == staff and event.is_staff_action
        assert client.get(reverse("admin:billing_sepamandate_pdf", args=[mandate.pk])).status_code == 200

    def test_a_new_mandate_replaces_the_old_one(
        self, staff, mandate, account, owner, django_capture_on_commit_callbacks
    ):
        validate_mandate(mandate, staff)
        validate_mandate(mandate, staff)  # idempotent
        with django_capture_on_commit_callbacks(execute=True):
            newer = request_mandate(
                account,
                kind=MandateKind.RECURRING,
                holder=HOLDER,
                iban="DE89370400440532013000",
                bic="DEUTDEFF",
                by=owner,
            )
        assert active_mandate(account) == mandate  # still the old one until the new is validated
        validate_mandate(newer, staff)
        mandate.refresh_from_db()
        assert mandate.status == MandateStatus.REVOKED and active_mandate(account) == newer
        assert AuditEvent.objects.filter(action="billing.sepa_mandate_validated").count() == 2

    def test_revoke(self, staff, mandate, account):
        validate_mandate(mandate, staff)
        revoke_mandate(mandate, staff)
        assert active_mandate(account) is None
        assert BillingProfile.objects.get(account=account).default_payment_mode == PaymentMode.CARD
        with pytest.raises(MandateError):
            validate_mandate(mandate, staff)
        assert AuditEvent.objects.filter(action="billing.sepa_mandate_revoked").count() == 1

    def test_validated_status_shows_on_the_page(self, client, billing, staff, mandate):
        validate_mandate(mandate, staff)
        client.force_login(billing)
        page = client.get(URL).content.decode()
        assert 'data-testid="sepa-active"' in page and "FR76 **** 0189" in page
