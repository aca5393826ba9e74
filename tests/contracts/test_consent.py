"""CON-2: data processing terms per brand, the account's decisions (version, who, when, from where,
withdrawable), ordering refused until the current version is accepted, the export and the audit."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from accounts.models import AuditEvent, Right
from contracts.models import ConsentDecision, ConsentTerms
from contracts.services.consent import brand_accepted, decide
from orders.services.ordering import OrderError, submit_order
from tests import factories
from tests.support.contracts import publish_terms
from tests.support.ordering import server_product
from tests.support.orders import contacts_of, form_data

pytestmark = pytest.mark.django_db
D = ConsentDecision.Decision


@pytest.fixture
def product(db):
    return server_product("gs-ov", brand_code="globalsign")


@pytest.fixture
def terms(product):
    return publish_terms(product.brand)


def _accept(client, brand, version, action="consent_accept"):
    return client.post(reverse(f"contracts:{action}", args=[brand.code]), {"version": version})


def test_brand_without_terms_asks_nothing(account, product):
    assert brand_accepted(account, product.brand)
    draft = ConsentTerms.objects.create(
        brand=product.brand,
        **{
            f"{p}_{lang}": "x"
            for p in ("data_sent", "use", "recipients", "location")
            for lang in ("en", "fr")
        },
    )
    assert draft.published_at is None and brand_accepted(account, product.brand)  # a draft asks nothing


def test_unaccepted_brand_shows_why_on_the_new_order_page(client, owner, tech, account, product, terms):
    client.force_login(owner)
    page = client.get(reverse("operations:new")).content.decode()
    assert 'data-refusal="consent"' in page and "data processing terms of GLOBALSIGN (version 1)" in page
    assert reverse("contracts:consent_brand", args=["globalsign"]) in page
    assert f'href="/operations/new/{product.code}/' not in page
    client.force_login(tech)  # cannot open the consent page: told whom to ask, no dead link
    page = client.get(reverse("operations:new")).content.decode()
    assert (
        'data-refusal="consent"' in page
        and reverse("contracts:consent_brand", args=["globalsign"]) not in page
    )


def test_order_form_and_service_refuse_an_unaccepted_brand(client, owner, account, product, terms):
    client.force_login(owner)
    page = client.get(reverse("operations:order", args=[product.code])).content.decode()
    assert (
        'data-refusal="consent"' in page and reverse("contracts:consent_brand", args=["globalsign"]) in page
    )
    response = client.post(reverse("operations:order", args=[product.code]), form_data(account))
    assert response.status_code == 200 and "data processing terms" in response.content.decode()
    holder, admin, tech = contacts_of(account)
    with pytest.raises(OrderError, match="data processing terms"):
        submit_order(
            account=account,
            user=owner,
            product=product,
            period_months=12,
            organisation=holder,
            admin_contact=admin,
            technical_contact=tech,
            common_name="www.acme.test",
            sans=[],
            csr=form_data(account)["csr"],
        )


def test_accepting_records_version_who_when_where_and_unblocks(client, owner, account, product, terms):
    client.force_login(owner)
    page = client.get(reverse("contracts:consent_brand", args=["globalsign"])).content.decode()
    assert "data_sent en v1" in page and "location en v1" in page
    response = _accept(client, product.brand, terms.version)
    assert response.status_code == 302
    decision = ConsentDecision.objects.get(account=account)
    assert (decision.decision, decision.terms, decision.user, decision.ip_address) == (
        D.ACCEPTED,
        terms,
        owner,
        "127.0.0.1",
    )
    assert brand_accepted(account, product.brand)
    event = AuditEvent.objects.get(action="consent.accepted")
    assert event.details == {"brand": "globalsign", "version": 1} and event.account == account
    assert (
        client.post(reverse("operations:order", args=[product.code]), form_data(account)).status_code == 302
    )
    _accept(client, product.brand, terms.version)  # again: nothing new
    assert ConsentDecision.objects.count() == 1


def test_terms_are_shown_in_the_users_language(client, owner, product, terms):
    owner.language = "fr"
    owner.save()
    client.force_login(owner)
    client.cookies["django_language"] = "fr"
    page = client.get(
        reverse("contracts:consent_brand", args=["globalsign"]), HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert "use fr v1" in page


def test_decline_then_withdraw_after_accepting(client, owner, account, product, terms):
    client.force_login(owner)
    _accept(client, product.brand, terms.version, "consent_decline")
    assert not brand_accepted(account, product.brand)
    assert (
        client.post(reverse("contracts:consent_withdraw", args=["globalsign"]), {"version": 1}).status_code
        == 302
    )  # nothing to withdraw: refused with a message
    assert ConsentDecision.objects.filter(decision=D.WITHDRAWN).count() == 0
    _accept(client, product.brand, terms.version)
    _accept(client, product.brand, terms.version, "consent_withdraw")
    assert not brand_accepted(account, product.brand)
    assert list(ConsentDecision.objects.values_list("decision", flat=True)) == [
        D.WITHDRAWN,
        D.ACCEPTED,
        D.DECLINED,
    ]
    history = client.get(reverse("contracts:consent_brand", args=["globalsign"])).content.decode()
    assert history.count("127.0.0.1") == 3


def test_a_new_version_asks_again(client, owner, account, product, terms):
    decide(account, product.brand, D.ACCEPTED, user=owner)
    assert brand_accepted(account, product.brand)
    new = publish_terms(product.brand, "v2")
    assert new.version == 2 and not brand_accepted(account, product.brand)
    client.force_login(owner)
    page = client.get(reverse("contracts:consent")).content.decode()
    assert "New version to read" in page
    _accept(client, product.brand, 1)  # the old version read: refused
    assert not brand_accepted(account, product.brand)
    _accept(client, product.brand, 2)
    assert brand_accepted(account, product.brand)


def test_decisions_of_another_account_change_nothing_here(
    client, owner, outsider, account, other_account, product, terms
):
    decide(other_account, product.brand, D.ACCEPTED, user=outsider)
    assert not brand_accepted(account, product.brand)
    client.force_login(owner)
    page = client.get(reverse("contracts:consent_brand", args=["globalsign"])).content.decode()
    assert outsider.username not in page and "No decision yet" in page


def test_unknown_or_termless_brand_is_not_found(client, owner, product):
    client.force_login(owner)
    assert client.get(reverse("contracts:consent_brand", args=["globalsign"])).status_code == 404
    assert client.get(reverse("contracts:consent_brand", args=["nope"])).status_code == 404


def test_decisions_need_the_administrative_right(client, account, product, terms):
    tech = factories.make_user(account, "t", rights=[Right.TECHNICAL, Right.APPROVAL])
    client.force_login(tech)
    assert _accept(client, product.brand, 1).status_code == 403
    admin = factories.make_user(account, "a", rights=[Right.ADMINISTRATIVE])
    client.force_login(admin)
    assert _accept(client, product.brand, 1).status_code == 302
    assert client.get(reverse("contracts:consent_accept", args=["globalsign"])).status_code == 405


def test_decisions_are_in_the_personal_data_export(client, owner, account, product, terms):
    decide(account, product.brand, D.ACCEPTED, user=owner)
    client.force_login(owner)
    data = json.loads(client.get(reverse("me:personal_data_export")).content)
    (row,) = data["data_processing_decisions"]
    assert row["brand"] == "GLOBALSIGN" and row["version"] == 1 and row["decision"] == "accepted"


def test_staff_publish_a_draft_and_published_terms_are_read_only(client, staff, product):
    draft = ConsentTerms.objects.create(
        brand=product.brand,
        **{
            f"{p}_{lang}": "x"
            for p in ("data_sent", "use", "recipients", "location")
            for lang in ("en", "fr")
        },
    )
    client.force_login(staff)
    response = client.post(
        reverse("admin:contracts_consentterms_changelist"),
        {"action": "publish", "_selected_action": [draft.pk]},
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.published_at is not None
    assert AuditEvent.objects.filter(action="consent.terms_published").exists()
    page = client.get(reverse("admin:contracts_consentterms_change", args=[draft.pk])).content.decode()
    assert 'name="use_en"' not in page
