"""ORD-2 / ORD-4: every product type ordered end to end (form → review → confirm), each with its own fields
and their errors next to them, through the test client."""

from __future__ import annotations

from decimal import Decimal

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID
from django.urls import reverse

from accounts.models import AuditEvent, Contact, Organisation, Right
from catalog.models import ProductType
from orders.ca import get_connector
from orders.models import Order, OrderStatus
from orders.services.pricing import ASSISTANCE_PRICE, DOCUMENT_PACK_PRICE
from tests.factories import make_user
from tests.support.ordering import (
    base_data,
    confirm,
    csr_for,
    field_errors,
    make_typed_product,
    order_url,
    post_form,
    review_page,
    server_product,
    token_of,
)
from tests.support.orders import contacts_of, form_data

T = ProductType
pytestmark = pytest.mark.django_db


def without_payment(options: dict) -> dict:
    """The product's own options; the payment choice (ORD-9) is stored beside them."""
    return {k: v for k, v in options.items() if k != "payment"}


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://portal.example.test"


@pytest.fixture
def tech_client(client, tech):
    client.force_login(tech)
    return client


# Server certificates: assistance, machine licences, chain -----------------------------------


def test_digicert_server_form_offers_chain_licences_and_assistance(tech_client):
    digicert = server_product("dc-ov", brand_code="digicert")
    page = tech_client.get(order_url(digicert, months=12)).content.decode()
    assert '<option value="digicert-g2" selected>' in page and "DigiCert Global Root G2 (recommended)" in page
    assert 'name="licences"' in page and "79.00 € excl. VAT per licence and year" in page
    assert 'name="assistance"' in page and "49.00" in page
    plain = server_product("tbs-ov")
    page = tech_client.get(order_url(plain)).content.decode()
    assert 'name="chain"' not in page and 'name="licences"' not in page
    assert 'name="assistance"' in page


def test_server_order_with_assistance_licences_and_chain(
    tech_client, account, mailoutbox, django_capture_on_commit_callbacks
):
    digicert = server_product("dc-ov", brand_code="digicert", prices={12: "200.00"})
    data = form_data(
        account,
        sans="acme.test",
        assistance="on",
        licences="3",
        chain="digicert-global-root-ca",
        csr_mode="keybot",
    )
    token = token_of(post_form(tech_client, digicert, data))
    page = review_page(tech_client, token)
    assert 'class="option-assistance"' in page and 'class="option-licences"' in page
    assert "3 × 79.00 €" in page and "237.00 €" in page
    assert "DigiCert Global Root CA (older devices)" in page
    assert 'class="price-excl">486.00 €' in page  # 200 + 49 + 3 × 79
    with django_capture_on_commit_callbacks(execute=True):
        order = confirm(tech_client, token)
    assert order.price_excl_vat == Decimal("200.00") + ASSISTANCE_PRICE + Decimal("237.00")
    assert without_payment(order.options) == {
        "csr_mode": "keybot",
        "assistance": True,
        "licences": 3,
        "chain": "digicert-global-root-ca",
    }
    assert order.dcv_method == "dns" and order.server_software == "nginx" and order.csr
    assert "Additional machine licences × 3: 237.00 €" in mailoutbox[0].body


def test_assistance_lets_the_csr_come_later(tech_client, account):
    product = server_product()
    refused = post_form(tech_client, product, form_data(account, csr=""))
    assert "Paste the CSR, or let KeyBot make it" in field_errors(refused.content.decode(), "csr")
    token = token_of(post_form(tech_client, product, form_data(account, csr="", assistance="on")))
    assert "our team contacts you to make it with you" in review_page(tech_client, token)
    order = confirm(tech_client, token)
    assert order.csr == "" and order.options["assistance"] is True


def test_keybot_mode_without_csr_says_to_generate_it(tech_client, account):
    response = post_form(tech_client, server_product(), form_data(account, csr="", csr_mode="keybot"))
    assert "Generate the CSR with KeyBot" in field_errors(response.content.decode(), "csr")


def test_licences_and_chain_errors_next_to_their_fields(tech_client, account):
    digicert = server_product("dc-ov", brand_code="digicert")
    response = post_form(tech_client, digicert, form_data(account, licences="51", chain="made-up"))
    page = response.content.decode()
    assert "less than or equal to 50" in field_errors(page, "licences")
    assert "Select a valid choice" in field_errors(page, "chain")
    assert 'value="51"' in page and 'value="PO-2026-042"' in page  # nothing typed lost
    assert not Order.objects.exists()


