"""A revoked certificate is never shown as usable (issue 8 point 9): the status page recommends no
download of it and says why; the order list says "Revoked" once every certificate of an order is."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from orders.models import Certificate, OrderStatus
from tests.support.delivered import deliver
from tests.support.orders import make_order


@pytest.fixture
def delivered(account, product):
    order = make_order(
        account, product, status=OrderStatus.UNDER_VERIFICATION, paid=True, server_software="iis"
    )
    return order, deliver(order)


def highlighted_downloads(page: str) -> list[str]:
    return re.findall(r'<a href="[^"]*/certificates/[^"]*" class="btn">', page)


@pytest.mark.django_db
def test_a_valid_certificate_has_a_recommended_download(client, tech, delivered):
    order, _certificate = delivered
    client.force_login(tech)
    page = client.get(reverse("orders:detail", args=[order.reference])).content.decode()
    assert len(highlighted_downloads(page)) == 1 and "do not install it" not in page


@pytest.mark.django_db
def test_a_revoked_certificate_has_no_recommended_download(client, tech, delivered):
    order, certificate = delivered
    Certificate.objects.filter(pk=certificate.pk).update(state=Certificate.State.REVOKED)
    client.force_login(tech)
    page = client.get(reverse("orders:detail", args=[order.reference])).content.decode()
    assert highlighted_downloads(page) == []
    assert "This certificate is revoked" in page and "do not install it" in page


@pytest.mark.django_db
def test_the_order_list_says_revoked_when_every_certificate_is(client, tech, account, product, delivered):
    order, certificate = delivered
    client.force_login(tech)
    url = reverse("orders:list")
    assert 'class="badge status-revoked"' not in client.get(url).content.decode()
    Certificate.objects.filter(pk=certificate.pk).update(state=Certificate.State.REVOKED)
    page = client.get(url).content.decode()
    assert '<span class="badge status-revoked">Revoked</span>' in page


@pytest.mark.django_db
def test_the_order_list_keeps_the_status_while_one_certificate_is_valid(client, tech, delivered):
    order, certificate = delivered
    deliver(order)  # a reissue: the new certificate stays valid
    Certificate.objects.filter(pk=certificate.pk).update(state=Certificate.State.REVOKED)
    client.force_login(tech)
    page = client.get(reverse("orders:list")).content.decode()
    assert "status-revoked" not in page and "status-delivered_paid" in page


@pytest.mark.django_db
def test_an_order_without_certificate_is_not_called_revoked(client, tech, account, product):
    make_order(account, product)
    client.force_login(tech)
    assert "status-revoked" not in client.get(reverse("orders:list")).content.decode()
