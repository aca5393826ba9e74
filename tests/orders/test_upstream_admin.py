"""AUTO-4 [beyond] without an outside CA: the upstream ACME CA admin (secrets never shown again),
the http-01 responder, and the refusals of the issuance request."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from orders.ca import http01, secrets
from orders.models import OrderStatus, UpstreamAcmeAccount, UpstreamIssuance
from orders.services import IllegalTransition
from orders.services.upstream import request_issuance, run_issuance
from outbox.models import OutboxMessage
from tests.support.orders import make_order, pass_dcv

S = OrderStatus
HMAC = "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W"
ADD_URL = "/staff/orders/upstreamacmeaccount/add/"

pytestmark = pytest.mark.django_db


def add_form(product, **overrides):
    data = {
        "brand": str(product.brand.pk),
        "enabled": "on",
        "directory_url": "https://acme.ca.test/directory",
        "contact_email": "pki@portal.test",
        "eab_key_id": "kid-1",
        "eab_hmac": HMAC,
    }
    data.update(overrides)
    return data


def test_the_hmac_key_is_stored_encrypted_and_never_shown_again(client, staff, product):
    client.force_login(staff)
    response = client.post(ADD_URL, add_form(product))
    assert response.status_code == 302
    upstream = UpstreamAcmeAccount.objects.get(brand=product.brand)
    assert HMAC not in upstream.eab_hmac_encrypted
    assert secrets.decrypt(upstream.eab_hmac_encrypted) == HMAC
    page = client.get(reverse("admin:orders_upstreamacmeaccount_change", args=[upstream.pk])).content.decode()
    assert HMAC not in page and upstream.eab_hmac_encrypted not in page
    event = AuditEvent.objects.get(action="upstream.created")
    assert HMAC not in str(event.details) and event.details["eab_hmac"] == "***"


def test_an_empty_hmac_field_keeps_the_stored_key(client, staff, product):
    client.force_login(staff)
    client.post(ADD_URL, add_form(product))
    upstream = UpstreamAcmeAccount.objects.get(brand=product.brand)
    UpstreamAcmeAccount.objects.filter(pk=upstream.pk).update(account_url="https://acme.ca.test/acct/1")
    url = reverse("admin:orders_upstreamacmeaccount_change", args=[upstream.pk])
    response = client.post(url, add_form(product, eab_hmac="", contact_email="ops@portal.test"))
    assert response.status_code == 302
    upstream.refresh_from_db()
    assert secrets.decrypt(upstream.eab_hmac_encrypted) == HMAC
    assert upstream.account_url == "https://acme.ca.test/acct/1"  # same CA, same binding: same account
    client.post(url, add_form(product, eab_hmac="", directory_url="https://other.ca.test/dir"))
    upstream.refresh_from_db()
    assert upstream.account_url == ""  # another CA: register again


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"eab_hmac": "not base64 !"}, "eab_hmac"),
        ({"eab_hmac": ""}, "eab_hmac"),
        ({"eab_key_id": ""}, "eab_key_id"),
    ],
)
def test_bad_eab_input_is_refused(client, staff, product, overrides, field):
    client.force_login(staff)
    response = client.post(ADD_URL, add_form(product, **overrides))
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not UpstreamAcmeAccount.objects.exists()


def test_an_account_user_cannot_reach_the_admin(client, owner, product):
    client.force_login(owner)
    response = client.post(ADD_URL, add_form(product))
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert not UpstreamAcmeAccount.objects.exists()


def test_the_responder_serves_published_answers_only(client):
    token = "A" * 43
    http01.publish(token, f"{token}.thumbprint")
    response = client.get(f"/.well-known/acme-challenge/{token}")
    assert response.status_code == 200 and response.content == f"{token}.thumbprint".encode()
    assert client.get(f"/.well-known/acme-challenge/{'B' * 43}").status_code == 404
    assert client.get("/.well-known/acme-challenge/short").status_code == 404
    assert client.post(f"/.well-known/acme-challenge/{token}").status_code == 405
    http01.withdraw(token)
    assert client.get(f"/.well-known/acme-challenge/{token}").status_code == 404


@pytest.fixture
def upstream(product):
    return UpstreamAcmeAccount.objects.create(
        brand=product.brand, directory_url="https://127.0.0.1:9/dir", eab_key_id=""
    )


def test_an_unpaid_order_is_not_queued(account, product, staff, upstream):
    order = make_order(account, product, status=S.AWAITING_PAYMENT)
    with pytest.raises(IllegalTransition):
        request_issuance(order, user=staff)
    assert not UpstreamIssuance.objects.exists()
    assert not OutboxMessage.objects.filter(task="orders.tasks.issue_upstream").exists()


def test_a_csr_short_of_a_name_fails_with_its_reason(account, product, staff, upstream):
    order = make_order(account, product, status=S.UNDER_VERIFICATION, paid=True, sans=["acme.test"])
    order.sans = ["acme.test", "mail.acme.test"]  # the CSR names two of the three
    order.save(update_fields=["sans"])
    pass_dcv(order, staff)
    request_issuance(order, user=staff)
    assert run_issuance(order.pk) == "failed"
    issuance = UpstreamIssuance.objects.get(order=order)
    assert issuance.state == UpstreamIssuance.State.FAILED and "CSR" in issuance.error
    order.refresh_from_db()
    assert order.status == S.UNDER_VERIFICATION


def test_an_order_cancelled_after_queueing_is_not_issued(account, product, staff, upstream):
    order = pass_dcv(make_order(account, product, status=S.UNDER_VERIFICATION, paid=True), staff)
    request_issuance(order, user=staff)
    type(order).objects.filter(pk=order.pk).update(status=S.CANCELLED)
    assert run_issuance(order.pk) == "failed"
    assert "no longer" in UpstreamIssuance.objects.get(order=order).error


@pytest.mark.parametrize(
    "action", ["order.upstream_requested", "order.upstream_failed", "order.upstream_issued"]
)
def test_the_audit_log_reads_the_upstream_events_in_french(action):
    from django.utils import translation

    from accounts.audit_text import sentence

    with translation.override("fr"):
        text = sentence(action, "Alice", "order", "CP12345")
    assert "autorité de certification externe" in text and "CP12345" in text