# Client certificates -----------------------------------------------------------------------------


def client_product(code: str = "smime", **fields):
    return make_typed_product(code, T.CLIENT, validation="IV", **fields)


def test_client_form_has_holder_and_csr_modes_but_no_names(tech_client):
    page = tech_client.get(order_url(client_product())).content.decode()
    assert (
        'name="common_name"' not in page
        and 'name="dcv_method"' not in page
        and 'name="server_software"' not in page
    )
    assert "Certificate holder (administrative contact)" in page
    assert 'value="manual"' in page and 'value="keybot"' in page and 'value="invitation"' in page
    assert 'id="keybot-context"' in page and "js/keybot.bundle." in page


def test_client_certificate_holds_the_holders_email(
    tech_client, account, tech, mailoutbox, django_capture_on_commit_callbacks
):
    holder, admin, tech_contact = contacts_of(account)
    product = client_product()
    csr = csr_for(admin.email, email=admin.email, org=holder.name)
    token = token_of(post_form(tech_client, product, base_data(account, csr=csr, csr_mode="manual")))
    page = review_page(tech_client, token)
    assert "Certificate holder" in page and admin.email in page and "csr-warnings" not in page
    with django_capture_on_commit_callbacks(execute=True):
        order = confirm(tech_client, token)
    assert order.common_name == admin.email and order.sans == [] and order.dcv_method == ""
    assert order.server_software == "" and without_payment(order.options) == {"csr_mode": "manual"}
    assert order.status == OrderStatus.AWAITING_PAYMENT and order.created_by == tech
    assert [m.to for m in mailoutbox] == [[tech_contact.email]]  # the confirmation, to the technical contact
    assert f"Certificate holder: {admin.email}" in mailoutbox[0].body
    # The embedded CA issues it with the holder's address as an RFC 822 name (S/MIME BR 7.1.2.3).
    issued = get_connector(product.brand).issue(
        product=product, csr_pem=order.csr, common_name=order.common_name, names=order.sans
    )
    cert = x509.load_pem_x509_certificate(issued.pem.encode())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.RFC822Name) == [admin.email]
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in eku


def test_client_csr_with_another_email_gets_a_hint(tech_client, account):
    holder, admin, _tech = contacts_of(account)
    csr = csr_for("someone@else.test", email="someone@else.test", city="Lyon", country="BE")
    token = token_of(post_form(tech_client, client_product(), base_data(account, csr=csr)))
    page = review_page(tech_client, token)
    assert "csr-warnings" in page
    assert f"email address “someone@else.test” differs from the holder&#x27;s “{admin.email}”" in page
    assert "locality “Lyon” differs from the holder organisation&#x27;s city “Paris”" in page
    assert "country “BE” differs" in page


def test_client_manual_mode_needs_a_csr_and_holder_of_the_organisation(tech_client, account):
    other_org = Organisation.objects.create(
        account=account,
        name="Customer SA",
        registration_number="552100554",
        address="x",
        postal_code="1",
        city="Paris",
    )
    response = post_form(
        tech_client, client_product(), base_data(account, organisation=other_org.public_id, csr_mode="manual")
    )
    page = response.content.decode()
    assert "Paste the CSR" in field_errors(page, "csr")
    assert "must belong to the holder organisation" in field_errors(page, "admin_contact")


def test_client_by_invitation_has_no_csr_and_emails_the_holder(
    tech_client, account, mailoutbox, django_capture_on_commit_callbacks
):
    _holder, admin, tech_contact = contacts_of(account)
    ignored = csr_for(admin.email)
    token = token_of(
        post_form(tech_client, client_product(), base_data(account, csr_mode="invitation", csr=ignored))
    )
    page = review_page(tech_client, token)
    assert f"Once you confirm, {admin.email} receives an email" in page
    with django_capture_on_commit_callbacks(execute=True):
        order = confirm(tech_client, token)
    assert order.csr == "" and order.invitation_token and order.invitation_sent_at
    assert sorted(m.to[0] for m in mailoutbox) == sorted([admin.email, tech_contact.email])
    invitation = next(m for m in mailoutbox if m.to == [admin.email])
    assert f"https://portal.example.test/operations/invitation/{order.invitation_token}/" in invitation.body
    confirmation = tech_client.get(
        reverse("operations:confirmation", args=[order.reference])
    ).content.decode()
    assert "invitation-step" in confirmation


# Code signing, electronic seal, site seal --------------------------------------------------------


