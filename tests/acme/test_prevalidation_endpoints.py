"""AUTO-1 × AUTO-2: an OV/EV ACME endpoint needs a valid pre-validation of its holder organisation,
of the product's type, by the product's brand; its ACME orders then issue with no one at the
keyboard, and stop once the pre-validation has expired."""

from __future__ import annotations

import datetime

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import Account
from acmeserver.models import AcmeEndpoint
from acmeserver.services.endpoints import EndpointError
from catalog.models import ProductType
from orders.models import Order, PreValidation
from orders.services.prevalidation import request_prevalidation, validate_prevalidation
from tests import factories
from tests.acme.test_endpoints_admin import post_new
from tests.acme.test_protocol import der_csr, order_names, problem, solve_http
from tests.support.acme import AcmeClient, holder, make_endpoint
from tests.support.dcv import DnsServer, HttpServer, use_peers
from tests.support.routes import log_in


@pytest.fixture
def monthly(db):
    return factories.make_account("Initech", domain="initech.test", formula=Account.Formula.MONTHLY)


@pytest.fixture
def boss(monthly):
    return factories.make_user(monthly, "boss", superuser=True)


@pytest.fixture
def ov(db):
    return factories.make_product("ssl-ov-acme", validation="OV")


@pytest.fixture
def ev(ov):
    return factories.make_product("ssl-ev-acme", validation="EV", product_type=ProductType.SERVER_EV)


def prevalidate(account, user, staff, product, kind="OV", *, now=None) -> PreValidation:
    organisation, admin, _tech = holder(account)
    prevalidation = request_prevalidation(
        account, brand=product.brand, validation_type=kind, organisation=organisation, contact=admin, by=user
    )
    validate_prevalidation(prevalidation, by=staff, now=now)
    return prevalidation


def test_an_ov_endpoint_is_refused_without_a_pre_validation(client, monthly, boss, ov):
    log_in(client, boss)
    response = post_new(client, monthly, ov)
    assert response.status_code == 200
    assert "valid OV pre-validation by" in response.content.decode()
    assert not AcmeEndpoint.objects.exists()


def test_an_ov_endpoint_is_allowed_with_a_valid_pre_validation(client, monthly, boss, staff, ov):
    prevalidate(monthly, boss, staff, ov)
    log_in(client, boss)
    response = post_new(client, monthly, ov)
    assert response.status_code == 302
    assert AcmeEndpoint.objects.get(account=monthly).product == ov


def test_an_ov_pre_validation_does_not_open_an_ev_endpoint(monthly, boss, staff, ov, ev):
    prevalidate(monthly, boss, staff, ov)
    with pytest.raises(EndpointError) as refused:
        make_endpoint(monthly, boss, ev)
    assert "EV pre-validation" in refused.value.message


def test_a_pending_or_expired_pre_validation_does_not_open_one(monthly, boss, staff, ov):
    organisation, admin, _tech = holder(monthly)
    request_prevalidation(
        monthly, brand=ov.brand, validation_type="OV", organisation=organisation, contact=admin, by=boss
    )
    with pytest.raises(EndpointError):
        make_endpoint(monthly, boss, ov)
    PreValidation.objects.all().delete()
    prevalidate(monthly, boss, staff, ov, now=timezone.now() - datetime.timedelta(days=826))
    with pytest.raises(EndpointError):
        make_endpoint(monthly, boss, ov)


@pytest.fixture
def peers(settings):
    with DnsServer() as dns_server, HttpServer() as web:
        use_peers(settings, dns_server, web)
        yield dns_server, web


def test_acme_orders_of_an_ov_endpoint_issue_without_a_person_until_it_expires(
    client, monthly, boss, staff, ov, peers
):
    prevalidation = prevalidate(monthly, boss, staff, ov)
    endpoint, key = make_endpoint(monthly, boss, ov)
    acme = AcmeClient(client, endpoint)
    assert acme.register(key).status_code == 201
    created = order_names(acme, ["www.shop.test"])
    solve_http(acme, created.json(), peers)
    order = acme.post(created["Location"]).json()
    finalized = acme.post(order["finalize"], {"csr": der_csr(["www.shop.test"])})
    assert finalized.status_code == 200, finalized.content
    assert finalized.json()["status"] == "valid"  # no staff step in between
    leaf = x509.load_pem_x509_certificates(acme.post(finalized.json()["certificate"]).content)[0]
    organisation = leaf.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
    assert organisation == holder(monthly)[0].name  # an OV certificate names its organisation
    with scopes_disabled():
        assert Order.objects.get(account=monthly).delivered_at is not None
    # Once expired, the endpoint orders no more.
    PreValidation.objects.filter(pk=prevalidation.pk).update(
        expires_at=timezone.now() - datetime.timedelta(days=1)
    )
    refused = acme.post(
        acme.directory["newOrder"], {"identifiers": [{"type": "dns", "value": "api.shop.test"}]}
    )
    assert refused.status_code == 403 and problem(refused, "unauthorized")
    assert "pre-validation" in refused.json()["detail"]
