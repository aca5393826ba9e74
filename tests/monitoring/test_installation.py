"""LIFE-4 installation test service against real TLS servers on loopback (MON-2 ports and StartTLS).

Certificates come from the embedded CA; the servers run in threads (tests/support/installation).
"""

from __future__ import annotations

import ipaddress
import time
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from django.utils import timezone

from catalog.models import ProductType
from monitoring import installation, network
from monitoring.reasons import ERROR, OK, WARNING
from orders.models import RevocationReason
from tests.factories import make_product
from tests.support import installation as support

pytestmark = pytest.mark.django_db
NAME = "www.acme.test"


@pytest.fixture
def product(db):
    return make_product("ssl-dv-installation", product_type=ProductType.SERVER_DV, validation="DV")


@pytest.fixture
def issued(product):
    return support.Issued(product, NAME, names=("acme.test",))


def run(port, **kwargs):
    kwargs.setdefault("server_name", NAME)
    kwargs.setdefault("allow_private", True)
    kwargs.setdefault("timeout", 5)
    return installation.test_installation("127.0.0.1", port, **kwargs)


def codes(report, level=None) -> list[str]:
    return [r.code for r in report.reasons if level is None or r.level == level]


class TestGreen:
    def test_leaf_and_intermediate_served(self, tmp_path, issued, account, product):
        certificate = issued.store(account, product)
        with support.TlsServer(tmp_path, issued.chain_pem(), issued.key_pem()) as server:
            report = run(server.port, expected=certificate)
        assert report.result == "green", [r.message for r in report.reasons]
        assert sorted(codes(report, OK)) == ["dates_ok", "expected_ok", "name_ok", "trusted"]
        assert codes(report, ERROR) == codes(report, WARNING) == []
        details = report.details
        assert details["serial"] == certificate.serial
        assert details["names"] == [NAME, "acme.test"]
        assert details["protocol"] in {"TLSv1.2", "TLSv1.3"} and details["cipher"]
        assert [item["subject"] for item in details["chain"]] == [
            NAME,
            issued.intermediate.subject.rfc4514_string().split(",")[0].removeprefix("CN="),
        ]
        assert details["address"] == "127.0.0.1" and details["server_name"] == NAME
        trusted = next(r for r in report.reasons if r.code == "trusted")
        assert "Demo Root CA" in trusted.message

    def test_a_name_of_the_san_matches_too(self, tmp_path, issued):
        with support.TlsServer(tmp_path, issued.chain_pem(), issued.key_pem()) as server:
            assert run(server.port, server_name="acme.test").result == "green"

    def test_wildcard_covers_one_label(self, tmp_path, product):
        wildcard = support.Issued(product, "*.acme.test", names=("acme.test",))
        with support.TlsServer(tmp_path, wildcard.chain_pem(), wildcard.key_pem()) as server:
            assert run(server.port, server_name="shop.acme.test").result == "green"
            deeper = run(server.port, server_name="a.shop.acme.test")
        assert deeper.result == "red" and codes(deeper, ERROR) == ["wrong_name"]
        assert "trusted" in codes(deeper, OK)


class TestOrange:
    def test_missing_intermediate(self, tmp_path, issued):
        with support.TlsServer(
            tmp_path, issued.chain_pem(with_intermediate=False), issued.key_pem()
        ) as server:
            report = run(server.port)
        assert report.result == "orange"
        assert codes(report, WARNING) == ["intermediate_missing"]
        warning = report.reasons[0]
        assert warning.message.startswith("Intermediate certificate missing")
        assert "TBS-X509 Demo TLS Issuing CA" in warning.message
        assert len(report.details["chain"]) == 1
        assert "trusted_completed" in codes(report, OK) and "trusted" not in codes(report)

    def test_expires_within_30_days(self, tmp_path, product):
        soon = support.Issued(product, NAME, not_after=timezone.now() + timedelta(days=12))
        with support.TlsServer(tmp_path, soon.chain_pem(), soon.key_pem()) as server:
            report = run(server.port)
        assert report.result == "orange" and codes(report, WARNING) == ["expires_soon"]
        assert "expires in 11 days" in report.reasons[0].message

    def test_another_valid_certificate_than_this_one(self, tmp_path, issued, product, account):
        ordered = support.Issued(product, NAME).store(account, product)
        with support.TlsServer(tmp_path, issued.chain_pem(), issued.key_pem()) as server:
            report = run(server.port, expected=ordered)
        assert report.result == "orange" and codes(report, WARNING) == ["other_certificate"]
        assert ordered.serial in report.reasons[0].message


