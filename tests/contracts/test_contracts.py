"""CON-1: the account's Contract page, the signed document, objectives, and ordering while a
contract is in force (the new-order page hides what it does not allow, the form and the service
refuse it, free products stay allowed)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, Right
from contracts.models import Contract, Objective
from contracts.services.objectives import periods, situations
from contracts.services.rules import ordering_rules, refusal
from orders.models import OrderStatus
from orders.services.ordering import OrderError
from tests import factories
from tests.support.contracts import PDF, make_contract
from tests.support.ordering import make_typed_product, server_product
from tests.support.orders import form_data, make_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def products(db):
    allowed = server_product("allowed-ov")
    other = server_product("other-ov")
    test = server_product("free-test", is_test=True, prices={1: "0.00"})
    return allowed, other, test


def test_page_without_contract_says_everything_can_be_ordered(client, owner):
    client.force_login(owner)
    page = client.get(reverse("contracts:contract")).content.decode()
    assert 'data-testid="no-contract"' in page


def test_page_shows_dates_products_objectives_and_document(client, owner, account, products):
    allowed, _other, _test = products
    contract = make_contract(
        account,
        products=[allowed],
        document=PDF,
        objectives=[(Objective.Measure.COUNT, Objective.Period.CONTRACT, "4")],
    )
    make_order(account, allowed)
    client.force_login(owner)
    page = client.get(reverse("contracts:contract")).content.decode()
    assert "MARCHE-2026-01" in page and "In force" in page
    assert 'data-product="allowed-ov"' in page and "other-ov" not in page
    assert 'data-testid="achieved">1<' in page and 'data-testid="percent"' in page and "25&nbsp;%" in page
    assert "<svg" in page and 'class="target"' in page
    document = client.get(reverse("contracts:document", args=[contract.public_id]))
    assert document.status_code == 200 and document["Content-Type"] == "application/pdf"
    assert b"".join(document.streaming_content) == PDF


def test_administrative_right_sees_the_page_and_others_are_refused(client, account):
    admin = factories.make_user(account, "adm", rights=[Right.ADMINISTRATIVE])
    tech = factories.make_user(account, "tek", rights=[Right.TECHNICAL])
    client.force_login(admin)
    assert client.get(reverse("contracts:contract")).status_code == 200
    client.force_login(tech)
    assert client.get(reverse("contracts:contract")).status_code == 403


def test_another_accounts_document_is_not_found(client, owner, other_account):
    foreign = make_contract(other_account, document=PDF)
    client.force_login(owner)
    assert client.get(reverse("contracts:document", args=[foreign.public_id])).status_code == 404
    page = client.get(reverse("contracts:contract")).content.decode()
    assert foreign.reference not in page or 'data-testid="no-contract"' in page


def test_new_order_page_hides_products_outside_the_contract(client, owner, account, products):
    allowed, other, test = products
    make_contract(account, products=[allowed])
    client.force_login(owner)
    page = client.get(reverse("operations:new")).content.decode()
    assert 'data-product="allowed-ov"' in page
    assert 'data-product="other-ov"' not in page
    assert 'data-product="free-test"' in page  # free products stay


def test_brand_in_contract_allows_its_products(account, products):
    allowed, other, _test = products
    make_contract(account, brands=[allowed.brand])
    assert refusal(account, other) is None


def test_order_form_refuses_a_product_outside_with_the_reason(client, owner, account, products):
    allowed, other, _test = products
    make_contract(account, products=[allowed])
    client.force_login(owner)
    page = client.get(reverse("operations:order", args=[other.code])).content.decode()
    assert 'data-testid="order-refusal"' in page and 'data-refusal="contract"' in page
    assert "outside your contract MARCHE-2026-01" in page
    assert 'id="order-form"' not in page
    response = client.post(reverse("operations:order", args=[other.code]), form_data(account))
    assert response.status_code == 200
    assert "outside your contract" in response.content.decode()


def test_order_form_accepts_a_product_of_the_contract(client, owner, account, products):
    allowed, _other, _test = products
    make_contract(account, products=[allowed])
    client.force_login(owner)
    response = client.post(reverse("operations:order", args=[allowed.code]), form_data(account))
    assert response.status_code == 302


def test_service_refuses_too(account, owner, products):
    from orders.services.ordering import submit_order
    from tests.support.orders import contacts_of

    _allowed, other, _test = products
    make_contract(account, products=[_allowed])
    holder, admin, tech = contacts_of(account)
    with pytest.raises(OrderError, match="outside your contract"):
        submit_order(
            account=account,
            user=owner,
            product=other,
            period_months=12,
            organisation=holder,
            admin_contact=admin,
            technical_contact=tech,
            common_name="www.acme.test",
            sans=[],
            csr=form_data(account)["csr"],
        )


def test_ended_contract_leaves_only_free_products(account, products):
    allowed, other, test = products
    make_contract(account, products=[allowed], starts=-400, ends=-35)
    refused = refusal(account, allowed)
    assert refused is not None and "not in force" in refused.message
    assert refusal(account, other) is not None
    assert refusal(account, test) is None


def test_contract_without_products_allows_everything(account, products):
    make_contract(account)
    assert all(refusal(account, p) is None for p in products)


def test_rules_take_a_constant_number_of_queries(account, products, django_assert_max_num_queries):
    make_contract(account, products=list(products[:1]))
    make_contract(account, products=list(products[1:2]), reference="B", starts=-500, ends=-400)
    with django_assert_max_num_queries(5):
        rules = ordering_rules(account)
        for product in products:
            rules.refusal(product)


def test_objectives_count_orders_of_each_period_leaving_out_cancelled_and_tests(account, products):
    allowed, _other, test = products
    today = timezone.localdate()
    previous_month = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    contract = make_contract(
        account,
        starts=(previous_month - today).days,  # the first day of last month
        objectives=[
            (Objective.Measure.COUNT, Objective.Period.MONTH, "2"),
            (Objective.Measure.AMOUNT, Objective.Period.CONTRACT, "1000"),
        ],
    )
    make_order(account, allowed)
    make_order(account, allowed, common_name="b.acme.test")
    make_order(account, allowed, common_name="c.acme.test", status=OrderStatus.CANCELLED)
    make_order(account, test, common_name="d.acme.test")
    monthly, whole = situations(contract, today)
    assert monthly.current.achieved == 2 and monthly.percent == 100
    assert len(monthly.history) == 2 and monthly.history[0].achieved == 0
    assert whole.current.achieved == Decimal("240.00") and whole.percent == 24


def test_periods_follow_calendar_and_contract_years():
    contract = Contract(starts_on=datetime.date(2026, 2, 15), ends_on=datetime.date(2027, 2, 14))
    quarters = periods(contract, Objective.Period.QUARTER)
    assert quarters[0] == (datetime.date(2026, 2, 15), datetime.date(2026, 3, 31))
    assert quarters[-1] == (datetime.date(2027, 1, 1), datetime.date(2027, 2, 14))
    assert periods(contract, Objective.Period.YEAR) == [(contract.starts_on, contract.ends_on)]
    assert len(periods(contract, Objective.Period.MONTH)) == 13


# Back office ----------------------------------------------------------------------------------


def _admin_post(client, account, products, upload):
    data = {
        "account": account.pk,
        "reference": "AO-2026-7",
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "products": [products[0].pk],
        "objectives-TOTAL_FORMS": "1",
        "objectives-INITIAL_FORMS": "0",
        "objectives-MIN_NUM_FORMS": "0",
        "objectives-MAX_NUM_FORMS": "1000",
        "objectives-0-measure": "count",
        "objectives-0-period": "quarter",
        "objectives-0-target": "10",
        "signed_document": upload,
    }
    return client.post(reverse("admin:contracts_contract_add"), data)


def test_staff_create_a_contract_with_its_signed_pdf(client, staff, account, products):
    client.force_login(staff)
    response = _admin_post(client, account, products, SimpleUploadedFile("signed.pdf", PDF))
    assert response.status_code == 302, response.content.decode()[:3000]
    contract = Contract.objects.get(reference="AO-2026-7")
    assert contract.objectives.get().target == 10 and list(contract.products.all()) == [products[0]]
    assert contract.signed_document.read() == PDF
    assert AuditEvent.objects.filter(action="contract.created", account=account).exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [("signed.pdf", b"MZ\x90\x00 not a pdf"), ("signed.docx", PDF), ("signed.pdf", b"%PDF-1.4 truncated")],
)
def test_staff_cannot_upload_anything_but_a_pdf(client, staff, account, products, name, content):
    client.force_login(staff)
    response = _admin_post(client, account, products, SimpleUploadedFile(name, content))
    assert response.status_code == 200
    assert not Contract.objects.filter(reference="AO-2026-7").exists()


def test_signature_products_outside_are_hidden_too(client, owner, account, products):
    from catalog.models import ProductType

    signature = make_typed_product("sign-soft", ProductType.SIGNATURE, validation="")
    make_contract(account, products=[products[0]])
    client.force_login(owner)
    page = client.get(reverse("operations:new")).content.decode()
    assert signature.code not in page
