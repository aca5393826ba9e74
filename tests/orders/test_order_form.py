"""ORD-1 catalogue, ORD-2 form, ORD-3 review and confirmation, ORD-6 CSR checks, through the test client."""

from __future__ import annotations

import base64
import re
from decimal import Decimal

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.urls import reverse

from accounts.models import AuditEvent, Contact, Organisation, Right
from catalog.models import ProductType
from orders.models import Order, OrderStatus
from tests.factories import make_csr, make_key, make_product, make_user
from tests.support.orders import contacts_of, form_data, make_order

S = OrderStatus


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://portal.example.test"


@pytest.fixture
def tech_client(client, tech):
    client.force_login(tech)
    return client


def form_url(product, months=12):
    return reverse("operations:order", args=[product.code]) + f"?months={months}"


def post_form(client, product, data):
    return client.post(reverse("operations:order", args=[product.code]), data)


def token_of(response) -> str:
    assert response.status_code == 302, response.content.decode()[:2000]
    match = re.match(r"^/operations/review/([^/]+)/$", response["Location"])
    assert match, response["Location"]
    return match.group(1)


# ORD-1 -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_catalogue_groups_products_with_a_button_per_period(tech_client, product):
    make_product("smime", product_type=ProductType.CLIENT, validation="IV")
    make_product("retired", active=False)
    page = tech_client.get(reverse("operations:new")).content.decode()
    assert 'id="type-server_ov"' in page and 'id="type-client"' in page
    assert f'href="/operations/new/{product.code}/?months=12"' in page
    assert f'href="/operations/new/{product.code}/?months=24"' in page
    assert "120.00" in page and "220.00" in page
    assert (
        'href="/operations/new/smime/?months=12"' in page
    )  # client certificates come later: no order button
    assert "RETIRED" not in page


@pytest.mark.django_db
def test_billing_user_cannot_order(client, billing, product):
    client.force_login(billing)
    assert client.get(reverse("operations:new")).status_code == 403
    assert client.get(form_url(product)).status_code == 403


@pytest.mark.django_db
def test_commercial_user_cannot_see_the_form(client, account, product):
    client.force_login(make_user(account, "sales", rights=[Right.COMMERCIAL]))
    assert client.get(form_url(product)).status_code == 403
    assert (
        client.post(reverse("operations:order", args=[product.code]), form_data(account)).status_code == 403
    )


@pytest.mark.django_db
def test_inactive_product_has_no_form(tech_client):
    retired = make_product("retired", active=False)
    assert tech_client.get(form_url(retired)).status_code == 404


# ORD-2 / ORD-3 happy path ------------------------------------------------------------------------


@pytest.mark.django_db
def test_form_is_prefilled_from_the_account(tech_client, account, product):
    holder, _admin, _tech = contacts_of(account)
    page = tech_client.get(form_url(product, 24)).content.decode()
    assert f'<option value="{holder.public_id}" selected>' in page
    assert '<option value="24" selected>' in page


