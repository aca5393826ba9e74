"""ORD-13 recommended reissues page and ORD-14 automatic renewal (status page toggle, selection page):
happy paths, and refusals for the wrong right, another tenant and bad input."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from accounts.models import AuditEvent, Right
from orders.models import Order, ReissueRecommendation
from orders.services import reissue_list
from portal.menu import badge_counts
from tests.factories import make_product, make_user
from tests.support.lifecycle import use_lifecycle_urls
from tests.support.robots import dated_order


@pytest.fixture(autouse=True)
def _urls(settings):
    use_lifecycle_urls(settings)


@pytest.fixture
def reissuable(db):
    return make_product("page-ov", reissuable=True)


@pytest.fixture
def listed(account, reissuable):
    order = dated_order(
        account, reissuable, issued_days_ago=150, lifetime_days=200, common_name="due.acme.test"
    )
    reissue_list.rebuild()
    return order


def test_recommended_reissues_lists_rows_with_reason_badge_and_csv(client, tech, listed):
    client.force_login(tech)
    response = client.get(reverse("lifecycle:recommended_reissues"))
    page = response.content.decode()
    assert response.status_code == 200
    assert listed.reference in page and "A third of the certificate" in page
    assert reverse("lifecycle:reissue", args=[listed.reference]) in page
    assert badge_counts(tech)["lifecycle:recommended_reissues"] == 1
    csv = client.get(reverse("lifecycle:recommended_reissues") + "?format=csv")
    assert csv["Content-Type"].startswith("text/csv") and listed.reference in csv.content.decode()


def test_hiding_and_muting_rows(client, tech, listed, account):
    client.force_login(tech)
    with scopes_disabled():
        row = ReissueRecommendation.objects.get()
    url = reverse("lifecycle:recommended_reissues")
    assert client.post(url, {"action": "hide", "selected": [row.pk]}).status_code == 302
    assert listed.reference not in client.get(url).content.decode()
    assert listed.reference in client.get(url + "?hidden=1").content.decode()
    client.post(url, {"action": "mute", "selected": [row.pk]})
    row.refresh_from_db()
    assert row.hidden and not row.notify
    assert badge_counts(tech).get("lifecycle:recommended_reissues") == 0


def test_recommended_reissues_refusals(client, listed, account, other_account, billing, outsider):
    url = reverse("lifecycle:recommended_reissues")
    client.force_login(billing)
    assert client.get(url).status_code == 403
    client.force_login(outsider)
    response = client.get(url)
    assert response.status_code == 200 and listed.reference not in response.content.decode()
    with scopes_disabled():
        row = ReissueRecommendation.objects.get()
    # Another tenant's row is not a choice: the form refuses it, nothing changes.
    assert client.post(url, {"action": "hide", "selected": [row.pk]}).status_code == 400
    assert client.post(url, {"action": "explode", "selected": []}).status_code == 400
    row.refresh_from_db()
    assert not row.hidden


def test_status_page_toggles_automatic_renewal(client, tech, account, reissuable):
    order = dated_order(account, reissuable, issued_days_ago=100, lifetime_days=365)
    client.force_login(tech)
    detail = client.get(reverse("orders:detail", args=[order.reference])).content.decode()
    assert "Switch automatic renewal on" in detail
    response = client.post(reverse("orders:auto_renewal", args=[order.reference]), {"enabled": "1"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.auto_renew
    detail = client.get(reverse("orders:detail", args=[order.reference])).content.decode()
    assert "Automatic" in detail and "the renewal will be filed on" in detail
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="order.auto_renewal_changed").count() == 1
    client.post(reverse("orders:auto_renewal", args=[order.reference]), {"enabled": "0"})
    order.refresh_from_db()
    assert not order.auto_renew


def test_automatic_renewal_toggle_refusals(client, account, reissuable, outsider):
    order = dated_order(account, reissuable, issued_days_ago=100, lifetime_days=365)
    url = reverse("orders:auto_renewal", args=[order.reference])
    commercial = make_user(account, "commercial-only", rights=[Right.COMMERCIAL])
    client.force_login(commercial)
    assert client.post(url, {"enabled": "1"}).status_code == 403
    client.force_login(outsider)
    assert client.post(url, {"enabled": "1"}).status_code == 404
    tech = make_user(account, "tech-toggle", rights=[Right.TECHNICAL])
    client.force_login(tech)
    assert client.get(url).status_code == 405
    client.post(url, {"enabled": "maybe"})
    positive = dated_order(
        account,
        make_product("positivessl-page", brand_code="positivessl"),
        issued_days_ago=5,
        lifetime_days=365,
    )
    client.post(reverse("orders:auto_renewal", args=[positive.reference]), {"enabled": "1"})
    assert not Order.objects.filter(auto_renew=True).exists()


def test_automatic_renewal_on_a_selection(client, tech, account, reissuable, outsider, other_account):
    first = dated_order(
        account, reissuable, issued_days_ago=100, lifetime_days=365, common_name="a.acme.test"
    )
    second = dated_order(
        account, reissuable, issued_days_ago=100, lifetime_days=365, common_name="b.acme.test"
    )
    foreign = dated_order(
        other_account,
        make_product("page-ov2"),
        issued_days_ago=100,
        lifetime_days=365,
        common_name="x.globex.test",
    )
    client.force_login(tech)
    url = reverse("lifecycle:auto_renewal")
    page = client.get(url).content.decode()
    assert first.reference in page and foreign.reference not in page
    response = client.post(url, {"enabled": "1", "selected": [first.reference, second.reference]})
    assert response.status_code == 302
    with scopes_disabled():
        assert set(Order.objects.filter(auto_renew=True).values_list("pk", flat=True)) == {
            first.pk,
            second.pk,
        }
    # Another tenant's reference is refused by the form.
    assert client.post(url, {"enabled": "1", "selected": [foreign.reference]}).status_code == 400
    with scopes_disabled():
        foreign.refresh_from_db()
    assert not foreign.auto_renew
