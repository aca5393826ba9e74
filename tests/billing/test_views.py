"""Customer download of a document's PDF (ACCT-1): billing right, own account only."""

from decimal import Decimal

import pytest
from django.urls import include, path, reverse

from billing.services.documents import LineInput, issue_invoice
from portal.urls import urlpatterns as portal_urlpatterns

# The lead mounts billing at /accounting/ in portal/urls.py; this module does it for its tests.
urlpatterns = [*portal_urlpatterns, path("accounting/", include("billing.urls"))]
pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.billing.test_views")]

LINES = [LineInput("SSL OV – 1 year", 1, Decimal("120.00"))]


def url(document) -> str:
    return reverse("billing:document_pdf", args=[document.public_id])


def test_a_billing_user_downloads_the_pdf(client, billing, account):
    invoice = issue_invoice(account, LINES)
    client.force_login(billing)
    response = client.get(url(invoice))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content == bytes(invoice.pdf)
    assert url(invoice) == f"/accounting/documents/{invoice.public_id}/pdf/"


def test_it_refuses_a_user_without_the_billing_right(client, tech, account):
    invoice = issue_invoice(account, LINES)
    client.force_login(tech)
    assert client.get(url(invoice)).status_code == 403


def test_it_refuses_other_account(client, outsider, account):
    invoice = issue_invoice(account, LINES)
    client.force_login(outsider)
    assert client.get(url(invoice)).status_code == 404


def test_unknown_document_is_404(client, billing):
    client.force_login(billing)
    assert client.get(reverse("billing:document_pdf", args=["0123456789abcdef"])).status_code == 404


def test_anonymous_is_sent_to_login(client, account):
    invoice = issue_invoice(account, LINES)
    response = client.get(url(invoice))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
