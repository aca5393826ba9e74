"""AUTO-6: the status page's remaining actions through the API, through the services the pages use:
approve and refuse (ORD-5, the payment chosen at order time settled on approval, ORD-9), pay with
tokens or balance once topped up (LEDG-4), how to pay by card, transfer or cheque, comments
(LIFE-2) and acceptance (LIFE-8). Each with its refusals: the wrong right, another account, a bad
body, a state that does not allow it."""

from __future__ import annotations

import pytest

from accounts.models import Account, AuditEvent, Right
from billing.services.ledger import credit_tokens, debit_tokens, token_balance
from orders.models import Certificate, Order, OrderComment, OrderStatus
from tests.factories import make_product, make_user
from tests.orders.test_order_payment import confirm, review_token, set_formula
from tests.support.api import api_client, api_token, assert_problem
from tests.support.delivered import deliver
from tests.support.orders import make_order

S = OrderStatus
API = "/api/v1"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://portal.example.test"


@pytest.fixture
def approval_account(account):
    account.approval_mode = True
    account.save(update_fields=["approval_mode"])
    return account


def place(client, tech, account, product, captured, **payment) -> Order:
    """An order placed on the pages by a user with the Technical right only."""
    client.force_login(tech)
    token = review_token(client, account, product)
    response = confirm(client, token, captured, **payment)
    assert response.status_code == 302, response.content.decode()[:1500]
    return Order.objects.get(submission_token=token)


def post(client, url, body=None):
    return client.post(url, body or {}, content_type="application/json")


# Approval (ORD-5) -------------------------------------------------------------------------------


def test_an_approver_robot_approves_and_the_tokens_are_taken(
    client, tech, owner, approval_account, product, django_capture_on_commit_callbacks
):
    set_formula(approval_account, Account.Formula.BULK)
    credit_tokens(approval_account, product, 2, reference="TOPUP-1")
    order = place(
        client, tech, approval_account, product, django_capture_on_commit_callbacks, method="tokens"
    )
    assert order.status == S.AWAITING_APPROVAL
    url = f"{API}/orders/{order.reference}/approve"
    # Only the Approval right approves: a robot with every other right is refused, nothing taken.
    others = [r for r in Right if r != Right.APPROVAL]
    assert_problem(post(api_client(api_token(approval_account, owner, *others, name="no")), url), 403)
    assert token_balance(approval_account, product) == 2
    approver = api_client(api_token(approval_account, owner, Right.APPROVAL, name="approver"))
    response = post(approver, url)
    assert response.status_code == 200, response.content
    assert response.json()["status"] in (S.UNDER_VERIFICATION, S.AWAITING_DCV)
    order.refresh_from_db()
    assert order.paid_at is not None and token_balance(approval_account, product) == 1
    assert AuditEvent.objects.filter(action="order.approved").count() == 1
    # Twice: the same answer, nothing more taken.
    assert post(approver, url).status_code == 200
    assert token_balance(approval_account, product) == 1


def test_refusing_needs_a_reason_and_cancels_the_order(
    client, tech, owner, approval_account, product, django_capture_on_commit_callbacks
):
    order = place(client, tech, approval_account, product, django_capture_on_commit_callbacks)
    approver = api_client(api_token(approval_account, owner, Right.APPROVAL, name="approver"))
    url = f"{API}/orders/{order.reference}/reject"
    problem = assert_problem(post(approver, url, {}), 400)
    assert [e["pointer"] for e in problem["errors"]] == ["#/reason"]
    response = post(approver, url, {"reason": "Not in this year's budget."})
    assert response.status_code == 200 and response.json()["status"] == S.CANCELLED
    order.refresh_from_db()
    assert order.cancel_reason == "Not in this year's budget."
    # A cancelled order no longer awaits approval: neither approve nor refuse.
    for action in ("approve", "reject"):
        problem = assert_problem(
            post(approver, f"{API}/orders/{order.reference}/{action}", {"reason": "x"}), 409
        )
        assert problem["type"].endswith("not-awaiting-approval")


# Payment (ORD-9, LEDG-4) ---------------------------------------------------------------------------


