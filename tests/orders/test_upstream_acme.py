"""AUTO-4 [beyond]: a brand served by an outside ACME CA, end to end against Debian's `pebble`.

Pebble requires EAB; the order's names resolve (through the test's loopback DNS server) to the
portal's own WSGI application on pebble's http-01 port, so pebble validates every name for real
against the key authorizations the connector published at /.well-known/acme-challenge/. The
stored certificate is checked with `openssl verify` against pebble's root (/roots/0).
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta

import pytest
from cryptography import x509
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from orders.ca import AcmeClientCA, EmbeddedCA, get_connector, secrets
from orders.csr import parse_csr
from orders.models import Certificate, Order, OrderStatus, UpstreamAcmeAccount, UpstreamIssuance
from orders.services import IllegalTransition
from orders.services.actions import revoke_certificate
from orders.services.downloads import certificate_file
from orders.services.reissue import ReissueRequest, reissue, revoke_scheduled
from orders.services.upstream import run_issuance
from outbox.models import OutboxMessage
from tests.factories import make_csr, make_key
from tests.support.dcv import DnsServer
from tests.support.orders import make_order, pass_dcv
from tests.support.pebble import Pebble, PortalHttp, pebble_binary

S = OrderStatus
State = UpstreamIssuance.State
NAMES = ("www.upstream.test", "upstream.test")

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(pebble_binary() is None, reason="pebble (Debian), make system-test"),
]


@pytest.fixture
def dns_server():
    with DnsServer() as server:
        for name in NAMES:
            server.add(name, "A", "127.0.0.1")
        yield server


@pytest.fixture
def portal_http(settings):
    settings.ALLOWED_HOSTS = ["*"]
    settings.SECURE_SSL_REDIRECT = False
    with PortalHttp() as server:
        yield server


@pytest.fixture
def pebble(tmp_path, dns_server, portal_http, settings):
    ca = Pebble(tmp_path, http_port=portal_http.port, dns_port=dns_server.port)
    settings.UPSTREAM_ACME_CA_BUNDLE = str(ca.tls_cert)
    settings.UPSTREAM_ACME_TIMEOUT = 30
    ca.start()
    yield ca
    ca.stop()


@pytest.fixture
def upstream(product, pebble):
    return UpstreamAcmeAccount.objects.create(
        brand=product.brand,
        directory_url=pebble.directory_url,
        eab_key_id=pebble.eab_kid,
        eab_hmac_encrypted=secrets.encrypt(pebble.eab_hmac),
        contact_email="pki@portal.test",
    )


@pytest.fixture
def paid_order(account, product, staff):
    order = make_order(
        account, product, status=S.UNDER_VERIFICATION, paid=True, common_name=NAMES[0], sans=[NAMES[1]]
    )
    return pass_dcv(order, staff)


def issue_from_admin(client, staff, order, capture):
    client.force_login(staff)
    with capture(execute=True):
        response = client.post(reverse("admin:orders_order_issue", args=[order.pk]))
    assert response.status_code == 302
    return client.get(reverse("admin:orders_order_change", args=[order.pk]))


def openssl_verify(certificate: Certificate, root_pem: bytes, tmp_path) -> None:
    (tmp_path / "root.pem").write_bytes(root_pem)
    (tmp_path / "chain.pem").write_text(certificate.chain_pem)
    (tmp_path / "leaf.pem").write_text(certificate.pem)
    result = subprocess.run(
        [
            "openssl",
            "verify",
            "-CAfile",
            str(tmp_path / "root.pem"),
            "-untrusted",
            str(tmp_path / "chain.pem"),
            "-verify_hostname",
            NAMES[0],
            str(tmp_path / "leaf.pem"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl")
def test_an_order_of_an_upstream_brand_is_issued_by_pebble(
    client,
    staff,
    owner,
    paid_order,
    upstream,
    pebble,
    dns_server,
    mailoutbox,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    page = issue_from_admin(client, staff, paid_order, django_capture_on_commit_callbacks)

    paid_order.refresh_from_db()
    assert paid_order.status == S.DELIVERED_PAID
    certificate = Certificate.objects.get(order=paid_order)
    leaf = x509.load_pem_x509_certificate(certificate.pem.encode())
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(sans.get_values_for_type(x509.DNSName)) == set(NAMES)
    assert "Pebble" in certificate.issuer_name and certificate.issuer_id is None
    assert certificate.public_key_sha256 == paid_order.csr_public_key_sha256
    openssl_verify(certificate, pebble.root_pem(), tmp_path)
    assert (NAMES[1], "A") in dns_server.queries  # pebble looked the names up to validate them
    # The account was registered with EAB, its key kept encrypted.
    upstream.refresh_from_db()
    assert upstream.account_url.startswith(f"https://localhost:{pebble.port}/")
    assert "PRIVATE KEY" not in upstream.account_key_encrypted
    # Delivered as the embedded path delivers: status, audit, email, downloads with the chain.
    issuance = UpstreamIssuance.objects.get(order=paid_order)
    assert issuance.state == State.DONE and issuance.attempts == 1 and issuance.error == ""
    assert AuditEvent.objects.filter(action="certificate.issued", object_id=paid_order.reference).exists()
    assert [m.to for m in mailoutbox] == [[paid_order.technical_contact.email]]
    fullchain = certificate_file(paid_order, certificate, "fullchain").body
    assert isinstance(fullchain, str) and fullchain.count("BEGIN CERTIFICATE") >= 2
    assert "Done" in page.content.decode()
    # The customer's order page names the outside issuer and offers every format, with its chain.
    client.force_login(owner)
    detail = client.get(reverse("orders:detail", args=[paid_order.reference])).content.decode()
    assert "Pebble Intermediate" in detail
    for fmt in ("fullchain", "p7b", "zip"):
        assert reverse("orders:download", args=[paid_order.reference, certificate.serial, fmt]) in detail
    download = client.get(
        reverse("orders:download", args=[paid_order.reference, certificate.serial, "fullchain"])
    )
    assert download.status_code == 200 and b"".join(download).count(b"BEGIN CERTIFICATE") >= 2


def test_reissue_and_revocation_go_to_pebble(
    client, staff, tech, paid_order, upstream, pebble, django_capture_on_commit_callbacks
):
    issue_from_admin(client, staff, paid_order, django_capture_on_commit_callbacks)
    first = Certificate.objects.get(order=paid_order)
    paid_order.refresh_from_db()
    csr = parse_csr(make_csr(NAMES[0], [NAMES[1]], key=make_key("p256")))
    request = ReissueRequest(reason="lost", csr=csr, sans=[NAMES[1]], replaced=first)

    registered = UpstreamAcmeAccount.objects.get(pk=upstream.pk).account_url
    second = reissue(paid_order, request, user=tech)

    assert UpstreamAcmeAccount.objects.get(pk=upstream.pk).account_url == registered  # one account
    assert second.issuer_id is None and second.chain_pem and second.serial != first.serial
    assert second.public_key_sha256 == csr.public_key_sha256
    assert pebble.certificate_status(first.serial) == "Valid"
    revoke_certificate(first, "superseded", user=tech)
    assert pebble.certificate_status(first.serial) == "Revoked"
    first.refresh_from_db()
    assert first.state == Certificate.State.REVOKED
    assert pebble.certificate_status(second.serial) == "Valid"


def test_a_scheduled_revocation_reaches_pebble(
    client, staff, paid_order, upstream, pebble, django_capture_on_commit_callbacks
):
    issue_from_admin(client, staff, paid_order, django_capture_on_commit_callbacks)
    certificate = Certificate.objects.get(order=paid_order)
    Certificate.objects.filter(pk=certificate.pk).update(
        revoke_scheduled_at=timezone.now() - timedelta(minutes=1)
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert revoke_scheduled() == 1

    certificate.refresh_from_db()
    assert certificate.state == Certificate.State.REVOKED
    assert pebble.certificate_status(certificate.serial) == "Revoked"


def test_the_ca_down_refuses_a_revocation_and_changes_nothing(
    client, staff, tech, paid_order, upstream, pebble, django_capture_on_commit_callbacks
):
    issue_from_admin(client, staff, paid_order, django_capture_on_commit_callbacks)
    certificate = Certificate.objects.get(order=paid_order)
    pebble.stop()
    with pytest.raises(IllegalTransition, match="did not revoke"):
        revoke_certificate(certificate, "superseded", user=tech)
    certificate.refresh_from_db()
    assert certificate.state == Certificate.State.VALID


def test_the_task_run_twice_issues_once(paid_order, upstream, staff, django_capture_on_commit_callbacks):
    from orders.services.upstream import request_issuance

    with django_capture_on_commit_callbacks(execute=True):
        request_issuance(paid_order, user=staff)
    assert run_issuance(paid_order.pk) == "nothing to do"
    assert Certificate.objects.filter(order=paid_order).count() == 1


def test_pebble_down_leaves_a_reason_and_a_retry_issues(
    client, staff, paid_order, upstream, pebble, django_capture_on_commit_callbacks
):
    pebble.stop()
    page = issue_from_admin(client, staff, paid_order, django_capture_on_commit_callbacks)

    assert page.status_code == 200
    paid_order.refresh_from_db()
    assert paid_order.status == S.UNDER_VERIFICATION  # nothing moved
    issuance = UpstreamIssuance.objects.get(order=paid_order)
    assert issuance.state == State.FAILED and "cannot be reached" in issuance.error
    assert issuance.error in page.content.decode()  # staff read the reason on the order
    assert not Certificate.objects.filter(order=paid_order).exists()
    assert AuditEvent.objects.filter(action="order.upstream_failed", object_id=paid_order.reference).exists()

    pebble.start()
    issue_from_admin(client, staff, paid_order, django_capture_on_commit_callbacks)
    issuance.refresh_from_db()
    assert issuance.state == State.DONE and issuance.attempts == 2
    assert Order.objects.get(pk=paid_order.pk).status == S.DELIVERED_PAID


def test_a_wrong_eab_key_is_refused_by_the_ca(
    client, staff, paid_order, upstream, django_capture_on_commit_callbacks
):
    UpstreamAcmeAccount.objects.filter(pk=upstream.pk).update(
        eab_hmac_encrypted=secrets.encrypt("c2VjcmV0LWJ1dC13cm9uZy1obWFjLWtleS0wMTIzNDU2Nzg5")
    )
    issue_from_admin(client, staff, paid_order, django_capture_on_commit_callbacks)

    issuance = UpstreamIssuance.objects.get(order=paid_order)
    assert issuance.state == State.FAILED and "urn:ietf:params:acme:error" in issuance.error
    assert Order.objects.get(pk=paid_order.pk).status == S.UNDER_VERIFICATION


def test_a_name_pebble_cannot_validate_fails_the_issuance(
    client, staff, paid_order, upstream, dns_server, django_capture_on_commit_callbacks
):
    dns_server.records.pop((NAMES[1], "A"))  # NXDOMAIN: pebble cannot reach the name
    dns_server.add("other.test", "A", "127.0.0.1")
    issue_from_admin(client, staff, paid_order, django_capture_on_commit_callbacks)

    issuance = UpstreamIssuance.objects.get(order=paid_order)
    assert issuance.state == State.FAILED and NAMES[1] in issuance.error
    assert not Certificate.objects.filter(order=paid_order).exists()


def test_connector_choice(product, upstream):
    assert isinstance(get_connector(product.brand), AcmeClientCA)
    UpstreamAcmeAccount.objects.filter(pk=upstream.pk).update(enabled=False)
    assert isinstance(get_connector(product.brand), EmbeddedCA)


def test_queued_twice_enqueues_once(paid_order, upstream, staff):
    from orders.services.upstream import request_issuance

    request_issuance(paid_order, user=staff)  # no commit callback run: stays queued
    request_issuance(paid_order, user=staff)
    assert OutboxMessage.objects.filter(task="orders.tasks.issue_upstream").count() == 1
    assert UpstreamIssuance.objects.get(order=paid_order).state == State.QUEUED


def test_an_acme_order_of_the_portal_is_issued_by_the_brands_outside_ca(
    client, upstream, pebble, dns_server, settings, django_capture_on_commit_callbacks
):
    """AUTO-2 + AUTO-4: a partner's ACME client orders from the portal, the portal checks the names
    (its own DCV, the client's web server) and then orders them from pebble (pebble checks them
    again, through the portal's responder); the client downloads pebble's certificate."""
    from accounts.models import Account
    from tests import factories
    from tests.acme.test_protocol import der_csr, order_names, solve_http
    from tests.support.acme import AcmeClient, dv_product, make_endpoint
    from tests.support.dcv import HttpServer, use_peers

    account = factories.make_account("Initech", domain="initech.test", formula=Account.Formula.MONTHLY)
    boss = factories.make_user(account, "boss", superuser=True)
    endpoint, key = make_endpoint(account, boss, dv_product())
    acme = AcmeClient(client, endpoint)
    assert acme.register(key).status_code == 201
    with HttpServer() as web:
        use_peers(settings, dns_server, web)
        created = order_names(acme, list(NAMES))
        solve_http(acme, created.json(), (dns_server, web))
    ready = acme.post(created["Location"]).json()
    assert ready["status"] == "ready"
    leaf_key = make_key("p256")
    with django_capture_on_commit_callbacks(execute=True):
        finalized = acme.post(ready["finalize"], {"csr": der_csr(list(NAMES), leaf_key)})
    assert finalized.status_code == 200, finalized.content
    order = acme.post(created["Location"]).json()  # the next poll finds the certificate
    assert order["status"] == "valid", order
    chain = x509.load_pem_x509_certificates(acme.post(order["certificate"]).content)
    assert chain[0].public_key().public_numbers() == leaf_key.public_key().public_numbers()
    assert "Pebble" in chain[0].issuer.rfc4514_string() and len(chain) >= 2
    portal_order = Order.objects.get(account=account)
    assert UpstreamIssuance.objects.get(order=portal_order).state == State.DONE
