"""ORD-10 renewal: the window (90 days before the end to 30 after), carried-over days, the identical rule
(organisation name or city changed → clone), the list, "renew another certificate", rights."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Right
from orders.models import Certificate, OrderOrigin, OrderStatus
from orders.services.lifecycle import add_months
from orders.services.renewal import (
    carried_over_days,
    renewable,
    renewal_candidates,
    renewal_end,
    renewal_window,
    renewed_subscription_end,
)
from tests.factories import make_product, make_user
from tests.support.lifecycle import delivered_order, use_lifecycle_urls
from tests.support.orders import make_order

S = OrderStatus
# Noon in Paris: adding whole days never crosses a local midnight, even over a DST change.
NOW = timezone.make_aware(datetime(2026, 5, 10, 12, 0))


@pytest.fixture(autouse=True)
def _urls(settings):
    use_lifecycle_urls(settings)


def ending(account, product, delta: timedelta, **fields):
    """A delivered order whose subscription ends at NOW + delta."""
    return make_order(account, product, status=S.DELIVERED_PAID, subscription_ends_at=NOW + delta, **fields)


def query(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


# ---------------------------------------------------------------- the window


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("days_to_end", "ok"),
    [
        (91, False),  # one day before the window opens
        (90, True),  # the first day: 90 days before the end
        (0, True),
        (-30, True),  # the last day: 30 days after the end
        (-31, False),  # too late
    ],
)
def test_window_edges(account, product, days_to_end, ok):
    order = ending(account, product, timedelta(days=days_to_end))
    verdict = renewable(order, NOW)
    assert verdict.ok is ok, verdict.reason
    in_list = renewal_candidates(account, NOW).filter(pk=order.pk).exists()
    assert in_list is ok


@pytest.mark.django_db
def test_window_dates_and_refusal_reasons(account, product):
    order = ending(account, product, timedelta(days=120))
    end = timezone.localdate(NOW) + timedelta(days=120)
    assert renewal_window(order) == (end - timedelta(days=90), end + timedelta(days=30))
    early = renewable(order, NOW)
    assert "opens on" in early.reason and not early.clone_url
    late = renewable(order, NOW + timedelta(days=151))
    assert not late.ok and "more than 30 days ago" in late.reason
    assert late.clone_url.startswith(reverse("operations:order", args=[product.code]))
    assert query(late.clone_url) == {"from": order.reference, "origin": "clone"}


@pytest.mark.django_db
def test_renewal_link_prefills_the_same_product(account, product):
    order = ending(account, product, timedelta(days=10))
    verdict = renewable(order, NOW)
    assert verdict.ok
    assert urlsplit(verdict.renewal_url).path == reverse("operations:order", args=[product.code])
    assert query(verdict.renewal_url) == {"from": order.reference, "origin": "renewal"}


@pytest.mark.django_db
def test_end_falls_back_to_the_latest_certificate(account, product, staff):
    order = delivered_order(account, product, staff)
    assert order.subscription_ends_at is None
    latest = order.certificates.get()
    assert renewal_end(order) == latest.not_after
    Certificate.objects.filter(pk=latest.pk).update(not_after=NOW + timedelta(days=40))
    order.refresh_from_db()
    assert renewal_end(order) == NOW + timedelta(days=40)
    assert renewal_candidates(account, NOW).filter(pk=order.pk).exists()


@pytest.mark.django_db
def test_undelivered_or_already_renewed_orders_are_refused(account, product):
    pending = make_order(
        account, product, status=S.AWAITING_PAYMENT, subscription_ends_at=NOW + timedelta(days=5)
    )
    assert not renewable(pending, NOW).ok
    assert not renewal_candidates(account, NOW).filter(pk=pending.pk).exists()
    order = ending(account, product, timedelta(days=5))
    renewal = make_order(
        account, product, status=S.AWAITING_PAYMENT, origin=OrderOrigin.RENEWAL, source_order=order
    )
    verdict = renewable(order, NOW)
    assert not verdict.ok and renewal.reference in verdict.reason
    listed = renewal_candidates(account, NOW).get(pk=order.pk)
    assert listed.renewed_by == renewal.reference
    renewal.status = S.CANCELLED
    renewal.save()
    assert renewable(order, NOW).ok  # a cancelled renewal does not block another


@pytest.mark.django_db
def test_product_no_longer_sold_is_sent_to_migration(account):
    old = make_product("ssl-pro-old", validation="OV", active=False)
    make_product("ssl-ov-new", validation="OV")
    order = ending(account, old, timedelta(days=5))
    verdict = renewable(order, NOW)
    assert not verdict.ok and "no longer sold" in verdict.reason
    assert urlsplit(verdict.migrate_url).path == reverse("operations:order", args=["ssl-ov-new"])
    assert query(verdict.migrate_url)["origin"] == "migration"


# ---------------------------------------------------------------- carried-over days


@pytest.mark.django_db
def test_carried_over_days(account, product):
    assert carried_over_days(ending(account, product, timedelta(days=45, hours=3)), NOW) == 45
    assert carried_over_days(ending(account, product, timedelta(hours=20)), NOW) == 0
    assert carried_over_days(ending(account, product, timedelta(days=-3)), NOW) == 0
    assert (
        carried_over_days(make_order(account, product, status=S.DELIVERED_PAID), NOW) == 0
    )  # nothing delivered


def test_renewed_subscription_end_adds_the_carried_days():
    start = timezone.make_aware(datetime(2026, 1, 31, 9, 0))
    assert renewed_subscription_end(start, 12, 0) == add_months(start, 12)
    assert renewed_subscription_end(start, 1, 10) == timezone.make_aware(datetime(2026, 3, 10, 9, 0))
    assert renewed_subscription_end(start, 12, -5) == add_months(start, 12)


# ---------------------------------------------------------------- identical: organisation unchanged


@pytest.mark.django_db
@pytest.mark.parametrize("change", ["name", "city"])
def test_changed_organisation_refuses_with_a_clone_link(account, product, staff, change):
    order = delivered_order(account, product, staff)  # OV: the certificate names O and L
    Certificate.objects.filter(order=order).update(not_after=timezone.now() + timedelta(days=20))
    assert renewable(order).ok
    organisation = order.organisation
    setattr(organisation, change, "Lyon" if change == "city" else "Acme Hosting Group")
    organisation.save()
    order.refresh_from_db()
    verdict = renewable(order)
    assert not verdict.ok and "organisation changed" in verdict.reason
    assert ("Lyon" if change == "city" else "Acme Hosting Group") in verdict.reason
    assert query(verdict.clone_url) == {"from": order.reference, "origin": "clone"}


@pytest.mark.django_db
def test_organisation_compared_loosely_and_not_for_dv(account, staff):
    ov = make_product("ov-loose", validation="OV")
    order = delivered_order(account, ov, staff)
    Certificate.objects.filter(order=order).update(not_after=timezone.now() + timedelta(days=20))
    order.organisation.name = "  ACME   hosting "
    order.organisation.save()
    order.refresh_from_db()
    assert renewable(order).ok  # same name, other case and spacing
    dv = make_product("dv-any", validation="DV", product_type="server_dv")
    dv_order = delivered_order(account, dv, staff)
    Certificate.objects.filter(order=dv_order).update(not_after=timezone.now() + timedelta(days=20))
    dv_order.organisation.name = "Entirely Different SA"
    dv_order.organisation.save()
    dv_order.refresh_from_db()
    assert renewable(dv_order).ok  # a DV certificate names no organisation


# ---------------------------------------------------------------- pages


@pytest.mark.django_db
def test_list_shows_candidates_with_their_links(client, tech, account, other_account, product, staff):
    soon = make_order(
        account, product, status=S.DELIVERED_PAID, subscription_ends_at=timezone.now() + timedelta(days=30)
    )
    later = make_order(
        account,
        product,
        status=S.DELIVERED_PAID,
        common_name="later.acme.test",
        subscription_ends_at=timezone.now() + timedelta(days=200),
    )
    changed = delivered_order(account, product, staff, common_name="changed.acme.test")
    Certificate.objects.filter(order=changed).update(not_after=timezone.now() + timedelta(days=10))
    changed.organisation.city = "Marseille"
    changed.organisation.save()
    theirs = make_order(
        other_account,
        product,
        status=S.DELIVERED_PAID,
        common_name="www.globex.test",
        subscription_ends_at=timezone.now() + timedelta(days=30),
    )
    client.force_login(tech)
    page = client.get(reverse("lifecycle:renewals")).content.decode()
    assert f"from={soon.reference}&amp;origin=renewal" in page
    assert "29 days left carried over" in page or "30 days left carried over" in page
    assert later.reference not in page and theirs.reference not in page
    assert (
        changed.reference in page
        and "Marseille" in page
        and f"from={changed.reference}&amp;origin=clone" in page
    )


@pytest.mark.django_db
def test_list_queries_do_not_grow(client, tech, account, product, staff):
    client.force_login(tech)
    url = reverse("lifecycle:renewals")
    for i in range(2):
        delivered_order(account, product, staff, common_name=f"h{i}.acme.test")
    Certificate.objects.filter(account=account).update(not_after=timezone.now() + timedelta(days=20))
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    for i in range(2, 8):
        delivered_order(account, product, staff, common_name=f"h{i}.acme.test")
    Certificate.objects.filter(account=account).update(not_after=timezone.now() + timedelta(days=20))
    client.get(url)  # the writes dropped the account's cached badges: counted again once
    with CaptureQueriesContext(connection) as big:
        page = client.get(url).content.decode()
    assert page.count("origin=renewal") == 8
    assert len(big.captured_queries) == len(small.captured_queries)


@pytest.mark.django_db
def test_following_the_renewal_link_answers(client, tech, account, product):
    order = make_order(
        account,
        product,
        status=S.DELIVERED_PAID,
        common_name="renew-me.acme.test",
        subscription_ends_at=timezone.now() + timedelta(days=10),
    )
    verdict = renewable(order)
    assert verdict.ok
    client.force_login(tech)
    response = client.get(verdict.renewal_url)
    assert response.status_code == 200 and "renew-me.acme.test" in response.content.decode()  # prefilled


@pytest.mark.django_db
def test_renew_another_by_reference(client, tech, account, product):
    order = make_order(
        account,
        product,
        status=S.DELIVERED_PAID,
        ca_reference="SECTIGO-4411",
        subscription_ends_at=timezone.now() + timedelta(days=10),
    )
    client.force_login(tech)
    url = reverse("lifecycle:renew_other")
    for reference in (order.reference.lower(), "sectigo-4411"):
        response = client.get(url, {"reference": reference})
        assert response.status_code == 302
        assert query(response["Location"]) == {"from": order.reference, "origin": "renewal"}


@pytest.mark.django_db
def test_renew_another_refusals_are_explained(client, tech, account, other_account, product):
    early = make_order(
        account, product, status=S.DELIVERED_PAID, subscription_ends_at=timezone.now() + timedelta(days=300)
    )
    theirs = make_order(
        other_account,
        product,
        status=S.DELIVERED_PAID,
        subscription_ends_at=timezone.now() + timedelta(days=10),
    )
    client.force_login(tech)
    url = reverse("lifecycle:renew_other")
    page = client.get(url, {"reference": early.reference}).content.decode()
    assert "The renewal opens on" in page and 'id="verdict"' in page
    page = client.get(url, {"reference": theirs.reference}).content.decode()
    assert (
        "No order of your account has this reference." in page
    )  # another account's order does not exist here
    page = client.get(url, {"reference": ""}).content.decode()
    assert "This field is required." in page
    assert client.get(url).status_code == 200  # the empty form


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["lifecycle:renewals", "lifecycle:renew_other"])
def test_commercial_only_user_is_refused(client, account, name):
    client.force_login(make_user(account, "sales", rights=[Right.COMMERCIAL]))
    assert client.get(reverse(name)).status_code == 403