def test_an_order_left_short_after_approval_is_paid_once_topped_up(
    client, tech, owner, approval_account, product, django_capture_on_commit_callbacks
):
    set_formula(approval_account, Account.Formula.BULK)
    credit_tokens(approval_account, product, 1, reference="TOPUP-1")
    order = place(
        client, tech, approval_account, product, django_capture_on_commit_callbacks, method="tokens"
    )
    debit_tokens(approval_account, product, 1, reference="ELSEWHERE")  # spent meanwhile
    approver = api_client(api_token(approval_account, owner, Right.APPROVAL, name="approver"))
    assert post(approver, f"{API}/orders/{order.reference}/approve").json()["status"] == S.AWAITING_PAYMENT
    billing = api_client(api_token(approval_account, owner, Right.BILLING, name="billing"))
    state = billing.get(f"{API}/orders/{order.reference}/payment").json()
    assert (state["method"], state["paid"], state["pay_with_holdings"]) == ("tokens", False, True)
    assert "top up" in state["shortfall"]
    pay = f"{API}/orders/{order.reference}/pay"
    problem = assert_problem(post(billing, pay), 409)
    assert problem["type"].endswith("insufficient-funds")
    credit_tokens(approval_account, product, 1, reference="TOPUP-2")
    assert post(billing, pay).status_code == 200
    order.refresh_from_db()
    assert order.paid_at is not None and token_balance(approval_account, product) == 0
    # Paid: nothing left to pay with tokens.
    assert_problem(post(billing, pay), 409)
    assert billing.get(f"{API}/orders/{order.reference}/payment").json()["paid"] is True


def test_how_to_pay_a_transfer_and_a_card(
    client, tech, owner, account, product, django_capture_on_commit_callbacks
):
    robot = api_client(api_token(account, owner, Right.BILLING))
    transfer = place(client, tech, account, product, django_capture_on_commit_callbacks, method="transfer")
    state = robot.get(f"{API}/orders/{transfer.reference}/payment").json()
    pay = state["instructions"]
    assert state["method"] == "transfer" and state["pay_with_holdings"] is False
    assert (
        pay["reference"] == transfer.reference
        and pay["iban"]
        and pay["bic"]
        and pay["amount_due"] == "180.00"
    )
    assert pay["card_payment_page"] == "" and pay["address_lines"] == []
    Order.objects.filter(pk=transfer.pk).delete()
    card = place(client, tech, account, product, django_capture_on_commit_callbacks, method="card")
    pay = robot.get(f"{API}/orders/{card.reference}/payment").json()["instructions"]
    assert pay["card_payment_page"] == f"https://portal.example.test/orders/{card.reference}/"
    assert pay["iban"] == ""
    # Tokens or balance cannot pay a card order.
    assert_problem(post(robot, f"{API}/orders/{card.reference}/pay"), 409)


# Comments (LIFE-2) ----------------------------------------------------------------------------------


def test_comments_are_read_and_added_as_on_the_status_page(account, owner, product):
    order = make_order(account, product, status=S.UNDER_VERIFICATION, paid=True)
    url = f"{API}/orders/{order.reference}/comments"
    technical = api_client(api_token(account, owner, Right.TECHNICAL, name="tech"))
    commercial = api_client(api_token(account, owner, Right.COMMERCIAL, name="sales"))
    assert commercial.get(url).json() == []
    response = post(technical, url, {"text": "  The DNS record is in place.  "})
    assert response.status_code == 201, response.content
    assert response.json()["text"] == "The DNS record is in place." and response.json()["from_staff"] is False
    assert [c["text"] for c in commercial.get(url).json()] == ["The DNS record is in place."]
    assert AuditEvent.objects.filter(action="order.commented").count() == 1
    # Reading is not writing; a blank or missing text is refused at its field.
    assert_problem(post(commercial, url, {"text": "Hello"}), 403)
    for body in ({}, {"text": "   "}):
        problem = assert_problem(post(technical, url, body), 400)
        assert [e["pointer"] for e in problem["errors"]] == ["#/text"], body
    assert OrderComment.objects.count() == 1
    Order.objects.filter(pk=order.pk).update(status=S.CANCELLED)
    problem = assert_problem(post(technical, url, {"text": "Still there?"}), 409)
    assert "closed" in problem["detail"]


# Acceptance (LIFE-8) -------------------------------------------------------------------------------


def test_accept_a_certigna_certificate_once_and_refuse_a_revoked_one(account, owner):
    certigna = make_product("certigna-ssl", brand_code="certigna")
    order = make_order(account, certigna, status=S.UNDER_VERIFICATION, paid=True)
    certificate = deliver(order)
    url = f"{API}/orders/{order.reference}/certificates/{certificate.serial}/accept"
    assert_problem(post(api_client(api_token(account, owner, Right.COMMERCIAL, name="sales")), url), 403)
    robot = api_client(api_token(account, owner, Right.TECHNICAL))
    assert post(robot, url).status_code == 200
    assert post(robot, url).status_code == 200  # twice: accepted once
    certificate.refresh_from_db()
    assert certificate.accepted_at is not None
    assert AuditEvent.objects.filter(action="certificate.accepted").count() == 1
    other = deliver(make_order(account, certigna, status=S.UNDER_VERIFICATION, paid=True))
    Certificate.objects.filter(pk=other.pk).update(state=Certificate.State.REVOKED)
    problem = assert_problem(
        post(robot, f"{API}/orders/{other.order.reference}/certificates/{other.serial}/accept"), 409
    )
    assert "can no longer be accepted" in problem["detail"]


