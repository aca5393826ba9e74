"""The ACME server (RFC 8555, AUTO-2) spoken by a client built on the `acme` package's JWS and EAB:
directory, nonces, accounts with EAB, orders with http-01 and dns-01 checked by the portal's DCV
code on loopback peers, finalize, download, revoke, approval mode, key rollover, ARI; and the
refusals as problem documents."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django_scopes import scopes_disabled

from accounts.models import Account, Right
from acmeserver.models import AcmeEndpoint, AcmeOrder
from billing.models import PendingCharge
from orders.models import Certificate, DcvCheck, Order, OrderStatus
from orders.services.approval import approve_order
from tests import factories
from tests.support.acme import AcmeClient, dv_product, make_endpoint
from tests.support.dcv import DnsServer, HttpServer, use_peers

ERR = "urn:ietf:params:acme:error:"


@pytest.fixture
def monthly(db):
    return factories.make_account("Initech", domain="initech.test", formula=Account.Formula.MONTHLY)


@pytest.fixture
def boss(monthly):
    return factories.make_user(monthly, "boss", superuser=True)


@pytest.fixture
def endpoint_and_key(monthly, boss):
    return make_endpoint(monthly, boss, dv_product())


@pytest.fixture
def peers(settings):
    with DnsServer() as dns_server, HttpServer() as web:
        use_peers(settings, dns_server, web)
        yield dns_server, web


@pytest.fixture
def acme(client, endpoint_and_key):
    endpoint, key = endpoint_and_key
    acme = AcmeClient(client, endpoint)
    assert acme.register(key).status_code == 201
    return acme


def problem(response, kind: str) -> bool:
    return (
        response["Content-Type"] == "application/problem+json"
        and response.json()["type"] == ERR + kind
        and response.has_header("Replay-Nonce")
    )


def der_csr(names: list[str], key=None) -> str:
    pem = factories.make_csr(names[0], names[1:], key=key)
    der = x509.load_pem_x509_csr(pem.encode()).public_bytes(Encoding.DER)
    return base64.urlsafe_b64encode(der).decode().rstrip("=")


def order_names(acme: AcmeClient, names: list[str]):
    response = acme.post(
        acme.directory["newOrder"], {"identifiers": [{"type": "dns", "value": n} for n in names]}
    )
    assert response.status_code == 201, response.content
    return response


def solve_http(acme: AcmeClient, order: dict, peers) -> None:
    dns_server, web = peers
    thumb = base64.urlsafe_b64encode(acme.key.thumbprint()).decode().rstrip("=")
    for url in order["authorizations"]:
        authz = acme.post(url).json()
        dns_server.add(authz["identifier"]["value"], "A", "127.0.0.1")
        chall = next(c for c in authz["challenges"] if c["type"] == "http-01")
        web.serve(f"/.well-known/acme-challenge/{chall['token']}", f"{chall['token']}.{thumb}")
        answer = acme.post(chall["url"], {})
        assert answer.json()["status"] == "valid", answer.json()


def test_directory_requires_eab_and_nonces_are_single_use(client, endpoint_and_key):
    endpoint, _key = endpoint_and_key
    acme = AcmeClient(client, endpoint)
    assert acme.directory["meta"]["externalAccountRequired"] is True
    assert set(acme.directory) >= {
        "newNonce",
        "newAccount",
        "newOrder",
        "revokeCert",
        "keyChange",
        "renewalInfo",
    }
    head = client.head(acme.directory["newNonce"])
    assert head.status_code == 200 and head["Replay-Nonce"] and head["Cache-Control"] == "no-store"
    assert client.get(acme.directory["newNonce"]).status_code == 204
    nonce = acme.nonce()
    first = acme.post(acme.directory["newAccount"], {"onlyReturnExisting": True}, nonce=nonce)
    assert problem(first, "accountDoesNotExist")
    replay = acme.post(acme.directory["newAccount"], {"onlyReturnExisting": True}, nonce=nonce)
    assert replay.status_code == 400 and problem(replay, "badNonce")


def test_new_account_needs_the_endpoints_eab(client, endpoint_and_key, monthly, boss):
    endpoint, key = endpoint_and_key
    acme = AcmeClient(client, endpoint)
    assert problem(
        acme.post(acme.directory["newAccount"], {"termsOfServiceAgreed": True}), "externalAccountRequired"
    )
    wrong = base64.urlsafe_b64encode(b"x" * 32).decode().rstrip("=")
    assert problem(acme.register(wrong), "unauthorized")
    other, other_key = make_endpoint(monthly, boss, dv_product("ssl-dv-2"), name="Other")
    assert problem(acme.register(other_key, kid=other.eab_key_id), "unauthorized")  # another endpoint's key
    created = acme.register(key)
    assert created.status_code == 201 and "/acct/" in created["Location"]
    assert created.json()["status"] == "valid"
    again = AcmeClient(client, endpoint, key=acme.key)
    lookup = again.post(again.directory["newAccount"], {"onlyReturnExisting": True})
    assert lookup.status_code == 200 and lookup["Location"] == created["Location"]


def test_bad_requests_are_problem_documents_never_html(client, acme):
    url = acme.directory["newOrder"]
    for body in (b"", b"not json", b"{}", b'{"protected":"!!","payload":"","signature":""}'):
        response = client.post(url, body, content_type="application/jose+json")
        assert response.status_code == 400 and problem(response, "malformed"), body
    assert problem(
        acme.post(url, {"identifiers": [{"type": "ip", "value": "127.0.0.1"}]}), "unsupportedIdentifier"
    )
    assert problem(
        acme.post(url, {"identifiers": [{"type": "dns", "value": "*.shop.test"}]}), "rejectedIdentifier"
    )
    assert problem(
        acme.post(url, {"identifiers": [{"type": "dns", "value": "bad..name"}]}), "rejectedIdentifier"
    )
    signed_elsewhere = acme.sign(acme.directory["revokeCert"], {"identifiers": []})
    response = client.post(url, signed_elsewhere, content_type="application/jose+json")
    assert problem(response, "unauthorized")
    assert client.get("/acme/nope/directory").status_code == 404


def test_http01_order_becomes_a_billed_acme_order_with_a_verifiable_chain(client, acme, peers, monthly):
    created = order_names(acme, ["www.shop.test", "shop.test"])
    order = created.json()
    assert order["status"] == "pending" and len(order["authorizations"]) == 2
    solve_http(acme, order, peers)
    order = acme.post(created["Location"]).json()
    assert order["status"] == "ready"
    key = factories.make_key()
    finalized = acme.post(order["finalize"], {"csr": der_csr(["www.shop.test", "shop.test"], key)})
    assert finalized.status_code == 200, finalized.content
    assert finalized.json()["status"] == "valid"
    chain = acme.post(finalized.json()["certificate"])
    assert chain["Content-Type"] == "application/pem-certificate-chain"
    certs = x509.load_pem_x509_certificates(chain.content)
    assert len(certs) >= 2
    assert certs[0].public_key().public_numbers() == key.public_key().public_numbers()
    certs[0].verify_directly_issued_by(certs[1])
    with scopes_disabled():
        portal = Order.objects.get(account=monthly)
        assert portal.reference.startswith("ACME-") and len(portal.reference) == 12
        assert portal.status == OrderStatus.DELIVERED_NOT_INVOICED  # the monthly formula's own payment
        assert PendingCharge.objects.filter(account=monthly).exists()
        assert sorted(portal.all_names) == ["shop.test", "www.shop.test"]
        checks = DcvCheck.objects.filter(order=portal)
        assert checks.count() == 2 and all(c.validated_at and c.method == "http" for c in checks)


def test_dns01_and_reuse_of_the_validation(client, monthly, boss, peers):
    dns_server, _web = peers
    endpoint, key = make_endpoint(monthly, boss, dv_product("ssl-dv-wildcard", wildcard=True))
    acme = AcmeClient(client, endpoint)
    assert acme.register(key).status_code == 201
    created = order_names(acme, ["*.dns.test"])
    authz = acme.post(created.json()["authorizations"][0]).json()
    assert authz["wildcard"] is True and [c["type"] for c in authz["challenges"]] == ["dns-01"]
    chall = authz["challenges"][0]
    assert len(base64.urlsafe_b64decode(chall["token"] + "==")) >= 16  # RFC 8555 8.1: 128 bits at least
    thumb = base64.urlsafe_b64encode(acme.key.thumbprint()).decode().rstrip("=")
    digest = hashlib.sha256(f"{chall['token']}.{thumb}".encode()).digest()
    wrong = acme.post(chall["url"], {})
    assert wrong.json()["status"] == "invalid" and wrong.json()["error"]["type"].startswith(ERR)
    assert acme.post(created["Location"]).json()["status"] == "invalid"
    again = order_names(acme, ["*.dns.test"])
    chall = acme.post(again.json()["authorizations"][0]).json()["challenges"][0]
    digest = hashlib.sha256(f"{chall['token']}.{thumb}".encode()).digest()
    dns_server.add(
        "_acme-challenge.dns.test", "TXT", '"' + base64.urlsafe_b64encode(digest).decode().rstrip("=") + '"'
    )
    assert acme.post(chall["url"], {}).json()["status"] == "valid"
    # A later order for the same domain reuses the validation (BR 4.2.1 period): valid at once.
    third = order_names(acme, ["*.dns.test"])
    assert third.json()["status"] == "ready"


def test_weak_key_csr_is_a_bad_csr_problem(client, acme, peers):
    created = order_names(acme, ["weak.shop.test"])
    solve_http(acme, created.json(), peers)
    response = acme.post(
        created.json()["finalize"], {"csr": der_csr(["weak.shop.test"], factories.make_key("rsa1024"))}
    )
    assert response.status_code == 400 and problem(response, "badCSR")
    other_names = acme.post(created.json()["finalize"], {"csr": der_csr(["other.shop.test"])})
    assert problem(other_names, "badCSR")
    with scopes_disabled():
        assert not Order.objects.exists()


def test_finalize_before_validation_is_refused(client, acme):
    created = order_names(acme, ["early.shop.test"])
    response = acme.post(created.json()["finalize"], {"csr": der_csr(["early.shop.test"])})
    assert response.status_code == 403 and problem(response, "orderNotReady")


def test_approval_mode_holds_the_order_until_an_approver_approves(client, acme, peers, monthly):
    Account.objects.filter(pk=monthly.pk).update(approval_mode=True)
    created = order_names(acme, ["held.shop.test"])
    solve_http(acme, created.json(), peers)
    finalized = acme.post(created.json()["finalize"], {"csr": der_csr(["held.shop.test"])})
    assert finalized.json()["status"] == "processing" and finalized["Retry-After"]
    poll = acme.post(created["Location"])
    assert poll.json()["status"] == "processing" and "certificate" not in poll.json()
    approver = factories.make_user(monthly, "approver", rights=[Right.APPROVAL])
    with scopes_disabled():
        portal = Order.objects.get(account=monthly)
        assert portal.status == OrderStatus.AWAITING_APPROVAL
        approve_order(portal, user=approver)
    assert acme.post(created["Location"]).json()["status"] == "valid"


def test_revoke_by_the_account_and_not_by_another(client, acme, peers, endpoint_and_key):
    created = order_names(acme, ["gone.shop.test"])
    solve_http(acme, created.json(), peers)
    url = acme.post(created.json()["finalize"], {"csr": der_csr(["gone.shop.test"])}).json()["certificate"]
    leaf = x509.load_pem_x509_certificates(acme.post(url).content)[0]
    der = base64.urlsafe_b64encode(leaf.public_bytes(Encoding.DER)).decode().rstrip("=")
    endpoint, key = endpoint_and_key
    stranger = AcmeClient(client, endpoint)
    assert stranger.register(key).status_code == 201
    assert problem(stranger.post(acme.directory["revokeCert"], {"certificate": der}), "unauthorized")
    assert problem(
        acme.post(acme.directory["revokeCert"], {"certificate": der, "reason": 2}), "badRevocationReason"
    )
    assert acme.post(acme.directory["revokeCert"], {"certificate": der, "reason": 4}).status_code == 200
    with scopes_disabled():
        assert Certificate.objects.get(serial=f"{leaf.serial_number:x}").state == Certificate.State.REVOKED
    assert problem(acme.post(acme.directory["revokeCert"], {"certificate": der}), "alreadyRevoked")


def test_renewal_info_and_replaces(client, acme, peers):
    from acmeserver.services.ari import cert_id

    created = order_names(acme, ["ari.shop.test"])
    solve_http(acme, created.json(), peers)
    url = acme.post(created.json()["finalize"], {"csr": der_csr(["ari.shop.test"])}).json()["certificate"]
    leaf = x509.load_pem_x509_certificates(acme.post(url).content)[0]
    ident = cert_id(leaf)
    info = client.get(f"{acme.directory['renewalInfo']}/{ident}")
    assert info.status_code == 200 and info["Retry-After"]
    window = info.json()["suggestedWindow"]
    assert window["start"] < window["end"]
    assert client.get(f"{acme.directory['renewalInfo']}/AAAA.AAAA").status_code == 404
    renewal = acme.post(
        acme.directory["newOrder"],
        {"identifiers": [{"type": "dns", "value": "ari.shop.test"}], "replaces": ident},
    )
    assert renewal.status_code == 201 and renewal.json()["replaces"] == ident
    assert renewal.json()["status"] == "ready"  # the validation is reused
    done = acme.post(renewal.json()["finalize"], {"csr": der_csr(["ari.shop.test"])})
    assert done.json()["status"] == "valid"
    with scopes_disabled():
        first, second = Order.objects.filter(common_name="ari.shop.test").order_by("created_at", "pk")
        assert second.origin == "renewal" and second.source_order_id == first.pk
    bogus = acme.post(
        acme.directory["newOrder"],
        {"identifiers": [{"type": "dns", "value": "x.shop.test"}], "replaces": "AAAA.AAAA"},
    )
    assert problem(bogus, "malformed")


def test_key_rollover_and_deactivation(client, acme):
    import josepy as jose
    from acme import jws
    from cryptography.hazmat.primitives.asymmetric import rsa

    new_key = jose.JWKRSA(key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
    url = acme.directory["keyChange"]
    inner = jws.JWS.sign(
        json.dumps({"account": acme.kid, "oldKey": acme.key.public_key().to_json()}).encode(),
        key=new_key,
        alg=jose.RS256,
        nonce=None,
        url=url,
    ).to_json()
    assert acme.post(url, inner).status_code == 200
    old = acme.key
    acme.key = new_key
    assert acme.post(acme.kid).json()["status"] == "valid"
    acme.key = old
    assert problem(acme.post(acme.kid), "malformed")  # the old key no longer signs for the account
    acme.key = new_key
    assert acme.post(acme.kid, {"status": "deactivated"}).json()["status"] == "deactivated"
    assert problem(
        acme.post(acme.directory["newOrder"], {"identifiers": [{"type": "dns", "value": "a.shop.test"}]}),
        "unauthorized",
    )


def test_disabled_endpoint_and_other_tenants_objects(client, acme, peers, endpoint_and_key, other_account):
    created = order_names(acme, ["mine.shop.test"])
    other_user = factories.make_user(other_account, "other", superuser=True)
    Account.objects.filter(pk=other_account.pk).update(formula=Account.Formula.MONTHLY)
    other_account.refresh_from_db()
    other_endpoint, other_key = make_endpoint(other_account, other_user, dv_product("ssl-dv-other"))
    thief = AcmeClient(client, other_endpoint)
    assert thief.register(other_key).status_code == 201
    # The other tenant's account URL and this order's URL mean nothing on its endpoint.
    foreign = created["Location"].replace(acme.endpoint.public_id, other_endpoint.public_id)
    assert thief.post(foreign).status_code == 404
    endpoint, _key = endpoint_and_key
    AcmeEndpoint.objects.filter(pk=endpoint.pk).update(status=AcmeEndpoint.Status.DISABLED)
    response = acme.post(
        acme.directory["newOrder"], {"identifiers": [{"type": "dns", "value": "b.shop.test"}]}
    )
    assert response.status_code == 403 and problem(response, "unauthorized")
    with scopes_disabled():
        assert AcmeOrder.objects.filter(acme_account__endpoint=endpoint).count() == 1
