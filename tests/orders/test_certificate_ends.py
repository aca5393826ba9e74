"""Issue 17: the certificate ends stored on the order (`Order.latest_certificate_end`,
`latest_certificate_state`, `certificates_end`, `valid_certificates_end`) follow every write of its
certificates: a certificate created or saved, a set-based UPDATE (the beat jobs), a deletion; an
order loaded before the change never writes its stale copy back. The lists sort on them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from orders.csr import parse_csr
from orders.models import Certificate, Order, OrderStatus
from orders.services.actions import revoke_certificate
from orders.services.reissue import ReissueRequest, reissuable_orders, reissue
from orders.services.renewal import renewal_candidates
from orders.tasks import mark_expired_certificates
from tests.conftest import login
from tests.factories import make_csr, make_key
from tests.orders.test_order_lists_search import add_certificate, quick_order
from tests.support.lifecycle import delivered_order

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]  # PostgreSQL and SQLite (the demo)
S = OrderStatus


def ends(order: Order) -> tuple:
    order.refresh_from_db()
    return (
        order.latest_certificate_end,
        order.latest_certificate_state,
        order.certificates_end,
        order.valid_certificates_end,
    )


def test_a_new_certificate_and_a_revocation_update_the_order(account, product):
    order = quick_order(account, product, "www.acme.test", status=S.DELIVERED_PAID)
    assert ends(order) == (None, None, None, None)
    first = add_certificate(order, days_left=300)
    assert ends(order) == (first.not_after, "valid", first.not_after, first.not_after)
    # A reissue: the latest certificate ends earlier, the last end stays the first one's.
    second = add_certificate(order, days_left=100)
    assert ends(order) == (second.not_after, "valid", first.not_after, first.not_after)
    first.state = Certificate.State.REVOKED
    first.save()
    assert ends(order) == (second.not_after, "valid", first.not_after, second.not_after)
    second.delete()
    assert ends(order) == (first.not_after, "revoked", first.not_after, None)


def test_set_based_updates_and_the_expiry_job_update_the_orders(account, other_account, product):
    mine = quick_order(account, product, "a.acme.test", status=S.DELIVERED_PAID)
    theirs = quick_order(other_account, product, "b.globex.test", status=S.DELIVERED_PAID)
    untouched = quick_order(account, product, "c.acme.test", status=S.DELIVERED_PAID)
    for order in (mine, theirs, untouched):
        add_certificate(order, days_left=300)
    past = timezone.now() - timedelta(days=1)
    Certificate.objects.filter(order__in=[mine, theirs]).update(not_after=past)
    assert ends(mine)[0] == past and ends(theirs)[2] == past
    assert mark_expired_certificates() == 2
    assert ends(mine) == (past, "expired", past, None)
    assert ends(theirs) == (past, "expired", past, None)
    assert ends(untouched)[1] == "valid" and ends(untouched)[3] > timezone.now()


def test_an_order_loaded_before_its_certificate_does_not_write_it_back(account, product):
    order = quick_order(account, product, "www.acme.test", status=S.DELIVERED_PAID)
    stale = Order.objects.get(pk=order.pk)
    certificate = add_certificate(order)
    stale.customer_reference = "PO-1"
    stale.save()  # its copy of the ends is None: not written
    assert ends(order) == (certificate.not_after, "valid", certificate.not_after, certificate.not_after)
    assert order.customer_reference == "PO-1"


def test_order_list_sorted_by_the_end_in_both_directions(client, owner, account, other_account, product):
    late = quick_order(account, product, "late.acme.test", status=S.DELIVERED_PAID)
    early = quick_order(account, product, "early.acme.test", status=S.DELIVERED_PAID)
    quick_order(account, product, "none.acme.test")
    foreign = quick_order(other_account, product, "soon.globex.test", status=S.DELIVERED_PAID)
    add_certificate(late, days_left=300)
    add_certificate(early, days_left=20)
    add_certificate(foreign, days_left=10)
    login(client, owner)

    def names(sort: str) -> list[str]:
        response = client.get("/orders/", {"sort": sort})
        assert response.status_code == 200
        return [row.record.common_name for row in response.context["table"].page.object_list]

    ascending = names("valid_until")
    # The order without a certificate sorts last on PostgreSQL, first on SQLite (NULL); never a foreign one.
    assert [n for n in ascending if n != "none.acme.test"] == ["early.acme.test", "late.acme.test"]
    assert sorted(ascending) == ["early.acme.test", "late.acme.test", "none.acme.test"]
    assert names("-valid_until") == list(reversed(ascending))


def test_renewal_and_reissue_lists_read_the_stored_ends(account, other_account, product):
    now = timezone.now()
    soon = quick_order(account, product, "soon.acme.test", status=S.DELIVERED_PAID)
    later = quick_order(account, product, "later.acme.test", status=S.DELIVERED_PAID)
    revoked = quick_order(account, product, "revoked.acme.test", status=S.DELIVERED_PAID)
    foreign = quick_order(other_account, product, "soon.globex.test", status=S.DELIVERED_PAID)
    add_certificate(soon, days_left=20)
    add_certificate(later, days_left=300)
    add_certificate(revoked, days_left=30, state="revoked")
    add_certificate(foreign, days_left=20)
    # The renewal window counts any certificate's end (a revoked one too), 90 days ahead.
    assert [o.common_name for o in renewal_candidates(account, now)] == [
        "soon.acme.test",
        "revoked.acme.test",
    ]
    # The reissue list: orders holding a valid certificate, soonest end first.
    assert [o.common_name for o in reissuable_orders(account, now)] == ["soon.acme.test", "later.acme.test"]
    assert [o.common_name for o in reissuable_orders(other_account, now)] == ["soon.globex.test"]


def test_the_real_reissue_and_revocation_services_update_the_order(account, product, tech):
    """The stored ends through the services themselves (ORD-11 reissue, LIFE-5 revocation), not
    only through a certificate saved by hand."""
    order = delivered_order(account, product, common_name="real.acme.test")
    first = order.certificates.get()
    assert ends(order) == (first.not_after, "valid", first.not_after, first.not_after)
    order.subscription_ends_at = first.not_after - timedelta(days=30)
    order.save()
    info = parse_csr(make_csr(order.common_name, order.sans, key=make_key("p256")))
    second = reissue(
        order, ReissueRequest(reason="lost", csr=info, sans=order.sans, replaced=first), user=tech
    )
    assert second.not_after < first.not_after  # capped by the subscription's end
    assert ends(order) == (second.not_after, "valid", first.not_after, first.not_after)
    revoke_certificate(first, "superseded", user=tech)
    assert ends(order) == (second.not_after, "valid", first.not_after, second.not_after)
    revoke_certificate(second, "superseded", user=tech)
    assert ends(order) == (second.not_after, "revoked", first.not_after, None)
