"""ORD-8 checks without the database, against a real DNS server and a real HTTP server on loopback."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime

import pytest

from catalog.models import Brand
from orders import dcv
from tests.support.dcv import DnsServer, HttpServer

TOKEN = "k" * 32
ZONE = "dcv.portal.test"


@pytest.fixture
def dns_server():
    with DnsServer() as server:
        yield server


@pytest.fixture
def web():
    with HttpServer() as server:
        yield server


@pytest.fixture
def resolver(dns_server):
    return dcv.make_resolver([("127.0.0.1", dns_server.port)], 0.5)


def http(domain, token, web, resolver, **kwargs):
    return dcv.check_http(
        domain,
        token,
        port=web.port,
        timeout=0.5,
        resolve=lambda name: dcv.resolve_address(name, resolver),
        allow_private=kwargs.pop("allow_private", True),
        **kwargs,
    )


# Random values, names, methods


def test_random_values_have_at_least_112_bits_and_are_dns_safe():
    values = {dcv.new_random_value() for _ in range(200)}
    assert len(values) == 200
    for value in values:
        raw = base64.b32decode(value.upper())
        assert len(raw) * 8 >= 112
        assert value == value.lower() and value.isalnum()


def test_wildcards_are_validated_on_their_base_domain_once():
    assert dcv.dcv_domains(["*.Acme.test", "acme.test", "www.acme.test", "shop.example.org."]) == [
        "acme.test",
        "www.acme.test",
        "shop.example.org",
    ]


def test_approved_addresses_are_the_five_constructed_ones():
    assert dcv.approved_addresses("acme.test") == [
        "admin@acme.test",
        "administrator@acme.test",
        "webmaster@acme.test",
        "hostmaster@acme.test",
        "postmaster@acme.test",
    ]


def test_email_is_offered_only_until_2028_03_15():
    before = datetime(2028, 3, 14, 23, 59, tzinfo=UTC)
    after = datetime(2028, 3, 15, tzinfo=UTC)
    every, french = Brand(code="tbs-x509"), Brand(code="certigna", dcv_methods=["dns", "email"])
    assert dcv.offered_methods(every, before) == ["dns", "http", "email"]
    assert dcv.offered_methods(every, after) == ["dns", "http"]
    assert dcv.offered_methods(french, before) == ["dns", "email"]
    assert dcv.offered_methods(french, after) == ["dns"]


def test_the_http_file_name_does_not_reveal_the_value():
    url = dcv.http_url("acme.test", TOKEN, 8080)
    assert url.startswith("http://acme.test:8080/.well-known/pki-validation/") and url.endswith(".txt")
    assert TOKEN not in url
    assert (
        dcv.http_url("acme.test", TOKEN)
        == f"http://acme.test/.well-known/pki-validation/{dcv.http_file_name(TOKEN)}"
    )


# DNS (BR 3.2.2.4.7)


def test_dns_txt_record_passes(dns_server, resolver):
    dns_server.add("_pki-validation.acme.test", "TXT", '"other"', f'"{TOKEN}"')
    outcome = dcv.check_dns("acme.test", TOKEN, resolver=resolver, cname_zone=ZONE)
    assert outcome.passed
    assert f'"{TOKEN}"' in outcome.seen and '"other"' in outcome.seen


def test_dns_cname_record_passes(dns_server, resolver):
    dns_server.add("_pki-validation.acme.test", "CNAME", f"{TOKEN}.{ZONE}.")
    outcome = dcv.check_dns("acme.test", TOKEN, resolver=resolver, cname_zone=ZONE)
    assert outcome.passed
    assert f"CNAME _pki-validation.acme.test: {TOKEN}.{ZONE}" in outcome.seen


def test_dns_wrong_value_fails_and_says_what_it_saw(dns_server, resolver):
    dns_server.add("_pki-validation.acme.test", "TXT", '"not-the-value"')
    dns_server.add("_pki-validation.acme.test", "CNAME", f"other.{ZONE}.")
    outcome = dcv.check_dns("acme.test", TOKEN, resolver=resolver, cname_zone=ZONE)
    assert not outcome.passed
    assert '"not-the-value"' in outcome.seen


def test_dns_missing_record_fails(dns_server, resolver):
    dns_server.add("acme.test", "A", "127.0.0.1")
    outcome = dcv.check_dns("acme.test", TOKEN, resolver=resolver, cname_zone=ZONE)
    assert not outcome.passed
    assert "TXT _pki-validation.acme.test: none" in outcome.seen


def test_dns_timeout_fails_with_the_error(dns_server, resolver):
    dns_server.silent.add("_pki-validation.acme.test")
    started = time.monotonic()
    outcome = dcv.check_dns("acme.test", TOKEN, resolver=resolver, cname_zone=ZONE)
    assert not outcome.passed
    assert "timeout" in outcome.seen
    assert time.monotonic() - started < 3


# HTTP (BR 3.2.2.4.18)


def test_http_file_passes_with_the_domain_as_host(dns_server, web, resolver):
    dns_server.add("acme.test", "A", "127.0.0.1")
    path = "/.well-known/pki-validation/" + dcv.http_file_name(TOKEN)
    web.serve(path, TOKEN + "\n")
    outcome = http("acme.test", TOKEN, web, resolver)
    assert outcome.passed
    assert web.requests == [(f"acme.test:{web.port}", path)]
    assert "200 OK" in outcome.seen and TOKEN in outcome.seen


def test_http_wrong_body_and_missing_file_fail(dns_server, web, resolver):
    dns_server.add("acme.test", "A", "127.0.0.1")
    web.serve("/.well-known/pki-validation/" + dcv.http_file_name(TOKEN), "something else")
    wrong = http("acme.test", TOKEN, web, resolver)
    assert not wrong.passed and "something else" in wrong.seen
    missing = http("acme.test", "z" * 32, web, resolver)
    assert not missing.passed and "404" in missing.seen


def test_http_timeout_fails(dns_server, web, resolver):
    dns_server.add("acme.test", "A", "127.0.0.1")
    web.serve("/.well-known/pki-validation/" + dcv.http_file_name(TOKEN), TOKEN, delay=2)
    outcome = http("acme.test", TOKEN, web, resolver)
    assert not outcome.passed
    assert "timeout" in outcome.seen or "timed out" in outcome.seen


def test_http_follows_one_redirect_on_the_same_domain(dns_server, web, resolver):
    dns_server.add("acme.test", "A", "127.0.0.1")
    first = "/.well-known/pki-validation/" + dcv.http_file_name(TOKEN)
    web.serve(first, "", status=301, headers={"Location": f"http://acme.test:{web.port}/moved.txt"})
    web.serve("/moved.txt", TOKEN)
    outcome = http("acme.test", TOKEN, web, resolver)
    assert outcome.passed
    assert [path for _host, path in web.requests] == [first, "/moved.txt"]


def test_http_refuses_a_second_redirect_and_another_domain(dns_server, web, resolver):
    dns_server.add("acme.test", "A", "127.0.0.1")
    dns_server.add("evil.test", "A", "127.0.0.1")
    first = "/.well-known/pki-validation/" + dcv.http_file_name(TOKEN)
    web.serve(first, "", status=302, headers={"Location": "/again"})
    web.serve("/again", "", status=302, headers={"Location": "/final"})
    web.serve("/final", TOKEN)
    twice = http("acme.test", TOKEN, web, resolver)
    assert not twice.passed and "second redirect" in twice.seen
    assert "/final" not in [path for _host, path in web.requests]

    web.serve(first, "", status=302, headers={"Location": f"http://evil.test:{web.port}/final"})
    elsewhere = http("acme.test", TOKEN, web, resolver)
    assert not elsewhere.passed and "must stay on acme.test" in elsewhere.seen

    web.serve(first, "", status=302, headers={"Location": "http://acme.test:8443/final"})
    odd_port = http("acme.test", TOKEN, web, resolver)
    assert not odd_port.passed and "port 80 or 443" in odd_port.seen


def test_http_refuses_private_addresses_in_production(dns_server, web, resolver):
    dns_server.add("acme.test", "A", "127.0.0.1")
    web.serve("/.well-known/pki-validation/" + dcv.http_file_name(TOKEN), TOKEN)
    outcome = http("acme.test", TOKEN, web, resolver, allow_private=False)
    assert not outcome.passed and "not a public address" in outcome.seen
    assert web.requests == []


def test_http_unknown_domain_fails(dns_server, web, resolver):
    outcome = http("nowhere.test", TOKEN, web, resolver)
    assert not outcome.passed and "does not resolve" in outcome.seen


# CAA (RFC 8659)


def test_caa_absent_everywhere_allows(dns_server, resolver):
    dns_server.add("www.acme.test", "A", "127.0.0.1")
    allowed, detail = dcv.caa_allows("www.acme.test", ["tbs-certificats.com"], resolver=resolver)
    assert allowed and "No CAA record" in detail
    assert [q for q in dns_server.queries if q[1] == "CAA"] == [
        ("www.acme.test", "CAA"),
        ("acme.test", "CAA"),
        ("test", "CAA"),
    ]


def test_caa_walks_up_to_the_first_rrset(dns_server, resolver):
    dns_server.add("acme.test", "CAA", '0 issue "letsencrypt.org"')
    dns_server.add("test", "CAA", '0 issue "tbs-certificats.com"')
    allowed, detail = dcv.caa_allows("shop.www.acme.test", ["tbs-certificats.com"], resolver=resolver)
    assert not allowed
    assert "acme.test" in detail and "letsencrypt.org" in detail
    assert 'CAA 0 issue "tbs-certificats.com"' in detail
    assert ("test", "CAA") not in dns_server.queries


def test_caa_naming_our_ca_allows(dns_server, resolver):
    dns_server.add(
        "acme.test",
        "CAA",
        '0 issue "letsencrypt.org"',
        '0 issue "TBS-Certificats.com; accounturi=x"',
        '0 iodef "mailto:security@acme.test"',
    )
    allowed, _detail = dcv.caa_allows("www.acme.test", ["tbs-certificats.com"], resolver=resolver)
    assert allowed


def test_caa_without_issue_property_allows_and_empty_issuer_forbids(dns_server, resolver):
    dns_server.add("acme.test", "CAA", '0 iodef "mailto:security@acme.test"')
    dns_server.add("closed.test", "CAA", '0 issue ";"')
    assert dcv.caa_allows("acme.test", ["tbs-certificats.com"], resolver=resolver)[0]
    assert not dcv.caa_allows("closed.test", ["tbs-certificats.com"], resolver=resolver)[0]


def test_caa_wildcards_use_issuewild_when_present(dns_server, resolver):
    dns_server.add("acme.test", "CAA", '0 issue "tbs-certificats.com"', '0 issuewild ";"')
    dns_server.add("globex.test", "CAA", '0 issue "tbs-certificats.com"')
    assert dcv.caa_allows("www.acme.test", ["tbs-certificats.com"], resolver=resolver)[0]
    assert not dcv.caa_allows("*.acme.test", ["tbs-certificats.com"], resolver=resolver)[0]
    assert dcv.caa_allows("*.globex.test", ["tbs-certificats.com"], resolver=resolver)[0]


def test_caa_unknown_critical_property_forbids(dns_server, resolver):
    dns_server.add("acme.test", "CAA", '128 futuretag "x"', '0 issue "tbs-certificats.com"')
    allowed, detail = dcv.caa_allows("acme.test", ["tbs-certificats.com"], resolver=resolver)
    assert not allowed and "futuretag" in detail


def test_caa_lookup_failure_forbids_with_a_message(dns_server, resolver):
    dns_server.servfail.add("acme.test")
    allowed, detail = dcv.caa_allows("acme.test", ["tbs-certificats.com"], resolver=resolver)
    assert not allowed and "could not be read" in detail


def test_brand_caa_identifiers():
    assert dcv.caa_identifiers("tbs-x509") == ("tbs-certificats.com",)
    assert "digicert.com" in dcv.caa_identifiers("digicert")
    assert "sectigo.com" in dcv.caa_identifiers("sectigo")
    assert dcv.caa_identifiers("globalsign") == ("globalsign.com",)
