"""AUTO-6: the OpenAPI schema describes every operation with its problem answers, and the API
reference page (server-rendered, in the portal's layout) is linked from the Documentation page."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from accounts.models import Right
from tests.factories import make_staff, make_user

OPERATIONS = [
    ("get", "/api/v1/products"),
    ("get", "/api/v1/organisations"),
    ("get", "/api/v1/orders"),
    ("post", "/api/v1/orders"),
    ("get", "/api/v1/orders/{reference}"),
    ("post", "/api/v1/orders/{reference}/renew"),
    ("post", "/api/v1/orders/{reference}/reissue"),
    ("post", "/api/v1/orders/{reference}/cancel"),
    ("post", "/api/v1/orders/{reference}/revoke"),
    ("post", "/api/v1/orders/{reference}/approve"),
    ("post", "/api/v1/orders/{reference}/reject"),
    ("post", "/api/v1/orders/{reference}/pay"),
    ("get", "/api/v1/orders/{reference}/payment"),
    ("get", "/api/v1/orders/{reference}/comments"),
    ("post", "/api/v1/orders/{reference}/comments"),
    ("post", "/api/v1/orders/{reference}/certificates/{serial}/revoke"),
    ("post", "/api/v1/orders/{reference}/certificates/{serial}/accept"),
    ("get", "/api/v1/approvals"),
    ("get", "/api/v1/certificates/to-accept"),
    ("get", "/api/v1/orders/{reference}/certificates/{serial}/{fmt}"),
    ("get", "/api/v1/domains"),
    ("get", "/api/v1/invoices"),
    ("get", "/api/v1/invoices/{public_id}/pdf"),
]


@pytest.mark.django_db
def test_schema_describes_every_operation_with_its_problems_and_the_bearer_scheme(client):
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    for method, path in OPERATIONS:
        operation = schema["paths"][path][method]
        assert operation["security"] == [{"ApiToken": []}]
        for code in ("401", "403", "404"):
            assert list(operation["responses"][code]["content"]) == ["application/problem+json"], (path, code)
        ok = next(answer for code, answer in operation["responses"].items() if code.startswith("2"))
        assert "application/problem+json" not in ok.get("content", {})
    body = schema["paths"]["/api/v1/orders"]["post"]["requestBody"]["content"]
    assert list(body) == ["application/json"]
    assert "Idempotency-Key" in [p["name"] for p in schema["paths"]["/api/v1/orders"]["post"]["parameters"]]


@pytest.mark.django_db
def test_reference_page_lists_every_operation_and_is_linked_from_documentation(client, account):
    client.force_login(make_user(account, "reader", rights=[Right.BILLING]))
    documentation = client.get("/documentation/").content.decode()
    assert 'href="/api/v1/docs/"' in documentation and 'href="/api/v1/schema/"' in documentation
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    for method, path in OPERATIONS:
        assert f"{method.upper()} {path}" in page
    assert "Idempotency-Key" in page and "application/problem+json" in page
    assert re.findall(r"<script(?![^>]*\bsrc=)", page) == []  # no inline script (CSP), nothing from a CDN
    assert "cdn" not in page.lower()


@pytest.mark.django_db
def test_reference_page_is_for_account_users(client):
    assert Client().get("/api/v1/docs/").status_code == 302  # to the login page
    staff_client = Client()
    staff_client.force_login(make_staff("docs-staff"))
    assert staff_client.get("/api/v1/docs/").status_code == 403


@pytest.mark.django_db
def test_reference_page_speaks_french(client, account):
    user = make_user(account, "lecteur", rights=[Right.TECHNICAL])
    user.language = "fr"
    user.save(update_fields=["language"])
    client.force_login(user)
    page = client.get("/api/v1/docs/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Référence de l’API" in page