@pytest.mark.django_db
def test_order_from_form_to_confirmation(
    tech_client, account, tech, product, mailoutbox, django_capture_on_commit_callbacks
):
    data = form_data(account)
    token = token_of(post_form(tech_client, product, data))
    review = tech_client.get(reverse("operations:review", args=[token]))
    assert review.status_code == 200
    assert not Order.objects.exists()  # nothing is ordered before the confirmation
    with django_capture_on_commit_callbacks(execute=True):
        response = tech_client.post(reverse("operations:confirm", args=[token]))
    order = Order.objects.get()
    assert response["Location"] == reverse("operations:confirmation", args=[order.reference])
    assert order.account == account and order.created_by == tech
    assert order.status == S.AWAITING_PAYMENT
    assert order.common_name == "www.acme.test"
    assert order.sans == ["acme.test", "mail.acme.test", "shop.example.org"]
    # 12 months 120.00; 1 SAN included (mail.acme.test, the www variant is free); shop.example.org 30.00.
    assert order.price_excl_vat == Decimal("150.00") and order.price_incl_vat == Decimal("180.00")
    assert order.customer_reference == "PO-2026-042" and order.server_software == "nginx"
    assert order.csr_public_key_sha256 and "CERTIFICATE REQUEST" in order.csr
    assert AuditEvent.objects.filter(action="order.submitted", object_id=order.reference, user=tech).exists()
    page = tech_client.get(response["Location"]).content.decode()
    assert order.reference in page and "Awaiting payment" in page
    assert reverse("orders:detail", args=[order.reference]) in page
    # ORD-3: the technical contact receives the confirmation with the status page link.
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [order.technical_contact.email]
    assert order.reference in mail.subject
    assert f"https://portal.example.test/orders/{order.reference}/" in mail.body
    assert "150.00" in mail.body and "VAT 20 %: 30.00" in mail.body and "180.00" in mail.body
    assert "Awaiting payment" in mail.body and "shop.example.org (Domain SAN)" in mail.body
    assert mail.alternatives[0][1] == "text/html" and order.reference in mail.alternatives[0][0]


@pytest.mark.django_db
def test_review_shows_san_classification_prices_and_csr(tech_client, account, product):
    token = token_of(post_form(tech_client, product, form_data(account)))
    page = tech_client.get(reverse("operations:review", args=[token])).content.decode()
    assert re.search(r'class="name-free"><td>acme.test</td><td>Included variant</td>\s*<td>included', page)
    assert re.search(
        r'class="name-additional"><td>mail.acme.test</td><td>Additional SAN</td>\s*<td>included', page
    )
    assert re.search(r'class="name-domain"><td>shop.example.org</td><td>Domain SAN</td>\s*<td>30.00 €', page)
    assert 'class="price-excl">150.00 €' in page
    assert 'class="vat">30.00 €' in page
    assert "180.00 €" in page
    assert "EC P-256" in page and "PO-2026-042" in page and "nginx" in page
    assert "csr-warnings" not in page  # the CSR matches the names and has no O
    assert f'href="/operations/new/{product.code}/?draft={token}"' in page


@pytest.mark.django_db
def test_review_warns_about_reused_key_and_differing_names(tech_client, account, product):
    key = make_key("p256")
    earlier = make_order(account, product, key=key, common_name="old.acme.test", sans=[])
    csr = make_csr("other.acme.test", [], key=key, org="Someone Else SA")
    token = token_of(post_form(tech_client, product, form_data(account, csr=csr)))
    page = tech_client.get(reverse("operations:review", args=[token])).content.decode()
    assert "csr-warnings" in page
    assert f"already used on your account (order {earlier.reference})" in page
    assert "The CSR&#x27;s common name “other.acme.test” differs" in page
    assert "Someone Else SA" in page
    # Non-blocking: the order can still be confirmed.
    tech_client.post(reverse("operations:confirm", args=[token]))
    assert Order.objects.filter(account=account).count() == 2


@pytest.mark.django_db
def test_modify_link_prefills_the_form_with_what_was_posted(tech_client, account, product):
    token = token_of(post_form(tech_client, product, form_data(account)))
    page = tech_client.get(
        reverse("operations:order", args=[product.code]) + f"?draft={token}"
    ).content.decode()
    assert 'value="PO-2026-042"' in page
    assert "shop.example.org" in page and "BEGIN CERTIFICATE REQUEST" in page


@pytest.mark.django_db
def test_confirming_twice_creates_one_order(tech_client, account, product):
    token = token_of(post_form(tech_client, product, form_data(account)))
    first = tech_client.post(reverse("operations:confirm", args=[token]))
    second = tech_client.post(reverse("operations:confirm", args=[token]))
    order = Order.objects.get()
    assert (
        first["Location"] == second["Location"] == reverse("operations:confirmation", args=[order.reference])
    )
    assert AuditEvent.objects.filter(action="order.submitted").count() == 1
    # The review page of a used token leads to the confirmation too.
    review = tech_client.get(reverse("operations:review", args=[token]))
    assert review["Location"] == first["Location"]