def test_code_signing_is_in_the_organisations_name(tech_client, account):
    holder, _admin, _tech = contacts_of(account)
    product = make_typed_product("cs-ov", T.CODE_SIGNING)
    page = tech_client.get(order_url(product)).content.decode()
    assert 'name="common_name"' not in page and 'name="csr"' in page and 'value="invitation"' not in page
    assert 'name="assistance"' not in page
    csr = csr_for(holder.name, org="Other Name Ltd")
    token = token_of(post_form(tech_client, product, base_data(account, csr=csr)))
    review = review_page(tech_client, token)
    assert f'class="subject-name">{holder.name}' in review
    assert "organisation “Other Name Ltd” differs from the holder organisation" in review
    order = confirm(tech_client, token)
    assert order.common_name == holder.name and order.sans == [] and order.dcv_method == ""
    missing = post_form(tech_client, product, base_data(account))
    assert "Paste the CSR" in field_errors(missing.content.decode(), "csr")


def test_site_seal_needs_no_csr(tech_client, account):
    product = make_typed_product("site-seal", T.SEAL, requires_csr=False, validation="")
    page = tech_client.get(order_url(product)).content.decode()
    assert 'name="csr"' not in page and "No CSR is needed for this product" in page
    token = token_of(post_form(tech_client, product, base_data(account)))
    assert "No CSR is needed for this product." in review_page(tech_client, token)
    order = confirm(tech_client, token)
    assert (
        order.csr == "" and without_payment(order.options) == {} and order.price_excl_vat == Decimal("100.00")
    )


def test_rgs_seal_needs_the_legal_representative(tech_client, account):
    holder, admin, _tech = contacts_of(account)
    product = make_typed_product("seal-rgs", T.SEAL, name="Electronic Seal RGS**")
    csr = csr_for(holder.name, org=holder.name)
    page = tech_client.get(order_url(product)).content.decode()
    assert 'id="legal-representative"' in page
    missing = post_form(tech_client, product, base_data(account, csr=csr)).content.decode()
    assert "This field is required" in field_errors(missing, "legal-email")
    elsewhere = Organisation.objects.create(
        account=account,
        name="Customer SA",
        registration_number="552100554",
        address="x",
        postal_code="1",
        city="Paris",
    )
    stranger = Contact.objects.create(
        account=account,
        organisation=elsewhere,
        first_name="Paul",
        last_name="Other",
        email="paul@customer.test",
        phone="+33 1 00 00 00 00",
    )
    wrong = post_form(
        tech_client, product, base_data(account, csr=csr, legal_representative=stranger.public_id)
    )
    assert "must belong to the holder organisation" in field_errors(
        wrong.content.decode(), "legal_representative"
    )
    data = base_data(account, csr=csr, legal_representative="")
    data.update(
        {
            "legal-first_name": "Louise",
            "legal-last_name": "Legal",
            "legal-email": "louise@acme.test",
            "legal-phone": "+33 1 00 00 00 09",
        }
    )
    token = token_of(post_form(tech_client, product, data))
    assert "Louise Legal, louise@acme.test" in review_page(tech_client, token)
    order = confirm(tech_client, token)
    assert order.legal_representative.email == "louise@acme.test"
    assert order.legal_representative.organisation == holder
    same = token_of(
        post_form(
            tech_client, product, base_data(account, csr=csr_for(holder.name), legal_same_as_admin="on")
        )
    )
    assert confirm(tech_client, same).legal_representative == admin


# PSD2 --------------------------------------------------------------------------------------------


def psd2_data(account, **overrides):
    values = {
        "psd2_roles": ["PSP_PI", "PSP_AI"],
        "nca_name": "Autorité de contrôle prudentiel et de résolution",
        "nca_id": "fr-acpr",
        "authorisation_number": "17328",
        "legal_same_as_admin": "on",
    }
    values.update(overrides)
    return values


def test_psd2_qwac_has_names_roles_and_authority(tech_client, account):
    qwac = make_typed_product(
        "qwac",
        T.PSD2,
        validation="EV",
        publicly_trusted_tls=True,
        included_sans=1,
        max_sans=1,
        reissuable=False,
    )
    data = {**form_data(account, sans="acme.test"), **psd2_data(account)}
    token = token_of(post_form(tech_client, qwac, data))
    page = review_page(tech_client, token)
    assert "Payment initiation (PSP_PI), Account information (PSP_AI)" in page and "(FR-ACPR)" in page
    order = confirm(tech_client, token)
    assert order.options["psd2_roles"] == ["PSP_PI", "PSP_AI"]
    assert order.options["nca_id"] == "FR-ACPR" and order.options["authorisation_number"] == "17328"
    assert order.common_name == "www.acme.test" and order.dcv_method == "dns"
    assert order.legal_representative == order.admin_contact


