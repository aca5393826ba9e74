"""AUTO-3 through ACME (AUTO-2): a locked domain refuses a new ACME order; a validation made on the
domain page makes the ACME authorization valid at once (BR 4.2.1 reuse)."""

from __future__ import annotations

import pytest

from accounts.models import Account
from acmeserver.models import AcmeOrder
from orders import dcv as pure
from orders.services.dcv import run_check
from orders.services.domain_registry import register_domain, set_lock, start_domain_dcv
from tests import factories
from tests.support.acme import AcmeClient, dv_product, make_endpoint
from tests.support.dcv import DnsServer, use_peers

pytestmark = pytest.mark.django_db
ERR = "urn:ietf:params:acme:error:"


@pytest.fixture
def monthly(db):
    return factories.make_account("Initech", domain="initech.test", formula=Account.Formula.MONTHLY)


@pytest.fixture
def boss(monthly):
    return factories.make_user(monthly, "boss", superuser=True)


@pytest.fixture
def acme(client, monthly, boss):
    endpoint, key = make_endpoint(monthly, boss, dv_product())
    acme = AcmeClient(client, endpoint)
    assert acme.register(key).status_code == 201
    return acme


@pytest.fixture
def dns_server(settings):
    with DnsServer() as server:
        use_peers(settings, server)
        yield server


def new_order(acme: AcmeClient, name: str):
    return acme.post(acme.directory["newOrder"], {"identifiers": [{"type": "dns", "value": name}]})


def test_a_locked_domain_refuses_a_new_acme_order(acme, monthly, boss):
    set_lock(register_domain(monthly, "initech.test", user=boss), True, user=boss)
    response = new_order(acme, "www.initech.test")
    assert response.status_code == 400
    assert response.json()["type"] == ERR + "rejectedIdentifier"
    assert "initech.test is locked" in response.json()["detail"]
    assert not AcmeOrder.objects.exists()
    assert new_order(acme, "www.other.test").status_code == 201  # other names are not locked


def test_an_acme_order_reuses_the_domain_page_validation(acme, monthly, boss, dns_server):
    check = start_domain_dcv(register_domain(monthly, "initech.test", user=boss), "dns", user=boss)
    dns_server.add(pure.dns_record_name("initech.test"), "TXT", f'"{check.token}"')
    assert run_check(check, user=boss).validated_at is not None
    response = new_order(acme, "initech.test")
    assert response.status_code == 201
    assert response.json()["status"] == "ready"  # no challenge left to solve