@pytest.mark.django_db
def test_confirm_is_post_only(tech_client, account, product):
    token = token_of(post_form(tech_client, product, form_data(account)))
    assert tech_client.get(reverse("operations:confirm", args=[token])).status_code == 405
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_unknown_token_sends_back_to_the_catalogue(tech_client):
    response = tech_client.get(reverse("operations:review", args=["nope"]))
    assert response["Location"] == reverse("operations:new")


@pytest.mark.django_db
def test_new_organisation_and_contacts_are_created_with_the_order(tech_client, account, product):
    data = form_data(
        account, organisation="", admin_contact="", technical_contact="", technical_same_as_admin="on"
    )
    data.update(
        {
            "org-registration_number": "732 829 320",
            "org-name": "Customer SARL",
            "org-country": "FR",
            "org-address": "2 rue Neuve",
            "org-postal_code": "69001",
            "org-city": "Lyon",
            "admin-first_name": "Nina",
            "admin-last_name": "Boss",
            "admin-email": "nina@customer.test",
            "admin-phone": "+33 4 00 00 00 00",
        }
    )
    token = token_of(post_form(tech_client, product, data))
    review = tech_client.get(reverse("operations:review", args=[token])).content.decode()
    assert "Customer SARL" in review and "nina@customer.test" in review
    assert not Organisation.objects.filter(name="Customer SARL").exists()
    tech_client.post(reverse("operations:confirm", args=[token]))
    order = Order.objects.get()
    assert order.organisation.name == "Customer SARL"
    assert order.organisation.account == account and order.organisation.registration_number == "732829320"
    assert order.admin_contact == order.technical_contact
    assert order.admin_contact.organisation == order.organisation and order.admin_contact.account == account
    assert AuditEvent.objects.filter(action="organisation.created").count() == 1


@pytest.mark.django_db
def test_approval_mode_order_waits_for_approval(tech_client, account, product):
    account.approval_mode = True
    account.save()
    token = token_of(post_form(tech_client, product, form_data(account)))
    tech_client.post(reverse("operations:confirm", args=[token]))
    assert Order.objects.get().status == S.AWAITING_APPROVAL


# Errors: each next to its field, nothing typed lost ---------------------------------------------


def field_errors(page: str, field: str) -> str:
    """The HTML of one field's block (label, widget, errors)."""
    match = re.search(rf'<div class="field has-error" id="field-{re.escape(field)}">(.*?)</div>', page, re.S)
    assert match, f"no error block for {field}"
    return match.group(1)


BAD_CSRS = {
    "no header": ("MIIBkTCB+wIBADBSMQswCQYDVQQGEwJGUjEO", "header and footer lines are missing"),
    "private key": ("-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----", "This is a private key"),
    "garbage": ("hello, world!", "not a certificate signing request"),
    "rsa 1024": (None, "only 2048, 3072 or 4096 bits"),
    "p192 curve": (None, "P-256 or P-384"),
    "bad signature": (None, "signature is not valid"),
}


