"""Helpers of the order-flow tests for every product type (ORD-1, ORD-2, ORD-4, ORD-7, ORD-10, ORD-12).

No test here; the test modules import what they need.
"""

from __future__ import annotations

import re
from decimal import Decimal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID
from django.urls import reverse

from accounts.models import Account
from catalog.models import Brand, Product, ProductPeriod, ProductType
from orders.models import Order
from tests.factories import make_key, seed_brand
from tests.support.orders import contacts_of


def make_typed_product(
    code: str,
    product_type: str,
    *,
    brand_code: str = "tbs-x509",
    validation: str = "OV",
    prices: dict[int, str] | None = None,
    **fields,
) -> Product:
    """A catalogue product of any type, with periods at the given prices (12 and 24 months by default)."""
    brand, created = Brand.objects.get_or_create(
        code=brand_code, defaults={"name": brand_code.upper(), "delivery_time": "1-2 days"}
    )
    if created:
        seed_brand(brand)
    product = Product.objects.create(
        brand=brand,
        code=code,
        name=fields.pop("name", code.upper()),
        product_type=product_type,
        validation=validation,
        **fields,
    )
    for months, price in (prices or {12: "100.00", 24: "180.00"}).items():
        ProductPeriod.objects.create(product=product, months=months, price=Decimal(price))
    return product


def server_product(code: str = "ssl-ov", **fields) -> Product:
    defaults = {
        "publicly_trusted_tls": True,
        "included_sans": 1,
        "max_sans": 10,
        "san_price": Decimal("30.00"),
    }
    return make_typed_product(code, ProductType.SERVER_OV, **{**defaults, **fields})


def order_url(product: Product, **params) -> str:
    url = reverse("operations:order", args=[product.code])
    if params:
        url += "?" + "&".join(f"{key}={value}" for key, value in params.items())
    return url


def post_form(client, product: Product, data: dict):
    return client.post(reverse("operations:order", args=[product.code]), data)


def token_of(response) -> str:
    assert response.status_code == 302, response.content.decode()[:3000]
    match = re.match(r"^/operations/review/([^/]+)/$", response["Location"])
    assert match, response["Location"]
    return match.group(1)


def review_page(client, token: str) -> str:
    response = client.get(reverse("operations:review", args=[token]))
    assert response.status_code == 200
    return response.content.decode()


def confirm(client, token: str) -> Order:
    response = client.post(reverse("operations:confirm", args=[token]))
    assert response.status_code == 302, response.content.decode()[:2000]
    reference = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    return Order.objects.get(reference=reference)


def field_errors(page: str, field: str) -> str:
    """The HTML of one field's block (label, widget, errors), which must show an error."""
    # Up to the next field block: a multiple choice renders <div>s of its own inside the block.
    match = re.search(
        rf'<div class="field has-error" id="field-{re.escape(field)}">(.*?)(?=<div class="field|</fieldset>|</form>)',
        page,
        re.S,
    )
    assert match, f"no error block for {field}"
    return match.group(1)


def base_data(account: Account, **overrides) -> dict[str, str]:
    """A POST with what every product type asks: period, holder and contacts, your reference."""
    holder, admin, tech = contacts_of(account)
    data = {
        "months": "12",
        "organisation": holder.public_id,
        "admin_contact": admin.public_id,
        "technical_contact": tech.public_id,
        "customer_reference": "PO-77",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def csr_for(
    common_name: str,
    *,
    org: str | None = None,
    email: str | None = None,
    city: str | None = None,
    country: str | None = None,
    key=None,
    dns: bool = False,
) -> str:
    """A CSR with the subject attributes asked for (client and organisation products carry no DNS SAN)."""
    key = key or make_key("p256")
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    for oid, value in (
        (NameOID.ORGANIZATION_NAME, org),
        (NameOID.LOCALITY_NAME, city),
        (NameOID.COUNTRY_NAME, country),
        (NameOID.EMAIL_ADDRESS, email),
    ):
        if value:
            attrs.append(x509.NameAttribute(oid, value))
    builder = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(attrs))
    if dns:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(common_name)]), critical=False
        )
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()
