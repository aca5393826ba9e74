"""What the order emails say must be true (issue 8 point 8): the order-registered email names the
status the order really has once payment and domain validation have started, and the delivery
email describes the full-chain file as it is (certificate and intermediate, no root)."""

from __future__ import annotations

import io
import zipfile

import pytest
from cryptography import x509
from django.urls import reverse

from accounts.models import Account
from billing.services.ledger import credit_tokens
from orders.models import Order, OrderStatus
from orders.services.issuing import send_delivery_email
from tests.orders.test_order_payment import confirm, review_token, set_formula
from tests.support.delivered import deliver
from tests.support.orders import make_order


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://portal.example.test"


@pytest.mark.django_db
def test_the_registered_email_names_the_real_status(
    client, tech, account, product, django_capture_on_commit_callbacks, mailoutbox
):
    set_formula(account, Account.Formula.BULK)
    credit_tokens(account, product, 3, reference="TOPUP-1")
    client.force_login(tech)
    token = review_token(client, account, product)
    confirm(client, token, django_capture_on_commit_callbacks, method="tokens")
    order = Order.objects.get()
    assert order.status == OrderStatus.AWAITING_DCV  # paid with a token, then the DCV started
    [mail] = [m for m in mailoutbox if order.reference in m.subject]
    assert "Status: Awaiting domain validation." in mail.body
    assert "Under verification" not in mail.body and "Awaiting payment" not in mail.body


@pytest.mark.django_db
def test_the_delivery_email_describes_the_full_chain_file_as_it_is(
    client, tech, account, product, django_capture_on_commit_callbacks, mailoutbox
):
    order = make_order(
        account, product, status=OrderStatus.UNDER_VERIFICATION, paid=True, server_software="nginx"
    )
    certificate = deliver(order)
    with django_capture_on_commit_callbacks(execute=True):
        send_delivery_email(order, certificate)
    [mail] = mailoutbox
    assert "certificate followed by the intermediate certificate, without the root" in mail.body
    client.force_login(tech)
    args = [order.reference, certificate.serial]
    fullchain = client.get(reverse("orders:download", args=[*args, "fullchain"])).content
    chain = x509.load_pem_x509_certificates(fullchain)
    assert len(chain) == 2 and all(cert.subject != cert.issuer for cert in chain)  # no self-signed root
    archive = zipfile.ZipFile(io.BytesIO(client.get(reverse("orders:download", args=[*args, "zip"])).content))
    in_zip = [name for name in archive.namelist() if name.endswith("-fullchain.pem")]
    assert len(x509.load_pem_x509_certificates(archive.read(in_zip[0]))) == 2
