"""POST /api/v1/domains (AUTO-3): register a domain ahead of an order through the page's form and
service; GET lists it with the orders' domains."""

from __future__ import annotations

import json

import pytest

from accounts.models import AuditEvent, Right
from orders.models import Domain
from tests.support.api import api_client, api_token, assert_problem

API = "/api/v1"
pytestmark = pytest.mark.django_db


def post(client, body):
    return client.post(f"{API}/domains", json.dumps(body), content_type="application/json")


def test_registering_a_domain_then_listing_it(account, owner):
    client = api_client(api_token(account, owner, Right.TECHNICAL))
    response = post(client, {"name": "Bücher.example.org"})
    assert response.status_code == 201, response.content
    assert response.json()["domain"] == "xn--bcher-kva.example.org"
    assert Domain.objects.get(account=account).registered_at is not None
    assert AuditEvent.objects.filter(action="domain.registered").exists()
    rows = client.get(f"{API}/domains").json()["results"]
    assert [r["domain"] for r in rows] == ["xn--bcher-kva.example.org"] and rows[0]["validated_at"] is None


def test_refusals_are_problems(account, owner, outsider):
    client = api_client(api_token(account, owner, Right.TECHNICAL))
    assert post(client, {"name": "dup.example.org"}).status_code == 201
    assert "already" in assert_problem(post(client, {"name": "DUP.example.org"}), 409)["detail"]
    problem = assert_problem(post(client, {"name": "*.example.org"}), 400)
    assert problem["errors"][0]["pointer"] == "#/name"
    assert_problem(post(client, {}), 400)
    reader = api_client(api_token(account, owner, Right.COMMERCIAL, name="Reader"))
    assert_problem(post(reader, {"name": "other.example.org"}), 403)
    # another account registers the same name for itself, and never sees ours
    theirs = api_client(api_token(outsider.account, outsider, Right.TECHNICAL))
    assert post(theirs, {"name": "dup.example.org"}).status_code == 201
    assert [r["domain"] for r in theirs.get(f"{API}/domains").json()["results"]] == ["dup.example.org"]
    assert Domain.objects.filter(name="dup.example.org").count() == 2