class TestRed:
    def test_expired(self, tmp_path, product):
        old = support.Issued(product, NAME, now=timezone.now() - timedelta(days=800))
        with support.TlsServer(tmp_path, old.chain_pem(), old.key_pem()) as server:
            report = run(server.port)
        assert report.result == "red"
        # Expired says it all: its chain is still ours, so no "untrusted" or "chain invalid" on top.
        assert codes(report, ERROR) == ["expired"]
        assert "expired on" in report.reasons[0].message

    def test_wrong_name(self, tmp_path, issued):
        with support.TlsServer(tmp_path, issued.chain_pem(), issued.key_pem()) as server:
            report = run(server.port, server_name="mail.globex.test")
        assert report.result == "red" and codes(report, ERROR) == ["wrong_name"]
        assert report.reasons[0].message == (
            "The certificate does not cover mail.globex.test; it covers: www.acme.test, acme.test."
        )
        assert "trusted" in codes(report, OK)  # the chain itself is fine

    def test_self_signed(self, tmp_path):
        cert, key = support.self_signed(NAME)
        with support.TlsServer(tmp_path, *support.pem_of(cert, key)) as server:
            report = run(server.port)
        assert report.result == "red" and codes(report, ERROR) == ["self_signed"]

    def test_unknown_authority(self, tmp_path):
        unknown_ca = support.self_signed("Unknown Test CA", ca=True)
        cert, key = support.self_signed(NAME, issuer=unknown_ca)
        chain_pem = support.pem_of(cert, key)[0] + support.pem_of(*unknown_ca)[0]
        with support.TlsServer(tmp_path, chain_pem, support.pem_of(cert, key)[1]) as server:
            report = run(server.port)
        assert report.result == "red" and codes(report, ERROR) == ["untrusted"]
        assert "Unknown Test CA" in report.reasons[0].message

    def test_revoked_certificate_of_the_order(self, tmp_path, issued, account, product):
        certificate = issued.store(account, product)
        certificate.revoked_at, certificate.revocation_reason = timezone.now(), RevocationReason.SUPERSEDED
        certificate.state = certificate.State.REVOKED
        certificate.save()
        with support.TlsServer(tmp_path, issued.chain_pem(), issued.key_pem()) as server:
            report = run(server.port, expected=certificate)
        assert report.result == "red" and codes(report, ERROR) == ["revoked"]

    def test_connection_refused(self):
        port = support.closed_port()
        report = run(port)
        assert report.result == "red" and codes(report) == ["connection_refused"]
        assert str(port) in report.reasons[0].message and report.details == {}

    def test_timeout(self):
        with support.SilentServer() as server:
            started = time.monotonic()
            report = run(server.port, timeout=0.5)
        assert time.monotonic() - started < 3
        assert report.result == "red" and codes(report) == ["timeout"]
        assert report.reasons[0].message == "The server did not answer within 0.5 seconds."

    def test_not_tls_at_all(self, tmp_path):
        with support.TlsServer(tmp_path, plain=b"HTTP/1.1 400 Bad Request\r\n\r\n") as server:
            report = run(server.port)
        assert report.result == "red" and codes(report) == ["handshake_failed"]

    def test_unresolvable_name(self):
        report = installation.test_installation("no-such-host.invalid", 443, allow_private=True, timeout=2)
        assert report.result == "red" and codes(report) == ["unresolved"]


STARTTLS = ["smtp", "imap", "pop3", "ftp", "xmpp", "ldap", "postgres"]


class TestStartTls:
    @pytest.mark.parametrize("protocol", STARTTLS)
    def test_each_protocol_reaches_the_certificate(self, tmp_path, issued, protocol):
        with support.TlsServer(
            tmp_path, issued.chain_pem(), issued.key_pem(), preamble=support.RESPONDERS[protocol]
        ) as server:
            report = run(server.port, starttls=protocol)
        # After the server's thread is joined: the client may finish its handshake before the
        # server's side of it returns and is counted.
        assert server.errors == [] and server.handshakes == 1
        assert report.result == "green", [r.message for r in report.reasons]
        assert report.starttls == protocol

    def test_smtp_missing_intermediate_is_orange_too(self, tmp_path, issued):
        with support.TlsServer(
            tmp_path, issued.chain_pem(with_intermediate=False), issued.key_pem(), preamble=support.smtp
        ) as server:
            assert run(server.port, starttls="smtp").result == "orange"

    def test_without_starttls_the_starttls_server_fails(self, tmp_path, issued):
        with support.TlsServer(
            tmp_path, issued.chain_pem(), issued.key_pem(), preamble=support.smtp
        ) as server:
            report = run(server.port, timeout=1)
        assert report.result == "red" and codes(report)[0] in {"handshake_failed", "timeout"}

    @pytest.mark.parametrize(
        ("preamble", "protocol", "answer"),
        [
            (support.smtp_without_starttls, "smtp", "STARTTLS is not offered"),
            (support.postgres_without_tls, "postgres", "the server does not accept TLS"),
            (support.smtp_injecting, "smtp", "the server sent data after agreeing to start TLS"),
        ],
    )
    def test_refusals(self, tmp_path, issued, preamble, protocol, answer):
        with support.TlsServer(tmp_path, issued.chain_pem(), issued.key_pem(), preamble=preamble) as server:
            report = run(server.port, starttls=protocol, timeout=2)
            assert server.handshakes == 0
        assert report.result == "red" and codes(report) == ["starttls_failed"]
        assert report.reasons[0].params["answer"] == answer