def test_an_approver_of_another_account_finds_nothing(
    client,
    tech,
    owner,
    approval_account,
    other_account,
    outsider,
    product,
    django_capture_on_commit_callbacks,
):
    order = place(client, tech, approval_account, product, django_capture_on_commit_callbacks)
    make_user(other_account, "their-approver", rights=[Right.APPROVAL])
    theirs = api_client(api_token(other_account, outsider))
    for action in ("approve", "reject", "pay"):
        assert_problem(post(theirs, f"{API}/orders/{order.reference}/{action}", {"reason": "x"}), 404)
    assert_problem(theirs.get(f"{API}/orders/{order.reference}/payment"), 404)
    order.refresh_from_db()
    assert order.status == S.AWAITING_APPROVAL


# Organisations and contacts (ORD-2, ADM-10) --------------------------------------------------------


ORGANISATION = {
    "registration_number": "732 829 320",
    "name": "Initech SAS",
    "country": "FR",
    "address": "1 rue de la Paix",
    "postal_code": "75002",
    "city": "Paris",
}


def test_add_an_organisation_checked_as_on_the_order_form(account, owner, other_account, outsider):
    robot = api_client(api_token(account, owner, Right.TECHNICAL))
    response = post(robot, f"{API}/organisations", ORGANISATION)
    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["name"], created["registration_number"], created["contacts"]) == (
        "Initech SAS",
        "732829320",
        [],
    )
    assert created["id"] in [o["id"] for o in robot.get(f"{API}/organisations").json()]
    assert AuditEvent.objects.filter(action="organisation.created").count() == 1
    # The same number again, a bad SIREN, a missing name: refused at their fields.
    problem = assert_problem(post(robot, f"{API}/organisations", ORGANISATION), 400)
    assert [e["pointer"] for e in problem["errors"]] == ["#/registration_number"]
    assert "already in your account" in problem["errors"][0]["detail"]
    bad = {**ORGANISATION, "registration_number": "123456789"}
    problem = assert_problem(post(robot, f"{API}/organisations", bad), 400)
    assert "SIREN" in problem["errors"][0]["detail"]
    problem = assert_problem(post(robot, f"{API}/organisations", {**ORGANISATION, "name": ""}), 400)
    assert [e["pointer"] for e in problem["errors"]] == ["#/name"]
    # Another account may hold the same organisation: theirs is theirs.
    assert (
        post(api_client(api_token(other_account, outsider)), f"{API}/organisations", ORGANISATION).status_code
        == 201
    )
    billing = api_client(api_token(account, owner, Right.BILLING, name="billing"))
    assert_problem(
        post(billing, f"{API}/organisations", {**ORGANISATION, "registration_number": "552100554"}), 403
    )


def test_add_a_contact_to_one_of_the_accounts_organisations(account, owner, other_account, outsider):
    robot = api_client(api_token(account, owner, Right.ADMINISTRATIVE))
    organisation = post(robot, f"{API}/organisations", ORGANISATION).json()["id"]
    body = {
        "organisation": organisation,
        "first_name": "Peter",
        "last_name": "Gibbons",
        "email": "peter@initech.test",
        "phone": "+33 1 23 45 67 89",
    }
    response = post(robot, f"{API}/contacts", body)
    assert response.status_code == 201, response.content
    assert response.json()["organisation_name"] == "Initech SAS"
    assert "peter@initech.test" in [c["email"] for c in robot.get(f"{API}/contacts").json()]
    assert AuditEvent.objects.filter(action="contact.created").count() == 1
    # Another account's organisation is not a choice; a bad email is refused at its field.
    theirs = post(
        api_client(api_token(other_account, outsider)), f"{API}/organisations", ORGANISATION
    ).json()["id"]
    problem = assert_problem(post(robot, f"{API}/contacts", {**body, "organisation": theirs}), 400)
    assert [e["pointer"] for e in problem["errors"]] == ["#/organisation"]
    problem = assert_problem(post(robot, f"{API}/contacts", {**body, "email": "not-an-address"}), 400)
    assert [e["pointer"] for e in problem["errors"]] == ["#/email"]
    assert "peter@initech.test" not in [
        c["email"]
        for c in api_client(api_token(other_account, outsider, name="r2")).get(f"{API}/contacts").json()
    ]
    assert_problem(
        api_client(api_token(account, owner, Right.COMMERCIAL, name="sales")).get(f"{API}/contacts"), 403
    )
