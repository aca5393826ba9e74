"""Approval mode (ORD-5, LIST-3): approvers emailed, their list and badge count, approve or refuse."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Account, AuditEvent, Right
from orders.models import ExternalOrderLink, Order, OrderOrigin, OrderStatus
from orders.services.approval import approve_order, notify_approvers, pending_count
from orders.services.lifecycle import IllegalTransition, record_payment
from orders.services.ordering import submit_order
from tests.factories import make_csr, make_key, make_user
from tests.support.delivered import log_in
from tests.support.orders import contacts_of, make_order

S = OrderStatus


@pytest.fixture
def approval_account(account):
    account.approval_mode = True
    account.save()
    return account


@pytest.fixture
def approver(account):
    return make_user(account, "approver", rights=[Right.APPROVAL, Right.COMMERCIAL])


def awaiting(account, product, **fields):
    return make_order(account, product, status=S.AWAITING_APPROVAL, **fields)


def detail(order):
    return reverse("orders:detail", args=[order.reference])


@pytest.mark.django_db
def test_an_order_by_a_non_approver_waits_and_the_approvers_are_emailed(
    approval_account, tech, owner, approver, billing, product, mailoutbox, django_capture_on_commit_callbacks
):
    holder, admin, technical = contacts_of(approval_account)
    with django_capture_on_commit_callbacks(execute=True):
        order = submit_order(
            account=approval_account,
            user=tech,
            product=product,
            period_months=12,
            organisation=holder,
            admin_contact=admin,
            technical_contact=technical,
            common_name="www.acme.test",
            sans=[],
            csr=make_csr("www.acme.test", key=make_key("p256")),
            server_software="nginx",
            dcv_method="dns",
        )
        assert order.status == S.AWAITING_APPROVAL
    approval_mails = [m for m in mailoutbox if "awaits your approval" in m.subject]
    assert sorted(m.to[0] for m in approval_mails) == sorted([owner.email, approver.email])
    assert all(order.reference in m.body and "Tech User" in m.body for m in approval_mails)
    assert pending_count(approval_account) == 1


@pytest.mark.django_db
def test_nobody_is_emailed_for_an_order_that_does_not_wait(
    account, owner, product, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert notify_approvers(make_order(account, product, status=S.AWAITING_PAYMENT)) == 0
    assert mailoutbox == []


@pytest.mark.django_db
def test_approval_list_for_approvers_only(client, approval_account, approver, tech, other_account, product):
    mine = awaiting(approval_account, product, created_by=tech)
    make_order(approval_account, product, status=S.AWAITING_PAYMENT, common_name="paid.acme.test")
    theirs = awaiting(other_account, product, common_name="www.globex.test")
    url = reverse("orders:approval")
    page = log_in(client, approver).get(url).content.decode()
    assert mine.reference in page and "Tech User" in page
    assert theirs.reference not in page and "paid.acme.test" not in page
    assert reverse("orders:approve", args=[mine.reference]) in page
    assert log_in(client, tech).get(url).status_code == 403
    assert pending_count(approval_account) == 1 and pending_count(other_account) == 1


@pytest.mark.django_db
def test_approval_list_queries_do_not_grow(
    client, approval_account, approver, tech, product, django_assert_max_num_queries
):
    awaiting(approval_account, product, created_by=tech)
    log_in(client, approver)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("orders:approval"))
    link = ExternalOrderLink.objects.create(
        account=approval_account, product=product, period_months=12, label="Web"
    )
    for i in range(5):
        awaiting(approval_account, product, created_by=tech, common_name=f"w{i}.acme.test")
        awaiting(
            approval_account,
            product,
            origin=OrderOrigin.EXTERNAL_LINK,
            external_link=link,
            common_name=f"x{i}.acme.test",
        )
    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get(reverse("orders:approval"))


@pytest.mark.django_db
def test_approve_from_the_status_page(
    client, approval_account, approver, tech, product, mailoutbox, django_capture_on_commit_callbacks
):
    order = awaiting(approval_account, product, created_by=tech)
    log_in(client, approver)
    page = client.get(detail(order)).content.decode()
    approve_url = reverse("orders:approve", args=[order.reference])
    assert approve_url in page and reverse("orders:approval_cancel", args=[order.reference]) in page
    assert "Awaiting payment" in client.get(approve_url).content.decode()  # where it goes on
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(approve_url)
    assert response["Location"] == detail(order)
    order.refresh_from_db()
    assert order.status == S.AWAITING_PAYMENT and order.approved_by == approver and order.approved_at
    event = AuditEvent.objects.get(action="order.approved", object_id=order.reference)
    assert event.user == approver
    assert [m.to for m in mailoutbox] == [[tech.email]]
    assert "approved" in mailoutbox[0].subject and detail(order) in mailoutbox[0].body
    assert "Approved by Approver User" in client.get(detail(order)).content.decode()
    # A second approval changes nothing; the list is empty.
    assert "is already approved" in client.post(approve_url, follow=True).content.decode()
    assert AuditEvent.objects.filter(action="order.approved").count() == 1
    assert order.reference not in client.get(reverse("orders:approval")).content.decode()


@pytest.mark.django_db
def test_a_monthly_payment_account_is_processed_before_it_pays(approval_account, approver, tech, product):
    Account.objects.filter(pk=approval_account.pk).update(formula=Account.Formula.MONTHLY)
    order = awaiting(Account.objects.get(pk=approval_account.pk), product, created_by=tech)
    assert approve_order(order, user=approver).status == S.PROCESSING_AWAITING_PAYMENT


@pytest.mark.django_db
def test_approver_refuses_with_a_reason(
    client, approval_account, approver, tech, product, mailoutbox, django_capture_on_commit_callbacks
):
    order = awaiting(approval_account, product, created_by=tech)
    url = reverse("orders:approval_cancel", args=[order.reference])
    log_in(client, approver)
    response = client.post(url, {"reason": ""})
    assert 'class="field has-error"' in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"reason": "Duplicate of CP123"})
    assert response["Location"] == reverse("orders:approval")
    order.refresh_from_db()
    assert order.status == S.CANCELLED and order.cancel_reason == "Duplicate of CP123"
    assert AuditEvent.objects.get(action="order.cancelled", object_id=order.reference).user == approver
    assert [m.to for m in mailoutbox] == [[order.technical_contact.email]]


@pytest.mark.django_db
def test_approval_refusals(client, approval_account, approver, tech, outsider, product):
    order = awaiting(approval_account, product, created_by=tech)
    approve_url = reverse("orders:approve", args=[order.reference])
    # Technical right without Approval: no button, 403; another account: 404.
    assert approve_url not in log_in(client, tech).get(detail(order)).content.decode()
    assert client.post(approve_url).status_code == 403
    assert (
        client.post(reverse("orders:approval_cancel", args=[order.reference]), {"reason": "x"}).status_code
        == 403
    )
    assert log_in(client, outsider).post(approve_url).status_code == 404
    assert Order.objects.get(pk=order.pk).status == S.AWAITING_APPROVAL
    # No longer awaiting approval: a message, not an error.
    Order.objects.filter(pk=order.pk).update(status=S.CANCELLED)
    response = log_in(client, approver).post(approve_url, follow=True)
    assert response.status_code == 200 and "no longer awaits approval" in response.content.decode()
    with pytest.raises(IllegalTransition):
        approve_order(Order.objects.get(pk=order.pk), user=approver)
    assert Order.objects.get(pk=order.pk).approved_at is None


@pytest.mark.django_db
def test_approval_end_to_end_then_payment(approval_account, approver, tech, staff, product):
    holder, admin, technical = contacts_of(approval_account)
    order = submit_order(
        account=approval_account,
        user=tech,
        product=product,
        period_months=12,
        organisation=holder,
        admin_contact=admin,
        technical_contact=technical,
        common_name="www.acme.test",
        sans=[],
        csr=make_csr("www.acme.test", key=make_key("p256")),
        server_software="nginx",
        dcv_method="dns",
    )
    with pytest.raises(IllegalTransition):
        record_payment(order, user=staff)  # no payment before approval
    approve_order(order, user=approver)
    # ORD-8: paid, the server order waits for the validation of its domain.
    assert record_payment(order, user=staff).status == S.AWAITING_DCV
    # An approver's own order does not wait.
    own = submit_order(
        account=approval_account,
        user=approver,
        product=product,
        period_months=12,
        organisation=holder,
        admin_contact=admin,
        technical_contact=technical,
        common_name="www.acme.test",
        sans=[],
        csr=make_csr("www.acme.test", key=make_key("p256")),
        server_software="nginx",
        dcv_method="dns",
    )
    assert own.status == S.AWAITING_PAYMENT


@pytest.mark.django_db
def test_an_approver_with_no_other_right_reaches_the_status_page_and_approves_there(
    client, approval_account, tech, product, other_account
):
    """ORD-5: approvers approve from the status page; the list and the approval email lead there,
    and the approval ends there. An approver holding the Approval right alone met a 403 at both."""
    only_approver = make_user(approval_account, "only-approver", rights=[Right.APPROVAL])
    order = awaiting(approval_account, product, created_by=tech, options={"payment": {"method": "tokens"}})
    client.force_login(only_approver)
    listing = client.get(reverse("orders:approval")).content.decode()
    assert detail(order) in listing
    assert "1 token" in listing and "120.00 €" not in listing  # paid with a token: no euros shown
    page = client.get(detail(order))
    assert page.status_code == 200
    assert reverse("orders:approve", args=[order.reference]) in page.content.decode()
    response = client.post(reverse("orders:approve", args=[order.reference]), follow=True)
    assert response.redirect_chain[-1][0] == detail(order) and response.status_code == 200
    assert "is approved" in response.content.decode()
    # Another account's approver: no hint the order exists.
    client.force_login(make_user(other_account, "their-approver", rights=[Right.APPROVAL]))
    assert client.get(detail(order)).status_code == 404
