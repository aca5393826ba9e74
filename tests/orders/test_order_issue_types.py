"""Issue 5, "Done when": an order of each certificate type is issued through issue_certificate with
the subject and extensions of its type (the order's organisation and options reach the CA)."""

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from catalog.models import ProductType
from orders.models import OrderStatus
from orders.services.issuing import deliver_without_certificate, issue_certificate
from orders.services.lifecycle import IllegalTransition
from tests.factories import make_product
from tests.support.orders import make_order, pass_dcv

pytestmark = pytest.mark.django_db

PSD2 = {
    "psd2_roles": ["PSP_AS"],
    "nca_name": "Autorité de contrôle prudentiel et de résolution",
    "nca_id": "FR-ACPR",
    "authorisation_number": "17 328",
}


def issued(order, staff):
    certificate = issue_certificate(pass_dcv(order, staff), user=staff)
    return x509.load_pem_x509_certificate(certificate.pem.encode())


def test_code_signing_names_the_organisation_and_signs_code(account, staff):
    product = make_product("cs-ov", product_type=ProductType.CODE_SIGNING, publicly_trusted_tls=False)
    order = make_order(account, product, status=OrderStatus.UNDER_VERIFICATION, paid=True)
    leaf = issued(order, staff)
    assert leaf.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == order.organisation.name
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.CODE_SIGNING]


def test_psd2_website_certificate_carries_the_authorisation(account, staff):
    product = make_product("qwac", product_type=ProductType.PSD2, validation="EV")
    order = make_order(account, product, status=OrderStatus.UNDER_VERIFICATION, paid=True, options=PSD2)
    leaf = issued(order, staff)
    identifier = leaf.subject.get_attributes_for_oid(x509.ObjectIdentifier("2.5.4.97"))[0].value
    assert identifier == "PSDFR-ACPR-17 328"
    assert leaf.extensions.get_extension_for_oid(x509.ObjectIdentifier("1.3.6.1.5.5.7.1.3"))


def test_an_order_without_a_csr_is_not_issued(account, staff):
    product = make_product("seal", product_type=ProductType.SEAL, requires_csr=False)
    order = make_order(account, product, status=OrderStatus.UNDER_VERIFICATION, paid=True)
    order.csr = ""
    order.save(update_fields=["csr"])
    with pytest.raises(IllegalTransition, match="no certificate signing request"):
        issue_certificate(order, user=staff)


def test_a_site_seal_is_delivered_without_a_certificate_through_the_admin(client, account, staff):
    product = make_product("site-seal", product_type=ProductType.SEAL, requires_csr=False)
    order = make_order(account, product, status=OrderStatus.UNDER_VERIFICATION, paid=True)
    client.force_login(staff)
    response = client.post(
        "/staff/orders/order/", {"action": "deliver_selected", "_selected_action": [order.pk]}, follow=True
    )
    assert f"{order.reference} delivered." in response.content.decode()
    order.refresh_from_db()
    assert (
        order.status == OrderStatus.DELIVERED_PAID and order.delivered_at and not order.certificates.exists()
    )


def test_a_certificate_product_is_not_delivered_without_its_certificate(account, staff):
    product = make_product("plain-ov")
    order = make_order(account, product, status=OrderStatus.UNDER_VERIFICATION, paid=True)
    with pytest.raises(IllegalTransition, match="by issuing its certificate"):
        deliver_without_certificate(order, user=staff)
