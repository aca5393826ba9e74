"""AUTO-6: what an approver and a subscriber find through the API as on their pages: the approval
list (ORD-5) and the order an approver reads before approving it (the status page opens to the
Approval right), the certificates to accept (LIFE-8), and the status page's buttons in the order's
`actions` (approve, pay, comment, accept). Refusals: the wrong right, another account's rows."""

from __future__ import annotations

import pytest

from accounts.models import Right
from orders.models import Certificate, OrderStatus
from tests.factories import make_product
from tests.support.api import api_client, api_token, assert_problem
from tests.support.delivered import deliver
from tests.support.orders import make_order

S = OrderStatus
API = "/api/v1"
pytestmark = pytest.mark.django_db


def post(client, url, body=None):
    return client.post(url, body or {}, content_type="application/json")


@pytest.fixture
def waiting(account, other_account, product):
    """One order of ours and one of Globex awaiting approval."""
    account.approval_mode = True
    account.save(update_fields=["approval_mode"])
    make_order(other_account, product, status=S.AWAITING_APPROVAL, common_name="www.globex.test", sans=[])
    return make_order(account, product, status=S.AWAITING_APPROVAL)


def test_an_approver_lists_reads_and_approves_what_awaits_approval(account, owner, waiting, product):
    make_order(account, product)  # not awaiting approval
    approver = api_client(api_token(account, owner, Right.APPROVAL))
    rows = approver.get(f"{API}/approvals").json()
    assert [r["reference"] for r in rows] == [waiting.reference]  # not Globex's, not the other one
    detail = approver.get(rows[0]["url"])
    assert detail.status_code == 200  # the status page opens to approvers
    assert detail.json()["actions"]["approve"] is True and detail.json()["actions"]["cancel"] is False
    assert post(approver, f"{API}/orders/{waiting.reference}/approve").status_code == 200
    assert approver.get(f"{API}/approvals").json() == []
    after = approver.get(f"{API}/orders/{waiting.reference}").json()
    assert after["actions"]["approve"] is False
    # Approved: a refusal now says so, with the approval page's message.
    problem = assert_problem(
        post(approver, f"{API}/orders/{waiting.reference}/reject", {"reason": "No"}), 409
    )
    assert problem["detail"] == f"Order {waiting.reference} is already approved."


def test_the_approval_list_and_button_are_for_approvers_only(account, owner, waiting):
    for right in set(Right) - {Right.APPROVAL}:
        client = api_client(api_token(account, owner, right, name=f"only {right}"))
        assert_problem(client.get(f"{API}/approvals"), 403)
    technical = api_client(api_token(account, owner, Right.TECHNICAL, name="Tech"))
    actions = technical.get(f"{API}/orders/{waiting.reference}").json()["actions"]
    assert actions["approve"] is False and actions["comment"] is True and actions["pay"] is False


def test_an_approver_reads_no_other_accounts_order(account, owner, other_account, product):
    theirs = make_order(
        other_account, product, status=S.AWAITING_APPROVAL, common_name="www.globex.test", sans=[]
    )
    approver = api_client(api_token(account, owner, Right.APPROVAL))
    assert_problem(approver.get(f"{API}/orders/{theirs.reference}"), 404)
    assert_problem(approver.get(f"{API}/orders/{theirs.reference}/comments"), 404)


@pytest.fixture
def certigna(account, other_account):
    brand_product = make_product("certigna-ssl", brand_code="certigna")
    order = make_order(account, brand_product, status=S.UNDER_VERIFICATION, paid=True)
    theirs = make_order(
        other_account,
        brand_product,
        status=S.UNDER_VERIFICATION,
        paid=True,
        common_name="www.globex.test",
        sans=[],
    )
    deliver(theirs)
    return order, deliver(order)


def test_certificates_to_accept_then_accepted(account, owner, certigna, product):
    order, certificate = certigna
    deliver(make_order(account, product, status=S.UNDER_VERIFICATION, paid=True))  # no acceptance needed
    client = api_client(api_token(account, owner, Right.TECHNICAL))
    rows = client.get(f"{API}/certificates/to-accept").json()
    assert [(r["order"], r["serial"]) for r in rows] == [
        (order.reference, certificate.serial)
    ]  # not Globex's
    assert rows[0]["brand"] == "CERTIGNA" and rows[0]["deadline"]
    shown = client.get(f"{API}/orders/{order.reference}").json()["certificates"][0]
    assert shown["acceptable"] is True and shown["acceptance_deadline"] == rows[0]["deadline"]
    assert shown["accepted_at"] is None
    assert post(client, rows[0]["accept_url"]).status_code == 200
    assert client.get(f"{API}/certificates/to-accept").json() == []
    shown = client.get(f"{API}/orders/{order.reference}").json()["certificates"][0]
    assert shown["accepted_at"] and shown["acceptable"] is False and shown["acceptance_deadline"] is None


def test_certificates_to_accept_need_a_list_right(account, owner, certigna):
    for right in (Right.BILLING, Right.ADMINISTRATIVE, Right.APPROVAL):
        client = api_client(api_token(account, owner, right, name=f"only {right}"))
        assert_problem(client.get(f"{API}/certificates/to-accept"), 403)
    reader = api_client(api_token(account, owner, Right.COMMERCIAL, name="Reader"))
    assert len(reader.get(f"{API}/certificates/to-accept").json()) == 1
    order, certificate = certigna
    # A reader sees what is to accept but may not accept it (the status page's button needs Technical).
    assert reader.get(f"{API}/orders/{order.reference}").json()["certificates"][0]["acceptable"] is False
    Certificate.objects.filter(pk=certificate.pk).update(state=Certificate.State.REVOKED)
    technical = api_client(api_token(account, owner, Right.TECHNICAL, name="Tech"))
    assert technical.get(f"{API}/certificates/to-accept").json() == []
