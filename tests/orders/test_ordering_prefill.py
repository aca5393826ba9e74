"""ORD-10 / ORD-12 support: the order form prefilled from a past order (`?from=&origin=`), and the
order it places remembering its origin and source."""

from __future__ import annotations

import pytest
from django.urls import reverse

from catalog.models import ProductType
from orders.models import Order, OrderOrigin
from orders.services.prefill import PrefillError, initial_from_order
from tests.factories import make_csr, make_key
from tests.support.ordering import confirm, make_typed_product, order_url, post_form, server_product, token_of
from tests.support.orders import contacts_of, form_data, make_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def tech_client(client, tech):
    client.force_login(tech)
    return client


@pytest.fixture
def source(account):
    product = server_product("h12-sectigo-ov", brand_code="sectigo", prices={12: "109.00", 36: "279.00"})
    return make_order(
        account,
        product,
        common_name="www.acme.test",
        sans=["acme.test", "shop.acme.test"],
        customer_reference="PO-OLD",
        options={"csr_mode": "manual", "chain": "aaa-cross", "assistance": True},
    )


def test_clone_prefills_everything_but_the_csr(tech_client, account, source):
    holder, admin, tech = contacts_of(account)
    page = tech_client.get(
        order_url(source.product, **{"from": source.reference, "origin": "clone"})
    ).content.decode()
    assert 'value="www.acme.test"' in page and "shop.acme.test" in page
    assert f'<option value="{holder.public_id}" selected>' in page
    assert f'name="source_order" value="{source.reference}"' in page and 'name="origin" value="clone"' in page
    assert '<option value="aaa-cross" selected>' in page and 'id="id_assistance" checked' in page
    assert "A copy of order" in page and source.csr.splitlines()[1] not in page
    assert 'value="PO-OLD"' not in page


def test_renewal_keeps_the_csr_and_the_reference_and_records_its_origin(tech_client, account, source):
    initial = initial_from_order(source, origin=OrderOrigin.RENEWAL)
    assert initial["csr"] == source.csr and initial["customer_reference"] == "PO-OLD"
    assert initial["months"] == 12 and initial["sans"] == "acme.test\nshop.acme.test"
    data = form_data(
        account,
        common_name="www.acme.test",
        sans="acme.test\nshop.acme.test",
        csr=source.csr,
        origin="renewal",
        source_order=source.reference,
    )
    order = confirm(tech_client, token_of(post_form(tech_client, source.product, data)))
    assert order.origin == OrderOrigin.RENEWAL and order.source_order == source


def test_migration_takes_what_the_target_product_can_take(tech_client, account, source):
    target = server_product("tbs-ov", prices={24: "219.00"})
    initial = initial_from_order(source, origin=OrderOrigin.MIGRATION, product=target)
    assert "months" not in initial and "chain" not in initial and "csr" not in initial
    assert initial["common_name"] == "www.acme.test" and initial["assistance"] is True
    page = tech_client.get(
        order_url(target, **{"from": source.reference, "origin": "migration"})
    ).content.decode()
    assert "Migration of order" in page and 'value="www.acme.test"' in page
    data = form_data(
        account,
        months="24",
        sans="acme.test\nshop.acme.test",
        origin="migration",
        source_order=source.reference,
        csr=make_csr("www.acme.test", ["acme.test", "shop.acme.test"], key=make_key("p256")),
    )
    order = confirm(tech_client, token_of(post_form(tech_client, target, data)))
    assert order.origin == OrderOrigin.MIGRATION and order.source_order == source and order.product == target


def test_type_specific_options_are_carried_over(account):
    product = make_typed_product("qseal", ProductType.PSD2)
    psd2 = make_order(
        account,
        product,
        options={
            "csr_mode": "keybot",
            "psd2_roles": ["PSP_AI"],
            "nca_name": "ACPR",
            "nca_id": "FR-ACPR",
            "authorisation_number": "123",
        },
    )
    initial = initial_from_order(psd2, origin=OrderOrigin.CLONE)
    assert initial["psd2_roles"] == ["PSP_AI"] and initial["nca_id"] == "FR-ACPR"
    assert initial["csr_mode"] == "keybot" and "common_name" not in initial
    with pytest.raises(PrefillError):
        initial_from_order(psd2, origin=OrderOrigin.IMPORT)


def test_prefill_refusals(tech_client, account, other_account, source):
    foreign = make_order(other_account, source.product, common_name="www.globex.test", sans=[])
    url = order_url(source.product, **{"from": foreign.reference, "origin": "clone"})
    assert tech_client.get(url).status_code == 404
    assert (
        tech_client.get(
            order_url(source.product, **{"from": source.reference, "origin": "import"})
        ).status_code
        == 404
    )
    assert tech_client.get(order_url(source.product, origin="clone")).status_code == 404
    # A hand-posted source order of another account is refused, nothing is ordered.
    data = form_data(account, origin="clone", source_order=foreign.reference)
    response = post_form(tech_client, source.product, data)
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    missing = post_form(tech_client, source.product, form_data(account, origin="clone"))
    assert "The order to renew, clone or migrate is missing." in missing.content.decode()
    assert Order.objects.filter(account=account).count() == 1


def test_review_names_the_origin(tech_client, account, source):
    data = form_data(account, origin="clone", source_order=source.reference)
    token = token_of(post_form(tech_client, source.product, data))
    page = tech_client.get(reverse("operations:review", args=[token])).content.decode()
    assert f"from order {source.reference}" in page and "Clone" in page