class TestWhereItMayConnect:
    def test_private_address_refused_unless_allowed(self, tmp_path, issued, settings):
        settings.INSTALLATION_TEST_ALLOW_PRIVATE = False
        with support.TlsServer(tmp_path, issued.chain_pem(), issued.key_pem()) as server:
            report = installation.test_installation("127.0.0.1", server.port, server_name=NAME, timeout=2)
            assert server.handshakes == 0
            settings.INSTALLATION_TEST_ALLOW_PRIVATE = True
            assert (
                installation.test_installation("127.0.0.1", server.port, server_name=NAME).result == "green"
            )
        assert report.result == "red" and codes(report) == ["address_refused"]

    @pytest.mark.parametrize(
        ("address", "public"),
        [
            ("127.0.0.1", False),
            ("10.1.2.3", False),
            ("172.16.0.1", False),
            ("192.168.1.1", False),
            ("169.254.169.254", False),
            ("100.64.0.1", False),
            ("0.0.0.0", False),  # noqa: S104
            ("224.0.0.1", False),
            ("::1", False),
            ("fe80::1", False),
            ("fd00::1", False),
            ("::ffff:127.0.0.1", False),
            ("::ffff:10.0.0.1", False),
            ("93.184.215.14", True),
            ("2606:4700:4700::1111", True),
        ],
    )
    def test_public_addresses(self, address, public):
        assert network.is_public(address) is public

    def test_a_name_with_one_private_address_is_refused(self, monkeypatch):
        monkeypatch.setattr(network, "resolve_addresses", lambda host, port: ["93.184.215.14", "10.0.0.8"])
        with pytest.raises(network.TargetRefused) as caught:
            network.resolve_target("mixed.example", 443, allow_private=False)
        assert caught.value.reason.params == {"host": "mixed.example", "address": "10.0.0.8"}

    @pytest.mark.parametrize(
        ("port", "allowed"),
        [
            (443, True),
            (25, True),
            (587, True),
            (993, True),
            (636, True),
            (5432, True),
            (8443, True),
            (1024, True),
            (65535, True),
            (22, False),
            (80, False),
            (1006, False),
            (0, False),
            (65536, False),
        ],
    )
    def test_ports(self, port, allowed):
        assert network.port_allowed(port) is allowed

    def test_refused_port_is_red_without_connecting(self):
        report = installation.test_installation("127.0.0.1", 22, allow_private=True)
        assert report.result == "red" and codes(report) == ["port_refused"]


def _with_names(*names: x509.GeneralName) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "names.test")])
    now = timezone.now()
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(list(names)), critical=False)
        .sign(key, hashes.SHA256())
    )


class TestNames:
    @pytest.mark.parametrize(
        ("name", "covered"),
        [
            ("www.acme.test", True),
            ("WWW.Acme.Test.", True),
            ("shop.acme.test", True),
            ("acme.test", True),
            ("a.shop.acme.test", False),
            ("acme.test.evil", False),
            ("xacme.test", False),
            ("192.0.2.7", True),
            ("192.0.2.8", False),
        ],
    )
    def test_rfc6125_matching(self, name, covered):
        cert = _with_names(
            x509.DNSName("*.acme.test"),
            x509.DNSName("acme.test"),
            x509.IPAddress(ipaddress.ip_address("192.0.2.7")),
        )
        assert installation.name_matches(name, cert) is covered

    def test_no_san_covers_nothing(self):
        cert = _with_names(x509.RFC822Name("someone@acme.test"))
        assert installation.name_matches("names.test", cert) is False


class TestJudge:
    def test_a_trusted_path_the_verifier_refuses_is_chain_invalid(self):
        """Dates, name and signatures fine, but a leaf for client authentication only on a server."""
        ca_cert, ca_key = support.self_signed("Judge Test CA", ca=True)
        key = ec.generate_private_key(ec.SECP256R1())
        now = timezone.now()
        leaf = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, NAME)]))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(7)
            .not_valid_before(now - timedelta(hours=1))
            .not_valid_after(now + timedelta(days=90))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(NAME)]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        found = installation.judge([leaf, ca_cert], NAME, roots=[ca_cert], intermediates=[])
        assert [r.code for r in found if r.level == ERROR] == ["chain_invalid"]
        assert found[0].message == "The certificate chain is not valid: required EKU not found."
        assert "trusted" not in [r.code for r in found]

    def test_the_same_leaf_for_servers_is_trusted_by_the_given_root(self):
        ca_cert, ca_key = support.self_signed("Judge Test CA", ca=True)
        leaf, _ = support.self_signed(NAME, issuer=(ca_cert, ca_key))
        found = installation.judge([leaf], NAME, roots=[ca_cert], intermediates=[])
        assert [r.code for r in found if r.level != OK] == []
