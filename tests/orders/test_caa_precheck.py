"""ORD-8 [beyond]: CAA records (RFC 8659) are pre-checked when the order form is submitted."""

import pytest

from tests.support.dcv import DnsServer, use_peers
from tests.support.orders import form_data


@pytest.fixture
def dns(settings):
    with DnsServer() as server:
        use_peers(settings, server)
        settings.DCV_CAA_PRECHECK = True
        yield server


@pytest.fixture
def tech_client(client, tech):
    client.force_login(tech)
    return client


def form_url(product):
    return f"/operations/new/{product.code}/?months=12"


def test_caa_forbidding_the_brand_refuses_with_a_clear_message(tech_client, account, product, dns):
    dns.add("acme.test", "CAA", '0 issue "letsencrypt.org"')
    response = tech_client.post(form_url(product), form_data(account))
    page = response.content.decode()
    assert response.status_code == 200
    assert "CAA records of your domains do not allow" in page and "letsencrypt.org" in page
    assert 'value="www.acme.test"' in page  # what was typed is kept


def test_caa_naming_the_brand_or_absent_lets_the_order_go_on(tech_client, account, product, dns):
    dns.add("acme.test", "CAA", '0 issue "tbs-certificats.com"')
    response = tech_client.post(form_url(product), form_data(account))
    assert response.status_code == 302 and "/operations/review/" in response["Location"]
