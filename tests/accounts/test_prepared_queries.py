"""Issue 17 (load), `accounts.prepared`: a query compiled once per process gives what the ORM's
`get()` gives (the fields, the `select_related` objects, the annotations, the deferred fields),
for every call's own values, never the values of the call that compiled it; a query that uses a
value other than as a plain parameter is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scope

from accounts.models import User
from accounts.prepared import NotPreparable, _compiled, prefetched, prepared_get
from billing.services.accounting import listed_documents
from monitoring.models import InstallationCheck
from orders.models import Certificate, Order
from orders.services.renewal import with_renewal_data
from orders.tables import _page_rows as order_page_rows
from orders.views.status import _status_page_order
from tests.factories import make_user
from tests.support.lifecycle import delivered_order
from tests.support.orders import make_order

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


@pytest.fixture(autouse=True)
def fresh():
    _compiled.clear()
    yield
    _compiled.clear()


def user_and_account(user_id: int):
    return User.objects.select_related("account").filter(pk=user_id)


def fields(obj) -> dict:
    return {field.attname: getattr(obj, field.attname) for field in type(obj)._meta.concrete_fields}


def test_the_user_and_account_as_the_orm_reads_them(account, other_account):
    users = [make_user(account, "first", superuser=True), make_user(other_account, "second")]
    for user in users + users:  # the second round runs the compiled SQL
        found = prepared_get("user", User, user_and_account, user_id=user.pk)
        expected = User.objects.select_related("account").get(pk=user.pk)
        assert fields(found) == fields(expected)
        with CaptureQueriesContext(connection) as queries:
            assert fields(found.account) == fields(expected.account)  # loaded with the user
        assert queries.captured_queries == []
        assert found._state.adding is False and found._state.db == "default"
    assert len(_compiled) == 1
    assert prepared_get("user", User, user_and_account, user_id=10**9) is None


def test_the_status_page_order_with_its_annotations_and_deferred_fields(
    account, other_account, product, tech
):
    mine = delivered_order(account, product, created_by=tech)
    theirs = make_order(other_account, product)
    for _ in range(2):
        with scope(account=account):
            expected = (
                with_renewal_data(Order.objects.all())
                .select_related("product__brand", "organisation", "created_by")
                .get(pk=mine.pk)
            )
        found = prepared_get(
            "order", Order, _status_page_order, account_id=account.pk, reference=mine.reference
        )
        assert fields(found) == fields(expected)
        assert (found.renewal_end, found.renewed_by) == (expected.renewal_end, expected.renewed_by)
        assert found.renewal_end is not None
        with CaptureQueriesContext(connection) as queries:
            assert found.product.brand.name == expected.product.brand.name
            assert found.organisation.name == expected.organisation.name
            assert found.created_by.get_full_name() == expected.created_by.get_full_name()
            assert found.created_by.username == tech.username
        assert queries.captured_queries == []
        assert found.created_by.email == tech.email  # deferred: read when asked for
    # Another account's reference, or this account's order asked for from the other account: none.
    assert (
        prepared_get("order", Order, _status_page_order, account_id=account.pk, reference=theirs.reference)
        is None
    )
    assert (
        prepared_get(
            "order", Order, _status_page_order, account_id=other_account.pk, reference=mine.reference
        )
        is None
    )
    other = prepared_get(
        "order", Order, _status_page_order, account_id=other_account.pk, reference=theirs.reference
    )
    assert other is not None and other.pk == theirs.pk


def test_a_value_that_is_not_a_plain_parameter_is_refused(account):
    with pytest.raises(NotPreparable):
        prepared_get("contains", User, lambda name: User.objects.filter(username__icontains=name), name="x")
    with pytest.raises(NotPreparable):  # a value the query does not use
        prepared_get("unused", User, lambda user_id: User.objects.filter(pk=1), user_id=3)
    with pytest.raises(NotPreparable):
        prepared_get("float", User, lambda value: User.objects.filter(pk=value), value=1.5)
    assert not _compiled


def test_the_status_page_answers_404_for_another_accounts_order(
    client, account, other_account, product, tech
):
    theirs = make_order(other_account, product)
    mine = make_order(account, product)
    client.force_login(tech)
    assert client.get(f"/orders/{mine.reference}/").status_code == 200
    assert client.get(f"/orders/{theirs.reference}/").status_code == 404
    assert client.get("/orders/NOSUCHREF/").status_code == 404


def test_prefetched_rows_answer_the_relation(account, product):
    order = delivered_order(account, product)
    with scope(account=account):
        certificates = list(Certificate.objects.filter(order=order))
        prefetched(order, "certificates", certificates)
        with CaptureQueriesContext(connection) as queries:
            assert list(order.certificates.all()) == certificates
            assert all(certificate.order is order for certificate in certificates)
        assert queries.captured_queries == []
        assert list(order.certificates.filter(pk=-1)) == []  # a filter still asks the database


def test_the_status_page_shows_each_certificates_latest_installation_test(client, account, product, tech):
    order = delivered_order(account, product)
    other = delivered_order(account, product)
    certificate, elsewhere = order.certificates.get(), other.certificates.get()
    now = timezone.now()
    for target, host, minutes in ((certificate, "old", 60), (certificate, "new", 5), (elsewhere, "other", 1)):
        InstallationCheck.objects.create(
            account=account,
            certificate=target,
            host=f"{host}.acme.test",
            port=9443,
            result="green",
            reasons=[],
            by=tech,
            checked_at=now - timedelta(minutes=minutes),
        )
    client.force_login(tech)
    page = client.get(f"/orders/{order.reference}/").content.decode()
    assert "new.acme.test:9443" in page  # the latest of this certificate's tests
    assert "old.acme.test" not in page and "other.acme.test" not in page
    assert (
        "Last installation test"
        not in client.get(f"/orders/{make_order(account, product).reference}/").content.decode()
    )


def test_a_pages_rows_by_id_are_the_accounts_own(account, other_account, product):
    """The lists' rows read by id (orders, accounting documents) filter on the account as well:
    ids of another account's rows give nothing."""
    mine = [make_order(account, product) for _ in range(3)]
    theirs = [make_order(other_account, product) for _ in range(2)]
    fields = ["reference", "status"]
    assert {o.pk for o in order_page_rows(account.pk, [], fields, [o.pk for o in mine + theirs])} == {
        o.pk for o in mine
    }
    assert order_page_rows(account.pk, ["organisation"], [*fields, "organisation"], [theirs[0].pk]) == []
    rows = order_page_rows(account.pk, ["organisation"], [*fields, "organisation"], [mine[0].pk])
    assert rows[0].organisation.name == mine[0].organisation.name
    assert hasattr(rows[0], "all_revoked") and rows[0].valid_until is None
    assert listed_documents(other_account.pk, [1, 2, 3], ("display_number",)) == []