def tampered_csr() -> str:
    """A CSR whose last signature byte is flipped: well-formed, but its signature fails."""
    der = bytearray(
        x509.load_pem_x509_csr(make_csr("www.acme.test", key=make_key("p256")).encode()).public_bytes(
            serialization.Encoding.DER
        )
    )
    der[-1] ^= 0x01
    body = base64.encodebytes(bytes(der)).decode()
    return f"-----BEGIN CERTIFICATE REQUEST-----\n{body}-----END CERTIFICATE REQUEST-----\n"


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(BAD_CSRS))
def test_each_bad_csr_has_its_message_next_to_the_field(tech_client, account, product, kind):
    text, message = BAD_CSRS[kind]
    if kind == "bad signature":
        text = tampered_csr()
    elif text is None:
        text = make_csr("www.acme.test", key=make_key("rsa1024" if kind == "rsa 1024" else "p192"))
    response = post_form(tech_client, product, form_data(account, csr=text))
    assert response.status_code == 200
    page = response.content.decode()
    assert message in field_errors(page, "csr")
    # The other values are kept.
    assert 'value="www.acme.test"' in page and 'value="PO-2026-042"' in page
    assert "shop.example.org" in page
    assert '<option value="nginx" selected>' in page
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_bad_names_each_get_a_message(tech_client, account, product):
    response = post_form(
        tech_client,
        product,
        form_data(
            account,
            common_name="localhost",
            sans="mail.acme.test\nbad_name.acme.test\n*.acme.test\nmail.acme.test",
        ),
    )
    page = response.content.decode()
    assert "not a fully qualified domain name" in field_errors(page, "common_name")
    sans = field_errors(page, "sans")
    assert "bad_name.acme.test" in sans and "wildcard name, which this product does not allow" in sans
    assert "listed twice" in sans


@pytest.mark.django_db
def test_too_many_names_refused(tech_client, account):
    small = make_product("small-md", max_sans=2, included_sans=1)
    response = post_form(tech_client, small, form_data(account, sans="a.acme.test\nb.acme.test\nc.acme.test"))
    assert "at most 2 additional names" in field_errors(response.content.decode(), "sans")


@pytest.mark.django_db
def test_single_domain_product_takes_only_the_www_variant(tech_client, account):
    single = make_product("single", max_sans=1, included_sans=1, san_price=Decimal("0"))
    response = post_form(tech_client, single, form_data(account, sans="mail.acme.test"))
    assert "its www variant only" in field_errors(response.content.decode(), "sans")
    ok = post_form(tech_client, single, form_data(account, sans="acme.test"))
    assert ok.status_code == 302


@pytest.mark.django_db
def test_other_software_needs_its_name(tech_client, account, product):
    response = post_form(tech_client, product, form_data(account, server_software="other"))
    assert "Name the server software" in field_errors(response.content.decode(), "server_software_other")


@pytest.mark.django_db
def test_contact_of_another_account_is_refused(tech_client, account, other_account, product):
    foreign = Contact.objects.filter(account=other_account).first()
    response = post_form(tech_client, product, form_data(account, technical_contact=foreign.public_id))
    assert "Select a valid choice" in field_errors(response.content.decode(), "technical_contact")
    response = post_form(tech_client, product, form_data(account, admin_contact=foreign.public_id))
    assert "Select a valid choice" in field_errors(response.content.decode(), "admin_contact")
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_organisation_select_lists_only_the_accounts_organisations(
    tech_client, account, other_account, product
):
    foreign = Organisation.objects.get(account=other_account)
    page = tech_client.get(form_url(product)).content.decode()
    assert foreign.public_id not in page and foreign.name not in page
    response = post_form(tech_client, product, form_data(account, organisation=foreign.public_id))
    assert "Select a valid choice" in field_errors(response.content.decode(), "organisation")


@pytest.mark.django_db
def test_admin_contact_must_belong_to_the_holder(tech_client, account, product):
    other_org = Organisation.objects.create(
        account=account,
        name="Customer SA",
        registration_number="552100554",
        address="x",
        postal_code="1",
        city="Paris",
    )
    response = post_form(tech_client, product, form_data(account, organisation=other_org.public_id))
    assert "must belong to the holder organisation" in field_errors(
        response.content.decode(), "admin_contact"
    )


@pytest.mark.django_db
def test_new_organisation_fields_are_required_and_checked(tech_client, account, product):
    holder, _a, _t = contacts_of(account)
    data = form_data(account, organisation="", admin_contact="")
    data.update({"org-registration_number": holder.registration_number, "org-country": "GB"})
    page = post_form(tech_client, product, data).content.decode()
    assert "already in your account" in field_errors(page, "org-registration_number")
    assert "This field is required" in field_errors(page, "org-name")
    assert "This field is required" in field_errors(page, "admin-email")