def test_psd2_fields_errors_next_to_each(tech_client, account):
    qseal = make_typed_product("qseal", T.PSD2, reissuable=False)
    holder, _a, _t = contacts_of(account)
    data = {
        **base_data(account, csr=csr_for(holder.name)),
        **psd2_data(account, psd2_roles=[], nca_id="ACPR", authorisation_number="#!?"),
    }
    page = post_form(tech_client, qseal, data).content.decode()
    assert "This field is required" in field_errors(page, "psd2_roles")
    assert "for example FR-ACPR" in field_errors(page, "nca_id")
    assert "Letters, digits" in field_errors(page, "authorisation_number")
    assert 'value="#!?"' in page
    ok = {**base_data(account, csr=csr_for(holder.name)), **psd2_data(account, psd2_roles=["PSP_AS"])}
    order = confirm(tech_client, token_of(post_form(tech_client, qseal, ok)))
    assert order.common_name == holder.name and order.options["psd2_roles"] == ["PSP_AS"]
    assert order.dcv_method == ""


# Signature solutions -------------------------------------------------------------------------------


def test_signature_solution_has_options_no_csr_no_dcv(
    tech_client, account, mailoutbox, django_capture_on_commit_callbacks
):
    product = make_typed_product(
        "sign-cloud",
        T.SIGNATURE,
        validation="",
        requires_csr=False,
        reissuable=False,
        prices={12: "1190.00", 24: "2250.00"},
    )
    page = tech_client.get(order_url(product)).content.decode()
    assert 'name="csr"' not in page and 'name="dcv_method"' not in page and 'name="users"' in page
    data = base_data(
        account, user_type="qualified", users="5", document_packs="2", eidas_ids="3", legal_same_as_admin="on"
    )
    token = token_of(post_form(tech_client, product, data))
    review = review_page(tech_client, token)
    assert "5 × 150.00 €" in review and "2 × 90.00 €" in review and "3 × 89.00 €" in review
    with django_capture_on_commit_callbacks(execute=True):
        order = confirm(tech_client, token)
    expected = Decimal("1190.00") + 5 * Decimal("150.00") + 2 * DOCUMENT_PACK_PRICE + 3 * Decimal("89.00")
    assert order.price_excl_vat == expected
    assert without_payment(order.options) == {
        "user_type": "qualified",
        "users": 5,
        "document_packs": 2,
        "eidas_ids": 3,
    }
    assert order.csr == "" and order.dcv_method == "" and order.legal_representative == order.admin_contact
    assert AuditEvent.objects.filter(action="order.submitted", object_id=order.reference).exists()


def test_signature_counts_are_checked(tech_client, account):
    product = make_typed_product("sign-cloud", T.SIGNATURE, validation="", requires_csr=False)
    page = post_form(
        tech_client,
        product,
        base_data(
            account,
            users="-1",
            document_packs="1000",
            eidas_ids="x",
            user_type="gold",
            legal_same_as_admin="on",
        ),
    ).content.decode()
    assert "greater than or equal to 0" in field_errors(page, "users")
    assert "less than or equal to 100" in field_errors(page, "document_packs")
    assert "Enter a whole number" in field_errors(page, "eidas_ids")
    assert "Select a valid choice" in field_errors(page, "user_type")


# Refusals ------------------------------------------------------------------------------------------


def test_every_type_refuses_users_without_the_technical_right(client, account):
    product = client_product()
    client.force_login(make_user(account, "sales", rights=[Right.COMMERCIAL]))
    assert client.get(order_url(product)).status_code == 403
    assert post_form(client, product, base_data(account)).status_code == 403


def test_inactive_product_of_any_type_has_no_form(tech_client):
    retired = make_typed_product("old-seal", T.SEAL, active=False)
    assert tech_client.get(order_url(retired)).status_code == 404


def test_an_order_awaiting_approval_is_announced_to_the_approvers(
    tech_client, account, owner, mailoutbox, django_capture_on_commit_callbacks
):
    account.approval_mode = True
    account.save()
    product = client_product()
    token = token_of(post_form(tech_client, product, base_data(account, csr_mode="invitation")))
    assert "approval-note" in review_page(tech_client, token)
    with django_capture_on_commit_callbacks(execute=True):
        order = confirm(tech_client, token)
    assert order.status == OrderStatus.AWAITING_APPROVAL
    assert owner.email in [m.to[0] for m in mailoutbox]  # the super user approves
