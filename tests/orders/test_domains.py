"""AUTO-3 Domains: the list (orders' domains and registered ones, search, constant queries), registering
a domain, the domain page (state, orders, live CAA), its lock (order form, service and ACME refuse),
and a validation started on the page that later orders reuse. DNS and HTTP answers come from the
loopback peers of tests/support/dcv.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, Right
from orders import dcv as pure
from orders.models import DcvCheck, Domain, OrderStatus
from orders.services.dcv import start_dcv, validate_order_dcv_manually
from orders.services.domain_registry import DomainError, register_domain, set_lock, start_domain_dcv
from orders.services.ordering import OrderError, submit_order
from tests import factories
from tests.support.dcv import DnsServer, use_peers
from tests.support.orders import contacts_of, form_data, make_order

S = OrderStatus
pytestmark = pytest.mark.django_db

LIST = reverse("orders:domains")
REGISTER = reverse("orders:domain_register")


def page(name: str) -> str:
    return reverse("orders:domain", args=[name])


@pytest.fixture
def dns_server(settings):
    with DnsServer() as server:
        use_peers(settings, server)
        yield server


@pytest.fixture
def commercial(account):
    return factories.make_user(account, "sales", rights=[Right.COMMERCIAL])


@pytest.fixture
def validated_order(account, product, staff):
    order = make_order(account, product, status=S.UNDER_VERIFICATION, paid=True, sans=["acme.test"])
    validate_order_dcv_manually(order, by=staff, note="checked by hand")
    return order


# The list ----------------------------------------------------------------------------------------


def test_the_list_shows_the_orders_domains_and_the_registered_ones(client, commercial, tech, validated_order):
    register_domain(tech.account, "ahead.example.org", user=tech)
    client.force_login(commercial)  # reading: like the order lists
    body = client.get(LIST).content.decode()
    assert "www.acme.test" in body and "acme.test" in body and "ahead.example.org" in body
    assert page("ahead.example.org") in body
    assert "Validated" in body and "Not validated" in body
    assert REGISTER not in body  # registering takes the Technical right


def test_the_list_searches_and_never_shows_another_accounts_domains(
    client, tech, other_account, product, staff, validated_order
):
    theirs = make_order(
        other_account, product, status=S.UNDER_VERIFICATION, paid=True, common_name="globex.test"
    )
    validate_order_dcv_manually(theirs, by=staff, note="checked")
    client.force_login(tech)
    body = client.get(LIST).content.decode()
    assert "globex.test" not in body
    searched = client.get(LIST, {"q": "WWW."}).content.decode()
    assert page("www.acme.test") in searched and page("acme.test") not in searched


def test_the_list_refuses_a_user_without_reading_rights(client, billing):
    client.force_login(billing)
    assert client.get(LIST).status_code == 403


def test_the_list_takes_the_same_number_of_queries_for_more_domains(client, tech, account, product, staff):
    client.force_login(tech)
    validate_order_dcv_manually(
        make_order(account, product, status=S.UNDER_VERIFICATION, paid=True, sans=[]), by=staff, note="x"
    )
    client.get(LIST)
    with CaptureQueriesContext(connection) as few:
        assert client.get(LIST).status_code == 200
    for index in range(6):
        order = make_order(
            account,
            product,
            status=S.UNDER_VERIFICATION,
            paid=True,
            common_name=f"n{index}.acme.test",
            sans=[f"m{index}.acme.test"],
        )
        validate_order_dcv_manually(order, by=staff, note="x")
        register_domain(account, f"r{index}.example.org", user=tech)
    client.get(LIST)
    with CaptureQueriesContext(connection) as many:
        body = client.get(LIST).content.decode()
    assert "r5.example.org" in body and "m5.acme.test" in body
    assert len(many.captured_queries) == len(few.captured_queries)


# Registering -------------------------------------------------------------------------------------


def test_registering_a_domain_stores_its_a_label_and_audits(client, tech, account):
    organisation, _admin, _tech = contacts_of(account)
    client.force_login(tech)
    response = client.post(REGISTER, {"name": " Bücher.Example.ORG. ", "organisation": organisation.pk})
    domain = Domain.objects.get(account=account, name="xn--bcher-kva.example.org")
    assert response.status_code == 302 and response["Location"] == page(domain.name)
    assert domain.registered_by == tech and domain.organisation == organisation
    assert AuditEvent.objects.filter(action="domain.registered", user=tech).exists()


@pytest.mark.parametrize(
    "name",
    [
        "",
        "*.example.org",
        "192.0.2.1",
        "localhost",
        "co.uk",
        "exa mple.org",
        "-bad.example.org",
        "a" * 64 + ".org",
    ],
)
def test_registering_refuses_a_bad_name_on_its_field(client, tech, name):
    client.force_login(tech)
    response = client.post(REGISTER, {"name": name})
    assert response.status_code == 400
    assert response.context["form"].errors["name"]
    assert not Domain.objects.exists()


def test_registering_refuses_a_duplicate_even_one_from_an_order(client, tech, validated_order):
    client.force_login(tech)
    response = client.post(REGISTER, {"name": "ACME.test"})
    assert response.status_code == 400
    assert "already one of your domains" in response.context["form"].errors["name"][0]
    with pytest.raises(DomainError):
        register_domain(tech.account, "acme.test", user=tech)


def test_registering_refuses_another_accounts_organisation_and_the_commercial_right(
    client, tech, commercial, other_account
):
    theirs, _admin, _tech = contacts_of(other_account)
    client.force_login(tech)
    response = client.post(REGISTER, {"name": "ok.example.org", "organisation": theirs.pk})
    assert response.status_code == 400 and response.context["form"].errors["organisation"]
    client.force_login(commercial)
    assert client.post(REGISTER, {"name": "ok.example.org"}).status_code == 403
    assert not Domain.objects.exists()


def test_the_same_name_may_be_registered_by_two_accounts(tech, outsider):
    register_domain(tech.account, "shared.example.org", user=tech)
    register_domain(outsider.account, "shared.example.org", user=outsider)
    assert Domain.objects.filter(name="shared.example.org").count() == 2


# The domain page ---------------------------------------------------------------------------------


def test_the_page_shows_the_state_and_the_orders_that_used_the_domain(client, commercial, validated_order):
    client.force_login(commercial)
    response = client.get(page("acme.test"))
    body = response.content.decode()
    assert response.status_code == 200
    assert validated_order.reference in body and "Validated" in body
    assert reverse("orders:domain_lock", args=["acme.test"]) not in body  # locking: Administrative


def test_another_accounts_domain_is_a_404_for_every_action(client, tech, owner, outsider):
    register_domain(outsider.account, "theirs.example.org", user=outsider)
    for user in (tech, owner):
        client.force_login(user)
        assert client.get(page("theirs.example.org")).status_code == 404
        assert client.post(reverse("orders:domain_lock", args=["theirs.example.org"])).status_code in (
            403,
            404,
        )
        assert client.post(reverse("orders:domain_caa", args=["theirs.example.org"])).status_code == 404
    client.force_login(owner)
    assert client.post(reverse("orders:domain_lock", args=["theirs.example.org"])).status_code == 404
    assert (
        client.post(reverse("orders:domain_dcv", args=["theirs.example.org"]), {"method": "dns"}).status_code
        == 404
    )
    assert Domain.objects.get(name="theirs.example.org").locked_at is None


def test_the_live_caa_lookup_climbs_to_the_first_records_and_judges_each_brand(
    client, tech, account, product, dns_server
):
    factories.make_product("gs-ov", brand_code="globalsign")
    register_domain(account, "shop.acme.test", user=tech)
    dns_server.add(
        "acme.test",
        "CAA",
        '0 issue "tbs-certificats.com"',
        '0 issuewild ";"',
        '0 iodef "mailto:pki@acme.test"',
    )
    dns_server.add("shop.acme.test", "A", "127.0.0.1")
    client.force_login(tech)
    response = client.post(reverse("orders:domain_caa", args=["shop.acme.test"]))
    assert response.status_code == 200
    caa = response.context["caa"]
    assert caa.rrset.owner == "acme.test"
    assert caa.issue == ["tbs-certificats.com"] and caa.issuewild == [";"]
    assert caa.iodef == ["mailto:pki@acme.test"]
    by_brand = {row.brand.code: row for row in caa.brands}
    assert by_brand["tbs-x509"].allowed and not by_brand["tbs-x509"].wildcard_allowed
    assert not by_brand["globalsign"].allowed and not by_brand["globalsign"].wildcard_allowed
    assert ("shop.acme.test", "CAA") in dns_server.queries and ("acme.test", "CAA") in dns_server.queries
    assert ("test", "CAA") not in dns_server.queries  # the climb stops at the first non-empty RRset


def test_no_caa_anywhere_allows_every_brand(client, tech, account, product, dns_server):
    register_domain(account, "free.example.org", user=tech)
    client.force_login(tech)
    caa = client.post(reverse("orders:domain_caa", args=["free.example.org"])).context["caa"]
    assert caa.rrset.owner is None and all(row.allowed and row.wildcard_allowed for row in caa.brands)


# Lock --------------------------------------------------------------------------------------------


def test_only_the_administrative_right_locks(client, tech, owner, account):
    register_domain(account, "locked.example.org", user=tech)
    client.force_login(tech)
    assert client.post(reverse("orders:domain_lock", args=["locked.example.org"])).status_code == 403
    client.force_login(owner)
    response = client.post(reverse("orders:domain_lock", args=["locked.example.org"]))
    assert response.status_code == 302
    domain = Domain.objects.get(name="locked.example.org")
    assert domain.locked and domain.locked_by == owner
    assert AuditEvent.objects.filter(action="domain.locked", user=owner).exists()
    assert client.post(reverse("orders:domain_unlock", args=["locked.example.org"])).status_code == 302
    assert not Domain.objects.get(name="locked.example.org").locked


def test_a_locked_domain_refuses_the_order_form_and_the_service(client, tech, owner, account, product):
    domain = register_domain(account, "acme.test", user=tech)
    set_lock(domain, True, user=owner)
    client.force_login(tech)
    response = client.post(reverse("operations:order", args=[product.code]), form_data(account))
    assert response.status_code != 302
    errors = response.context["req"].order.errors
    assert "acme.test is locked" in " ".join(errors["common_name"]) and errors["sans"]
    holder, admin, technical = contacts_of(account)
    with pytest.raises(OrderError, match="locked"):
        submit_order(
            account=account,
            user=tech,
            product=product,
            period_months=12,
            organisation=holder,
            admin_contact=admin,
            technical_contact=technical,
            common_name="deep.www.acme.test",
            sans=[],
            csr=factories.make_csr("deep.www.acme.test", []),
        )
    set_lock(domain, False, user=owner)
    response = client.post(reverse("operations:order", args=[product.code]), form_data(account))
    assert response.status_code == 302  # unlocked: the same order goes through


def test_a_lock_belongs_to_its_account(client, tech, outsider, account, product):
    theirs = register_domain(outsider.account, "acme.test", user=outsider)
    set_lock(theirs, True, user=outsider)
    client.force_login(tech)
    assert (
        client.post(reverse("operations:order", args=[product.code]), form_data(account)).status_code == 302
    )


# Validation from the domain page, reused by orders -----------------------------------------------


def test_a_validation_made_on_the_page_is_reused_by_a_later_order(client, tech, account, product, dns_server):
    register_domain(account, "acme.test", user=tech)
    client.force_login(tech)
    response = client.post(reverse("orders:domain_dcv", args=["acme.test"]), {"method": "dns"})
    assert response.status_code == 302
    check = DcvCheck.objects.get(account=account, order=None, domain="acme.test")
    body = client.get(page("acme.test")).content.decode()
    assert check.token in body and "_pki-validation.acme.test" in body
    dns_server.add(pure.dns_record_name("acme.test"), "TXT", f'"{check.token}"')
    response = client.post(reverse("orders:domain_dcv_check", args=["acme.test", check.pk]))
    assert response.status_code == 302
    check.refresh_from_db()
    assert check.validated_at is not None
    assert AuditEvent.objects.filter(action="dcv.validated", user=tech).count() == 1

    order = make_order(
        account, product, status=S.UNDER_VERIFICATION, paid=True, common_name="acme.test", sans=[]
    )
    (reused,) = start_dcv(order)
    assert reused.validated_at == check.validated_at
    assert "domain page" in reused.last_result
    assert reused.last_checked_at is None  # CAA is read for the order's brand at issuance
    order.refresh_from_db()
    assert order.status == S.UNDER_VERIFICATION  # nothing left to validate


def test_a_page_validation_beyond_the_reuse_period_is_not_reused(tech, account, product):
    domain = register_domain(account, "acme.test", user=tech)
    check = start_domain_dcv(domain, "dns", user=tech)
    DcvCheck.objects.filter(pk=check.pk).update(validated_at=timezone.now() - timedelta(days=500))
    order = make_order(
        account, product, status=S.UNDER_VERIFICATION, paid=True, common_name="acme.test", sans=[]
    )
    assert [c.validated_at for c in start_dcv(order)] == [None]


def test_starting_a_validation_refusals(client, tech, commercial, account, validated_order):
    register_domain(account, "new.example.org", user=tech)
    client.force_login(commercial)
    assert (
        client.post(reverse("orders:domain_dcv", args=["new.example.org"]), {"method": "dns"}).status_code
        == 403
    )
    client.force_login(tech)
    response = client.post(reverse("orders:domain_dcv", args=["new.example.org"]), {"method": "email"})
    assert response.status_code == 400 and response.context["form"].errors["method"]
    response = client.post(reverse("orders:domain_dcv", args=["acme.test"]), {"method": "dns"})
    assert response.status_code == 400 and "already validated" in str(
        response.context["form"].non_field_errors()
    )
    assert not DcvCheck.objects.filter(order=None).exists()


def test_checking_another_domains_or_an_orders_check_from_the_page_is_a_404(
    client, tech, account, outsider, validated_order
):
    theirs = start_domain_dcv(
        register_domain(outsider.account, "t.example.org", user=outsider), "dns", user=outsider
    )
    register_domain(account, "t.example.org", user=tech)
    order_check = DcvCheck.objects.filter(order=validated_order).first()
    client.force_login(tech)
    for check in (theirs, order_check):
        url = reverse("orders:domain_dcv_check", args=["t.example.org", check.pk])
        assert client.post(url).status_code == 404
