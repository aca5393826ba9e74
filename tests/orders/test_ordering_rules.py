"""The rules behind the order forms: product profiles (ORD-2, ORD-4), the legal representative rule,
option prices, and the non-blocking CSR hints of ORD-6."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import translation

from catalog.models import Product, ProductType
from orders.csr import parse_csr
from orders.services.kinds import (
    CsrMode,
    OrderKind,
    needs_legal_representative,
    profile_for,
    signature_family,
)
from orders.services.ordering import csr_warnings
from orders.services.pricing import ASSISTANCE_PRICE, option_lines, order_price
from tests.factories import make_key
from tests.support.ordering import csr_for, make_typed_product, server_product

T = ProductType
pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(db):
    call_command("load_catalog", verbosity=0)
    return {product.code: product for product in Product.objects.select_related("brand")}


def test_seed_products_get_the_profile_of_their_type(catalogue):
    qwac, qseal = (
        profile_for(catalogue["globalsign-psd2-qwac"]),
        profile_for(catalogue["certigna-psd2-qsealc"]),
    )
    assert qwac.kind == OrderKind.SERVER and qwac.names and qwac.psd2
    assert qseal.kind == OrderKind.ORGANISATION and not qseal.names and qseal.psd2 and qseal.csr
    smime = profile_for(catalogue["tbs-x509-smime-mailbox"])
    assert smime.kind == OrderKind.CLIENT and smime.csr_modes == (
        CsrMode.MANUAL,
        CsrMode.KEYBOT,
        CsrMode.INVITATION,
    )
    code = profile_for(catalogue["digicert-code-signing-ov"])
    assert (
        code.kind == OrderKind.ORGANISATION
        and not code.invitation
        and not code.chains
        and not code.assistance
    )
    software = catalogue["certigna-signature-software"]
    assert profile_for(software).kind == OrderKind.SIGNATURE and not profile_for(software).csr
    assert signature_family(software) == "software"
    assert signature_family(catalogue["signiflow-cloud-business"]) == "platform"
    digicert = profile_for(catalogue["digicert-basic-ov"])
    assert [c.code for c in digicert.chains] == ["digicert-g2", "digicert-global-root-ca"]
    assert digicert.recommended_chain == "digicert-g2"
    assert profile_for(catalogue["tbs-x509-ssl-ov"]).chains == ()


def test_legal_representative_rule(catalogue):
    needed = {code for code, product in catalogue.items() if needs_legal_representative(product)}
    assert {
        "certigna-seal-rgs",
        "certigna-id-rgs",
        "chambersign-signature-token",
        "chambersign-seal",
        "certigna-signature-software",
        "signiflow-cloud-business",
        "globalsign-psd2-qwac",
        "harica-psd2-qsealc",
    } <= needed
    assert not needed & {
        "tbs-x509-ssl-ov",
        "digicert-basic-ov",
        "sectigo-smime-personal",
        "tbs-x509-code-signing-ov",
    }
    site_seal = make_typed_product("site-seal", T.SEAL, requires_csr=False)
    assert not needs_legal_representative(site_seal)
    assert needs_legal_representative(make_typed_product("ssl-eidas", T.SERVER_EV, name="SSL EV eIDAS"))


def test_option_prices():
    digicert = server_product("dc-ov", brand_code="digicert", prices={12: "200.00", 24: "380.00"})
    lines = option_lines(digicert, 24, {"assistance": True, "licences": 2})
    assert [(line.code, line.quantity, line.unit_price, line.amount) for line in lines] == [
        ("assistance", 1, ASSISTANCE_PRICE, ASSISTANCE_PRICE),
        ("licences", 2, Decimal("158.00"), Decimal("316.00")),
    ]
    assert order_price(digicert, 24, "www.example.com", [], {"licences": 2}) == Decimal("696.00")
    plain = server_product("tbs-ov")
    assert option_lines(plain, 12, {"licences": 5}) == []  # this brand sells no machine licence
    signature = make_typed_product("sign", T.SIGNATURE, requires_csr=False, prices={24: "2250.00"})
    lines = {
        line.code: line.amount
        for line in option_lines(
            signature, 24, {"user_type": "advanced", "users": 3, "document_packs": 4, "eidas_ids": 1}
        )
    }
    assert lines == {
        "users": Decimal("360.00"),
        "document_packs": Decimal("360.00"),
        "eidas_ids": Decimal("178.00"),
    }


@translation.override("en")  # the hints are read in English, whatever an earlier test left active
def test_csr_hints_compare_subject_with_the_organisation_and_holder(account):
    info = parse_csr(
        csr_for(
            "alice@acme.test",
            org="ACME hosting",
            city="paris",
            country="FR",
            email="alice@acme.test",
            key=make_key("p256"),
        )
    )
    same = csr_warnings(
        account,
        info,
        common_name="alice@acme.test",
        sans=[],
        organisation_name="Acme Hosting",
        organisation_city="Paris",
        organisation_country="FR",
        holder_email="Alice@acme.test",
        check_names=False,
    )
    assert same == []
    other = csr_warnings(
        account,
        info,
        common_name="bob@acme.test",
        sans=[],
        organisation_name="Globex",
        organisation_city="Lyon",
        organisation_country="BE",
        holder_email="bob@acme.test",
        check_names=False,
    )
    assert len(other) == 4
    assert any("“alice@acme.test” differs from the holder's “bob@acme.test”" in w for w in other)
    assert any("locality “paris”" in w for w in other) and any("country “FR”" in w for w in other)
    # With the names compared (server certificates), the CN is checked against the names ordered too.
    named = csr_warnings(
        account, info, common_name="www.acme.test", sans=[], organisation_name="Acme Hosting"
    )
    assert any("common name “alice@acme.test” differs" in w for w in named)
