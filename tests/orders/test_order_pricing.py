"""ORD-2 names and prices: SAN classification, the price of extra names, DNS name checks."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orders.services import NameKind, classify_names, name_lines, order_price
from orders.services.names import dns_name_error, normalise_name, registered_domain
from orders.services.pricing import PricingError
from tests.factories import make_product

K = NameKind


def test_classify_names_by_kind():
    result = classify_names(
        "www.example.com", ["example.com", "mail.example.com", "shop.example.org", "*.example.com"]
    )
    assert result == [
        ("example.com", K.FREE),
        ("mail.example.com", K.ADDITIONAL),
        ("shop.example.org", K.DOMAIN),
        ("*.example.com", K.WILDCARD),
    ]


def test_www_variant_of_a_bare_common_name_is_free():
    assert classify_names("example.com", ["www.example.com"]) == [("www.example.com", K.FREE)]


def test_registered_domain_knows_two_label_suffixes():
    assert registered_domain("www.shop.example.co.uk") == "example.co.uk"
    assert registered_domain("*.example.fr") == "example.fr"
    assert classify_names("www.example.co.uk", ["other.co.uk"]) == [("other.co.uk", K.DOMAIN)]


@pytest.mark.django_db
def test_order_price_adds_paying_names_beyond_the_included_ones():
    product = make_product(
        "md",
        price=Decimal("200.00"),
        included_sans=1,
        max_sans=10,
        san_price=Decimal("30.00"),
        wildcard_san_price=Decimal("100.00"),
    )
    # free www variant, one additional (included), one domain SAN paid 30/year.
    assert order_price(
        product, 12, "www.example.com", ["example.com", "mail.example.com", "b.org"]
    ) == Decimal("230.00")
    # 24 months: two years of the paid SAN on top of the 24-month price (2*200-20).
    assert order_price(product, 24, "www.example.com", ["mail.example.com", "b.org"]) == Decimal("440.00")


@pytest.mark.django_db
def test_included_sans_go_to_the_dearest_names_first():
    product = make_product(
        "mdw",
        price=Decimal("200.00"),
        included_sans=1,
        max_sans=10,
        san_price=Decimal("30.00"),
        wildcard_san_price=Decimal("100.00"),
    )
    lines = name_lines(product, 12, "www.example.com", ["mail.example.com", "*.example.org"])
    assert [(line.name, line.kind, line.included, line.price) for line in lines] == [
        ("www.example.com", K.COMMON_NAME, True, Decimal("0.00")),
        ("mail.example.com", K.ADDITIONAL, False, Decimal("30.00")),
        ("*.example.org", K.WILDCARD, True, Decimal("0.00")),
    ]


@pytest.mark.django_db
def test_period_not_on_sale_is_refused():
    product = make_product("p1")
    with pytest.raises(PricingError):
        order_price(product, 36, "www.example.com", [])


@pytest.mark.parametrize(
    ("name", "wildcard", "fragment"),
    [
        ("localhost", False, "fully qualified"),
        ("192.168.1.1", False, "IP address"),
        ("exa_mple.com", False, "not a valid domain name"),
        ("-bad.example.com", False, "not a valid domain name"),
        ("*.example.com", False, "wildcard"),
        ("www.*.example.com", True, "whole first label"),
        ("co.uk", False, "public suffix"),
        ("a" * 64 + ".com", False, "not a valid domain name"),
    ],
)
def test_bad_names_have_their_own_message(name, wildcard, fragment):
    assert fragment in dns_name_error(name, allow_wildcard=wildcard)


def test_good_names_pass():
    assert dns_name_error("www.example.com", allow_wildcard=False) is None
    assert dns_name_error("*.example.com", allow_wildcard=True) is None
    assert normalise_name(" WWW.Example.COM. ") == "www.example.com"
    assert normalise_name("café.fr") == "xn--caf-dma.fr"
