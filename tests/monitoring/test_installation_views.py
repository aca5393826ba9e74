"""LIFE-4 installation test page: form, result, last tests, rights, other account, address refusal,
rate limit. The servers are real TLS servers on loopback (tests/support/installation)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLResolver, include, path, reverse

from accounts.formatting import date_text
from accounts.models import AuditEvent, Right
from catalog.models import ProductType
from monitoring import network
from monitoring.models import InstallationCheck
from portal.urls import urlpatterns as portal_patterns
from tests import factories
from tests.support import installation as support

# Until portal/urls.py mounts it: portal's own patterns plus `monitoring/`.
urlpatterns = [
    path("monitoring/", include("monitoring.urls")),
    *[p for p in portal_patterns if not (isinstance(p, URLResolver) and p.namespace == "monitoring")],
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.monitoring.test_installation_views")]
NAME = "www.acme.test"


@pytest.fixture(autouse=True)
def _loopback(settings, monitoring_dns):
    settings.INSTALLATION_TEST_ALLOW_PRIVATE = True


@pytest.fixture
def monitoring_dns(monkeypatch):
    """www.acme.test and acme.test resolve to loopback, where the test servers listen."""
    real = network.resolve_addresses

    def resolve(host, port):
        return ["127.0.0.1"] if host.endswith("acme.test") else real(host, port)

    monkeypatch.setattr(network, "resolve_addresses", resolve)


@pytest.fixture
def dv_product(db):
    return factories.make_product("ssl-dv-page", product_type=ProductType.SERVER_DV, validation="DV")


@pytest.fixture
def issued(dv_product):
    return support.Issued(dv_product, NAME, names=("acme.test",))


@pytest.fixture
def certificate(issued, account, dv_product):
    return issued.store(account, dv_product)


def url(certificate) -> str:
    return reverse("monitoring:installation", args=[certificate.order.reference, certificate.serial])


def post(client, certificate, port, host=NAME, starttls=""):
    return client.post(url(certificate), {"host": host, "port": port, "starttls": starttls})


class TestPage:
    def test_form_is_prefilled(self, client, tech, certificate):
        client.force_login(tech)
        response = client.get(url(certificate))
        assert response.status_code == 200
        form = response.context["form"]
        assert form["host"].value() == NAME and form["port"].value() == 443 and form["starttls"].value() == ""
        assert "This certificate has not been tested yet." in response.text

    def test_wildcard_proposes_www(self, client, tech, account, dv_product):
        wildcard = support.Issued(dv_product, "*.acme.test", names=("acme.test",)).store(account, dv_product)
        client.force_login(tech)
        assert client.get(url(wildcard)).context["form"]["host"].value() == "www.acme.test"

    def test_green_result_is_kept_listed_and_audited(self, client, tech, certificate, issued, tmp_path):
        client.force_login(tech)
        with support.TlsServer(tmp_path, issued.chain_pem(), issued.key_pem()) as server:
            response = post(client, certificate, server.port)
        assert response.status_code == 302 and response["Location"] == url(certificate) + "#result"
        check = InstallationCheck.objects.get(certificate=certificate)
        assert (check.account, check.by, check.host, check.port, check.result) == (
            certificate.account,
            tech,
            NAME,
            server.port,
            "green",
        )
        assert {r["code"] for r in check.reasons} == {"dates_ok", "name_ok", "trusted", "expected_ok"}
        assert check.details["serial"] == certificate.serial
        event = AuditEvent.objects.get(action="certificate.installation_tested")
        assert event.details["result"] == "green" and event.details["serial"] == certificate.serial

        page = client.get(url(certificate)).text
        assert 'class="badge result-green">Valid</span>' in page
        assert "The chain is complete and trusted (root: TBS-X509 Demo Root CA)." in page
        assert "The server sends this certificate." in page
        assert "TLSv1" in page  # protocol among the details
        # Dates as the reader's language writes a day (issue 8 point 13), not "2026-12-04 10:00 UTC".
        validity = page.split("installation-details")[1].split("</dl>")[0]
        assert not re.search(r"\d{4}-\d{2}-\d{2}", validity)
        assert date_text(certificate.not_after) in validity

    def test_missing_intermediate_is_orange(self, client, tech, certificate, issued, tmp_path):
        client.force_login(tech)
        with support.TlsServer(
            tmp_path, issued.chain_pem(with_intermediate=False), issued.key_pem()
        ) as server:
            post(client, certificate, server.port)
        page = client.get(url(certificate)).text
        assert 'class="badge result-orange">Valid with warnings</span>' in page
        assert (
            "Intermediate certificate missing: the server does not send TBS-X509 Demo TLS Issuing CA." in page
        )

    def test_smtp_starttls_on_the_page(self, client, tech, certificate, issued, tmp_path):
        client.force_login(tech)
        with support.TlsServer(
            tmp_path, issued.chain_pem(), issued.key_pem(), preamble=support.smtp
        ) as server:
            post(client, certificate, server.port, starttls="smtp")
        check = InstallationCheck.objects.get(certificate=certificate)
        assert (check.starttls, check.result) == ("smtp", "green")
        assert "(StartTLS SMTP)" in client.get(url(certificate)).text

    def test_refused_connection_is_red_in_the_page_language(self, client, tech, certificate):
        client.force_login(tech)
        port = support.closed_port()
        post(client, certificate, port)
        assert InstallationCheck.objects.get().result == "red"
        page = client.get(url(certificate)).text
        assert 'class="badge result-red">Invalid</span>' in page
        assert f"The connection to 127.0.0.1 port {port} was refused" in page

    def test_commercial_right_may_test(self, client, account, certificate):
        commercial = factories.make_user(account, "sales", rights=[Right.COMMERCIAL])
        client.force_login(commercial)
        assert client.get(url(certificate)).status_code == 200

    def test_last_tests_in_constant_queries(self, client, tech, certificate):
        client.force_login(tech)

        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url(certificate)).status_code == 200
            return len(captured)

        InstallationCheck.objects.create(
            account=certificate.account,
            certificate=certificate,
            host=NAME,
            port=443,
            result="red",
            reasons=[],
            by=tech,
        )
        queries()  # the account's cached badges counted once
        one = queries()
        for port in (444, 445, 446, 447):
            InstallationCheck.objects.create(
                account=certificate.account,
                certificate=certificate,
                host=NAME,
                port=port,
                result="green",
                reasons=[],
                by=tech,
            )
        assert queries() == one


class TestRefusals:
    def test_other_accounts_certificate_is_404(self, client, outsider, certificate):
        client.force_login(outsider)
        assert client.get(url(certificate)).status_code == 404
        assert post(client, certificate, 443).status_code == 404
        assert not InstallationCheck.objects.exists()

    def test_serial_of_another_order_is_404(self, client, tech, certificate, account, dv_product):
        other = support.Issued(dv_product, "mail.acme.test").store(account, dv_product)
        client.force_login(tech)
        wrong = reverse("monitoring:installation", args=[other.order.reference, certificate.serial])
        assert client.get(wrong).status_code == 404

    def test_billing_right_is_403(self, client, billing, certificate):
        client.force_login(billing)
        assert client.get(url(certificate)).status_code == 403
        assert post(client, certificate, 443).status_code == 403

    def test_anonymous_goes_to_login(self, client, certificate):
        response = client.get(url(certificate))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_private_address_refused_in_production(self, client, tech, certificate, settings):
        settings.INSTALLATION_TEST_ALLOW_PRIVATE = False
        client.force_login(tech)
        for host in ("127.0.0.1", NAME, "localhost"):
            response = post(client, certificate, 443, host=host)
            assert response.status_code == 200
            errors = response.context["form"].errors
            assert list(errors) == ["host"], host
            assert "private or reserved address" in errors["host"][0]
            assert response.context["form"]["host"].value() == host  # what was typed stays
        assert not InstallationCheck.objects.exists()

    @pytest.mark.parametrize(
        ("data", "field", "message"),
        [
            ({"host": NAME, "port": "22"}, "port", "This port cannot be tested"),
            ({"host": NAME, "port": "70000"}, "port", "less than or equal to 65535"),
            ({"host": "not a host", "port": "443"}, "host", "Enter a host name"),
            ({"host": "-bad-.acme.test", "port": "443"}, "host", "Enter a host name"),
            ({"host": "", "port": "443"}, "host", "This field is required."),
            ({"host": NAME, "port": "443", "starttls": "telnet"}, "starttls", "Select a valid choice."),
            ({"host": "no-such-host.invalid", "port": "443"}, "host", "could not be resolved"),
        ],
    )
    def test_bad_input(self, client, tech, certificate, data, field, message):
        client.force_login(tech)
        response = client.post(url(certificate), data)
        assert response.status_code == 200
        errors = response.context["form"].errors
        assert list(errors) == [field] and message in errors[field][0]
        assert f'id="field-{field}"' in response.text and "has-error" in response.text
        assert not InstallationCheck.objects.exists()

    def test_rate_limited_per_user(self, client, tech, certificate, settings, account):
        settings.INSTALLATION_TEST_PER_MINUTE = 2
        port = support.closed_port()
        client.force_login(tech)
        assert post(client, certificate, port).status_code == 302
        assert post(client, certificate, port).status_code == 302
        response = post(client, certificate, port, host="typed.acme.test")
        assert response.status_code == 429
        assert "You ran 2 tests in the last minute" in response.text
        assert 'value="typed.acme.test"' in response.text
        assert InstallationCheck.objects.count() == 2
        # Another user of the account has their own allowance.
        colleague = factories.make_user(account, "tech2", rights=[Right.TECHNICAL])
        client.force_login(colleague)
        assert post(client, certificate, port).status_code == 302
