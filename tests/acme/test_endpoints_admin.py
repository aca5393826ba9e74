"""Administration › ACME (AUTO-2): create an endpoint (key shown once, stored encrypted), list,
disable, enable, revoke; refusals: wrong right, other account, OV/EV, an account that cannot pay."""

from __future__ import annotations

import base64

import pytest
from django_scopes import scopes_disabled

from accounts.models import Account, AuditEvent, Right
from acmeserver.models import AcmeEndpoint
from acmeserver.services import eab
from tests import factories
from tests.support.acme import dv_product, holder, make_endpoint
from tests.support.routes import is_reauth_redirect, log_in, log_in_long_ago

PAGE = "/administration/acme/"


@pytest.fixture
def monthly_account(db):
    return factories.make_account("Initech", domain="initech.test", formula=Account.Formula.MONTHLY)


@pytest.fixture
def boss(monthly_account):
    return factories.make_user(monthly_account, "boss", superuser=True)


def post_new(client, account, product, name="Web servers"):
    organisation, admin, tech = holder(account)
    return client.post(
        f"{PAGE}add/",
        {
            "name": name,
            "offer": f"{product.pk}:12",
            "organisation": organisation.public_id,
            "admin_contact": admin.public_id,
            "technical_contact": tech.public_id,
        },
    )


def test_super_user_creates_an_endpoint_whose_key_is_shown_once(client, monthly_account, boss):
    product = dv_product()
    log_in(client, boss)
    response = post_new(client, monthly_account, product)
    assert response.status_code == 302 and response["Location"] == f"{PAGE}new-key/"
    page = client.get(f"{PAGE}new-key/")
    shown = page.context["shown"]
    with scopes_disabled():
        endpoint = AcmeEndpoint.objects.get(account=monthly_account)
    assert shown["key_id"] == endpoint.eab_key_id
    assert shown["directory"].endswith(f"/acme/{endpoint.public_id}/directory")
    assert shown["hmac_key"] in page.content.decode()
    # Stored encrypted, not in clear, and recoverable by the server only.
    raw = base64.urlsafe_b64decode(shown["hmac_key"] + "==")
    assert shown["hmac_key"] not in endpoint.eab_hmac_encrypted
    assert eab.decrypt(endpoint.eab_hmac_encrypted) == raw
    # Shown once: the second visit goes back to the list, without the key.
    again = client.get(f"{PAGE}new-key/", follow=True)
    assert shown["hmac_key"] not in again.content.decode()
    listing = client.get(PAGE).content.decode()
    assert "Web servers" in listing and endpoint.eab_key_id in listing and shown["hmac_key"] not in listing
    assert AuditEvent.objects.filter(action="acme.endpoint_created", account=monthly_account).exists()


def test_an_administrator_with_the_technical_right_may_create_one(client, monthly_account):
    user = factories.make_user(monthly_account, "admintech", rights=[Right.ADMINISTRATIVE, Right.TECHNICAL])
    log_in(client, user)
    assert post_new(client, monthly_account, dv_product()).status_code == 302


def test_an_administrator_without_the_technical_right_sees_the_list_but_creates_none(client, monthly_account):
    """The key orders certificates: handing one out needs the Technical right (issue 13)."""
    user = factories.make_user(monthly_account, "admin", rights=[Right.ADMINISTRATIVE])
    log_in(client, user)
    assert client.get(PAGE).status_code == 200
    response = post_new(client, monthly_account, dv_product())
    assert response.status_code == 200
    assert "needs the Technical right" in response.content.decode()
    assert not AcmeEndpoint.objects.filter(account=monthly_account).exists()


@pytest.mark.parametrize("right", [Right.COMMERCIAL, Right.BILLING, Right.TECHNICAL, Right.APPROVAL])
def test_other_rights_are_refused(client, monthly_account, right):
    user = factories.make_user(monthly_account, "someone", rights=[right])
    log_in(client, user)
    assert client.get(PAGE).status_code == 403
    assert post_new(client, monthly_account, dv_product()).status_code == 403


def test_creating_needs_a_recent_authentication(client, monthly_account, boss):
    log_in_long_ago(client, boss)
    assert is_reauth_redirect(client.get(f"{PAGE}add/"), f"{PAGE}add/")


def test_ov_and_ev_products_are_refused_until_pre_validation_exists(client, monthly_account, boss):
    log_in(client, boss)
    ov = factories.make_product("ssl-ov-acme", validation="OV")
    response = post_new(client, monthly_account, ov)
    assert response.status_code == 200
    assert "pre-validation" in response.content.decode()
    with scopes_disabled():
        assert not AcmeEndpoint.objects.exists()


def test_an_account_without_tokens_or_balance_cannot_create_one(client, account, owner):
    # `account` has the rebate formula and no tokens of the product.
    log_in(client, owner)
    response = post_new(client, account, dv_product())
    assert response.status_code == 200
    assert "tokens" in response.content.decode()
    with scopes_disabled():
        assert not AcmeEndpoint.objects.exists()


def test_another_accounts_organisation_is_refused(client, monthly_account, boss, other_account):
    log_in(client, boss)
    product = dv_product()
    organisation, admin, tech = holder(other_account)
    response = client.post(
        f"{PAGE}add/",
        {
            "name": "x",
            "offer": f"{product.pk}:12",
            "organisation": organisation.public_id,
            "admin_contact": admin.public_id,
            "technical_contact": tech.public_id,
        },
    )
    assert response.status_code == 200
    with scopes_disabled():
        assert not AcmeEndpoint.objects.exists()


def test_disable_enable_revoke(client, monthly_account, boss):
    with scopes_disabled():
        endpoint, _key = make_endpoint(monthly_account, boss, dv_product())
    log_in(client, boss)
    client.post(f"{PAGE}{endpoint.public_id}/disable/")
    endpoint.refresh_from_db()
    assert endpoint.status == "disabled"
    client.post(f"{PAGE}{endpoint.public_id}/enable/")
    endpoint.refresh_from_db()
    assert endpoint.status == "active"
    client.post(f"{PAGE}{endpoint.public_id}/revoke/")
    endpoint.refresh_from_db()
    assert endpoint.status == "revoked"
    client.post(f"{PAGE}{endpoint.public_id}/enable/")
    endpoint.refresh_from_db()
    assert endpoint.status == "revoked"  # for good


def test_another_accounts_endpoint_is_not_found(client, monthly_account, boss, outsider):
    with scopes_disabled():
        endpoint, _key = make_endpoint(monthly_account, boss, dv_product())
    log_in(client, outsider)
    assert client.post(f"{PAGE}{endpoint.public_id}/disable/").status_code == 404
    assert endpoint.public_id not in client.get(PAGE).content.decode()
    endpoint.refresh_from_db()
    assert endpoint.status == "active"


def test_the_log_says_what_happened_to_an_endpoint():
    from django.utils import translation

    from accounts.audit_text import sentence

    with translation.override("en"):
        assert (
            sentence("acme.endpoint_revoked", "Boss", "acmeendpoint", "abc")
            == "Boss revoked ACME endpoint abc"
        )
    with translation.override("fr"):
        assert (
            sentence("acme.endpoint_revoked", "Boss", "acmeendpoint", "abc")
            == "Boss a révoqué le point d'accès ACME abc"
        )
