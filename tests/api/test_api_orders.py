"""AUTO-6: the REST API's endpoints, each through the services the pages use: happy paths, rights
(ADM-2), tenant isolation (404 on every route for another account's object), bad payloads
(problem documents, never a 500), idempotency keys and audit events."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import ApiToken, AuditEvent, Right
from billing.services.documents import LineInput, issue_invoice
from orders.models import Certificate, DcvCheck, Order, OrderStatus
from orders.services import DOWNLOAD_FORMATS
from tests.factories import make_csr, make_key, make_product
from tests.support.api import api_client, api_token, assert_problem
from tests.support.contracts import make_contract, publish_terms
from tests.support.delivered import deliver
from tests.support.orders import contacts_of, make_order

S = OrderStatus
API = "/api/v1"


@pytest.fixture
def robot(account, owner):
    """An API user of our account with every right."""
    return api_client(api_token(account, owner))


@pytest.fixture
def delivered(account, product):
    order = make_order(account, product, status=S.UNDER_VERIFICATION, paid=True)
    certificate = deliver(order)
    return order, certificate


@pytest.fixture
def foreign(other_account, outsider, product):
    """Another account's delivered order, certificate and invoice."""
    order = make_order(
        other_account, product, status=S.UNDER_VERIFICATION, paid=True, common_name="www.globex.test", sans=[]
    )
    certificate = deliver(order)
    invoice = issue_invoice(other_account, [LineInput("SSL", Decimal("1"), Decimal("100.00"))], by=outsider)
    return order, certificate, invoice


def order_body(account, **overrides) -> dict:
    holder, admin, tech = contacts_of(account)
    body = {
        "product": "ssl-ov",
        "months": 12,
        "organisation": holder.public_id,
        "admin_contact": admin.public_id,
        "technical_contact": tech.public_id,
        "common_name": "www.acme.test",
        "sans": ["acme.test"],
        "csr": make_csr("www.acme.test", ["acme.test"], key=make_key("p256")),
        "dcv_method": "dns",
        "server_software": "nginx",
        "customer_reference": "PO-API-1",
    }
    body.update(overrides)
    return body


def post(client, url, body=None, **headers):
    return client.post(url, body or {}, content_type="application/json", **headers)


# Catalogue -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_products_list_the_catalogue_with_the_accounts_prices(account, owner, product):
    response = api_client(api_token(account, owner, Right.COMMERCIAL)).get(f"{API}/products")
    assert response.status_code == 200
    row = next(p for p in response.json() if p["code"] == "ssl-ov")
    assert row["orderable"] is True and row["refusal"] == ""
    assert {"months": 12, "public_price": "120.00", "price": "120.00"} in row["periods"]


@pytest.mark.django_db
def test_organisations_list_the_accounts_holders_and_contacts(account, owner, other_account):
    response = api_client(api_token(account, owner, Right.TECHNICAL)).get(f"{API}/organisations")
    assert response.status_code == 200
    holder, admin, _tech = contacts_of(account)
    names = [o["name"] for o in response.json()]
    assert names == [holder.name]  # not Globex's
    assert admin.public_id in [c["id"] for c in response.json()[0]["contacts"]]


@pytest.mark.django_db
def test_organisations_need_technical_or_administrative_right(account, owner):
    problem = assert_problem(
        api_client(api_token(account, owner, Right.BILLING)).get(f"{API}/organisations"), 403
    )
    assert problem["type"].startswith("tag:")


# Orders: list, detail, downloads ---------------------------------------------------------------------


@pytest.mark.django_db
def test_order_list_filters_searches_and_pages_as_the_order_list(account, owner, product, foreign):
    make_order(account, product, common_name="www.acme.test")
    make_order(account, product, common_name="shop.acme.test", status=S.CANCELLED)
    client = api_client(api_token(account, owner, Right.COMMERCIAL))
    everything = client.get(f"{API}/orders").json()
    assert everything["count"] == 2  # Globex's order does not show
    assert {o["common_name"] for o in everything["results"]} == {"www.acme.test", "shop.acme.test"}
    found = client.get(f"{API}/orders", {"q": "shop", "field": "names"}).json()
    assert [o["common_name"] for o in found["results"]] == ["shop.acme.test"]
    closed = client.get(f"{API}/orders", {"group": "closed"}).json()
    assert [o["status"] for o in closed["results"]] == [S.CANCELLED]
    by_status = client.get(f"{API}/orders", {"status": S.AWAITING_PAYMENT}).json()
    assert [o["common_name"] for o in by_status["results"]] == ["www.acme.test"]
    page = client.get(f"{API}/orders", {"per_page": 1}).json()
    assert len(page["results"]) == 1 and page["next"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "pointer"),
    [
        ({"status": "nonsense"}, "#/status"),
        ({"date_from": "not-a-date"}, "#/date_from"),
        ({"group": "x"}, "#/group"),
    ],
)
def test_order_list_refuses_bad_filters_with_a_problem(account, owner, query, pointer):
    problem = assert_problem(api_client(api_token(account, owner)).get(f"{API}/orders", query), 400)
    assert pointer in [e["pointer"] for e in problem["errors"]]


@pytest.mark.django_db
def test_order_detail_shows_status_certificates_and_actions(account, owner, delivered):
    order, certificate = delivered
    response = api_client(api_token(account, owner, Right.COMMERCIAL)).get(f"{API}/orders/{order.reference}")
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == S.DELIVERED_PAID and data["reference"] == order.reference
    assert [c["serial"] for c in data["certificates"]] == [certificate.serial]
    assert {d["format"] for d in data["certificates"][0]["downloads"]} == set(DOWNLOAD_FORMATS)
    # A commercial user sees the order but may take no action (as on the status page).
    assert not any(v for k, v in data["actions"].items() if not k.endswith("refusal"))


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", list(DOWNLOAD_FORMATS))
def test_certificate_downloads_in_every_format_of_the_status_page(account, owner, delivered, fmt):
    order, certificate = delivered
    client = api_client(api_token(account, owner, Right.TECHNICAL))
    response = client.get(f"{API}/orders/{order.reference}/certificates/{certificate.serial}/{fmt}")
    assert response.status_code == 200
    assert response["Content-Type"] == DOWNLOAD_FORMATS[fmt]["content_type"]
    assert "attachment" in response["Content-Disposition"]
    if fmt == "cer":
        assert response.content.decode().strip() == certificate.pem.strip()


# New order, idempotency ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_new_order_is_placed_through_the_order_forms_rules_and_audited(account, owner, product):
    client = api_client(api_token(account, owner, Right.TECHNICAL))
    response = post(client, f"{API}/orders", order_body(account))
    assert response.status_code == 201, response.content.decode()
    data = response.json()
    order = Order.objects.get(reference=data["reference"])
    assert response["Location"] == f"{API}/orders/{order.reference}"
    assert order.account == account and order.created_by.is_api_user
    assert order.customer_reference == "PO-API-1" and order.sans == ["acme.test"]
    assert AuditEvent.objects.filter(action="order.submitted", object_id=order.reference).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        ({"csr": "-----BEGIN CERTIFICATE REQUEST-----\nnope\n-----END CERTIFICATE REQUEST-----"}, "#/csr"),
        ({"product": "no-such-product"}, "#/product"),
        ({"months": 7}, "#/months"),
        ({"organisation": "ffffffffffff"}, "#/organisation"),
        ({"sans": ["not a name"]}, "#/sans"),
        ({"months": "twelve"}, "#/months"),
        ({"payment": {"method": "tokens"}}, "#/payment/method"),
    ],
)
def test_new_order_refuses_bad_fields_with_their_pointer(account, owner, product, change, pointer):
    client = api_client(api_token(account, owner, Right.TECHNICAL))
    problem = assert_problem(post(client, f"{API}/orders", order_body(account, **change)), 400)
    assert pointer in [e["pointer"] for e in problem["errors"]], problem
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_new_order_refuses_other_accounts_contacts(account, owner, other_account, product):
    foreign_holder, foreign_admin, _ = contacts_of(other_account)
    client = api_client(api_token(account, owner, Right.TECHNICAL))
    body = order_body(account, organisation=foreign_holder.public_id, admin_contact=foreign_admin.public_id)
    problem = assert_problem(post(client, f"{API}/orders", body), 400)
    assert {"#/organisation", "#/admin_contact"} <= {e["pointer"] for e in problem["errors"]}


@pytest.mark.django_db
def test_contract_and_consent_rules_apply_as_on_the_order_form(account, owner, product):
    """CON-1: a product outside the contract in force is not listed and cannot be ordered; CON-2:
    a brand whose terms are not accepted is listed with the reason and refused."""
    client = api_client(api_token(account, owner))
    publish_terms(product.brand)
    row = next(p for p in client.get(f"{API}/products").json() if p["code"] == "ssl-ov")
    assert row["orderable"] is False and row["refusal"]
    problem = assert_problem(post(client, f"{API}/orders", order_body(account)), 400)
    assert row["refusal"] in [e["detail"] for e in problem["errors"] if e["pointer"] == "#/"]
    other = make_product("other-dv", price=Decimal("50.00"))
    make_contract(account, products=[other])
    assert "ssl-ov" not in [p["code"] for p in client.get(f"{API}/products").json()]
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_in_approval_mode_an_api_users_order_waits_for_an_approver(account, owner, product):
    account.approval_mode = True
    account.save(update_fields=["approval_mode"])
    client = api_client(api_token(account, owner, Right.TECHNICAL))
    response = post(client, f"{API}/orders", order_body(account))
    assert response.status_code == 201 and response.json()["status"] == S.AWAITING_APPROVAL


@pytest.mark.django_db
def test_bodies_other_than_json_are_refused(account, owner, product):
    client = api_client(api_token(account, owner, Right.TECHNICAL))
    assert_problem(
        client.post(f"{API}/orders", "months=12", content_type="application/x-www-form-urlencoded"), 415
    )
    assert_problem(client.post(f"{API}/orders", "{not json", content_type="application/json"), 400)
    assert_problem(client.post(f"{API}/orders", "[1, 2]", content_type="application/json"), 400)


@pytest.mark.django_db
def test_same_idempotency_key_and_body_answers_the_first_order_again(account, owner, product):
    client = api_client(api_token(account, owner, Right.TECHNICAL))
    body = order_body(account)
    first = post(client, f"{API}/orders", body, HTTP_IDEMPOTENCY_KEY="order-42")
    again = post(client, f"{API}/orders", body, HTTP_IDEMPOTENCY_KEY="order-42")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert again["Location"] == first["Location"]
    assert Order.objects.count() == 1
    # Another key is another order.
    assert post(client, f"{API}/orders", body, HTTP_IDEMPOTENCY_KEY="order-43").status_code == 201
    assert Order.objects.count() == 2


@pytest.mark.django_db
def test_same_idempotency_key_with_another_body_is_refused(account, owner, product):
    client = api_client(api_token(account, owner, Right.TECHNICAL))
    assert post(client, f"{API}/orders", order_body(account), HTTP_IDEMPOTENCY_KEY="k1").status_code == 201
    other = order_body(account, customer_reference="PO-OTHER")
    problem = assert_problem(post(client, f"{API}/orders", other, HTTP_IDEMPOTENCY_KEY="k1"), 422)
    assert problem["type"].endswith("idempotency-key-reused")
    assert Order.objects.count() == 1


@pytest.mark.django_db
def test_idempotency_keys_are_per_account(account, owner, other_account, outsider, product):
    ours = api_client(api_token(account, owner, Right.TECHNICAL))
    theirs = api_client(api_token(other_account, outsider, Right.TECHNICAL))
    assert post(ours, f"{API}/orders", order_body(account), HTTP_IDEMPOTENCY_KEY="same").status_code == 201
    response = post(theirs, f"{API}/orders", order_body(other_account), HTTP_IDEMPOTENCY_KEY="same")
    assert response.status_code == 201
    assert Order.objects.filter(account=other_account).count() == 1


@pytest.mark.django_db
def test_unusable_idempotency_key_is_refused(account, owner, product):
    client = api_client(api_token(account, owner, Right.TECHNICAL))
    assert_problem(post(client, f"{API}/orders", order_body(account), HTTP_IDEMPOTENCY_KEY="with space"), 400)
    assert not Order.objects.exists()


# Actions ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_cancel_an_order_in_progress_and_refuse_a_delivered_one(account, owner, product, delivered):
    order = make_order(account, product)
    client = api_client(api_token(account, owner, Right.TECHNICAL))
    assert_problem(post(client, f"{API}/orders/{order.reference}/cancel", {}), 400)  # a reason is needed
    response = post(client, f"{API}/orders/{order.reference}/cancel", {"reason": "Ordered twice"})
    assert response.status_code == 200 and response.json()["status"] == S.CANCELLED
    assert AuditEvent.objects.filter(action="order.cancelled", object_id=order.reference).exists()
    problem = assert_problem(
        post(client, f"{API}/orders/{delivered[0].reference}/cancel", {"reason": "x"}), 409
    )
    assert problem["type"].endswith("not-cancellable")


@pytest.mark.django_db
def test_revoke_a_certificate_then_refuse_a_second_time(account, owner, delivered):
    order, certificate = delivered
    client = api_client(api_token(account, owner, Right.TECHNICAL))
    url = f"{API}/orders/{order.reference}/certificates/{certificate.serial}/revoke"
    assert_problem(post(client, url, {"reason": "because"}), 400)
    response = post(client, url, {"reason": "key_compromise"})
    assert response.status_code == 200
    certificate.refresh_from_db()
    assert certificate.state == Certificate.State.REVOKED
    assert AuditEvent.objects.filter(action="certificate.revoked").count() == 1
    assert_problem(post(client, url, {"reason": "key_compromise"}), 409)


@pytest.mark.django_db
def test_revoke_all_revokes_every_valid_certificate(account, owner, delivered):
    order, certificate = delivered
    client = api_client(api_token(account, owner, Right.TECHNICAL))
    response = post(client, f"{API}/orders/{order.reference}/revoke", {"reason": "superseded"})
    assert response.status_code == 200
    assert [c["state"] for c in response.json()["certificates"]] == [Certificate.State.REVOKED]
    assert_problem(post(client, f"{API}/orders/{order.reference}/revoke", {"reason": "superseded"}), 409)


@pytest.mark.django_db
def test_reissue_issues_a_new_certificate_on_the_same_order(account, owner, delivered):
    order, certificate = delivered
    client = api_client(api_token(account, owner, Right.TECHNICAL))
    csr = make_csr(order.common_name, order.sans, key=make_key("p256"))
    response = post(client, f"{API}/orders/{order.reference}/reissue", {"reason": "lost", "csr": csr})
    assert response.status_code == 201, response.content.decode()
    assert len(response.json()["certificates"]) == 2
    assert AuditEvent.objects.filter(action="certificate.reissued", object_id=order.reference).exists()
    problem = assert_problem(
        post(client, f"{API}/orders/{order.reference}/reissue", {"reason": "lost", "csr": "garbage"}), 400
    )
    assert "#/csr" in [e["pointer"] for e in problem["errors"]]


@pytest.mark.django_db
def test_renew_places_the_identical_order_inside_the_window(account, owner, product):
    order = make_order(account, product, status=S.UNDER_VERIFICATION, paid=True)
    deliver(order, now=timezone.now() - timedelta(days=320))
    client = api_client(api_token(account, owner, Right.TECHNICAL))
    response = post(client, f"{API}/orders/{order.reference}/renew", {}, HTTP_IDEMPOTENCY_KEY="renew-1")
    assert response.status_code == 201, response.content.decode()
    renewal = Order.objects.get(reference=response.json()["reference"])
    assert renewal.source_order == order and renewal.origin == "renewal"
    assert renewal.common_name == order.common_name and renewal.sans == order.sans
    again = post(client, f"{API}/orders/{order.reference}/renew", {}, HTTP_IDEMPOTENCY_KEY="renew-1")
    assert again.json()["reference"] == renewal.reference
    # Renewed already: a second renewal is refused with the status page's reason.
    problem = assert_problem(post(client, f"{API}/orders/{order.reference}/renew", {}), 409)
    assert renewal.reference in problem["detail"]


@pytest.mark.django_db
def test_renew_outside_the_window_is_refused_with_the_reason(account, owner, delivered):
    client = api_client(api_token(account, owner, Right.TECHNICAL))
    problem = assert_problem(post(client, f"{API}/orders/{delivered[0].reference}/renew", {}), 409)
    assert problem["type"].endswith("not-renewable") and "90 days" in problem["detail"]


# Invoices --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_invoices_list_and_pdf(account, owner, foreign):
    invoice = issue_invoice(account, [LineInput("SSL", Decimal("1"), Decimal("100.00"))], by=owner)
    client = api_client(api_token(account, owner, Right.BILLING))
    rows = client.get(f"{API}/invoices").json()["results"]
    assert [r["number"] for r in rows] == [invoice.display_number]  # not Globex's
    assert rows[0]["total_excl_vat"] == "100.00"
    pdf = client.get(rows[0]["pdf_url"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert_problem(client.get(f"{API}/invoices", {"date_from": "2026-12-31", "date_to": "2026-01-01"}), 400)


# Domains ---------------------------------------------------------------------------------------------


def dcv_check(order, domain, *, validated_days_ago=None, method="dns"):
    now = timezone.now()
    return DcvCheck.objects.create(
        account=order.account,
        order=order,
        domain=domain,
        method=method,
        token="t" * 32,
        expires_at=now + timedelta(days=30),
        validated_at=now - timedelta(days=validated_days_ago) if validated_days_ago is not None else None,
    )


@pytest.mark.django_db
def test_domains_list_each_domain_once_with_its_latest_validation(account, owner, product, foreign):
    first = make_order(account, product)
    second = make_order(account, product)
    dcv_check(first, "acme.test", validated_days_ago=30)
    dcv_check(second, "acme.test", validated_days_ago=2, method="http")
    dcv_check(second, "shop.acme.test")  # never validated
    dcv_check(foreign[0], "globex.test", validated_days_ago=1)
    client = api_client(api_token(account, owner, Right.COMMERCIAL))
    rows = client.get(f"{API}/domains").json()["results"]
    assert [r["domain"] for r in rows] == ["acme.test", "shop.acme.test"]  # not Globex's
    assert rows[0]["method"] == "http" and rows[0]["order"] == second.reference and rows[0]["reusable"]
    assert rows[1]["validated_at"] is None and rows[1]["reusable"] is False
    assert [r["domain"] for r in client.get(f"{API}/domains", {"q": "shop"}).json()["results"]] == [
        "shop.acme.test"
    ]


# Refusals on every route -----------------------------------------------------------------------------


def routes(order: Order, certificate: Certificate, invoice) -> list[tuple[str, str, tuple[Right, ...]]]:
    """Every route with an object: method, URL, the rights that open it."""
    o, s = order.reference, certificate.serial
    read = (Right.TECHNICAL, Right.COMMERCIAL)
    status_page = (*read, Right.APPROVAL)  # approvers read what they approve
    found = [
        ("get", f"{API}/orders/{o}", status_page),
        ("post", f"{API}/orders/{o}/renew", (Right.TECHNICAL,)),
        ("post", f"{API}/orders/{o}/reissue", (Right.TECHNICAL,)),
        ("post", f"{API}/orders/{o}/cancel", (Right.TECHNICAL,)),
        ("post", f"{API}/orders/{o}/revoke", (Right.TECHNICAL,)),
        ("post", f"{API}/orders/{o}/certificates/{s}/revoke", (Right.TECHNICAL,)),
        ("post", f"{API}/orders/{o}/certificates/{s}/accept", (Right.TECHNICAL,)),
        ("post", f"{API}/orders/{o}/approve", (Right.APPROVAL,)),
        ("post", f"{API}/orders/{o}/reject", (Right.APPROVAL,)),
        ("post", f"{API}/orders/{o}/pay", (Right.TECHNICAL, Right.BILLING)),
        ("get", f"{API}/orders/{o}/payment", (Right.TECHNICAL, Right.BILLING)),
        ("get", f"{API}/orders/{o}/comments", status_page),
        ("post", f"{API}/orders/{o}/comments", (Right.TECHNICAL,)),
        ("get", f"{API}/invoices/{invoice.public_id}/pdf", (Right.BILLING,)),
    ]
    found += [("get", f"{API}/orders/{o}/certificates/{s}/{fmt}", read) for fmt in DOWNLOAD_FORMATS]
    return found


# The routes without an object, with the rights that open them.
LIST_ROUTES = [
    ("get", f"{API}/orders", (Right.TECHNICAL, Right.COMMERCIAL)),
    ("post", f"{API}/orders", (Right.TECHNICAL,)),
    ("get", f"{API}/organisations", (Right.TECHNICAL, Right.ADMINISTRATIVE)),
    ("post", f"{API}/organisations", (Right.TECHNICAL, Right.ADMINISTRATIVE)),
    ("get", f"{API}/contacts", (Right.TECHNICAL, Right.ADMINISTRATIVE)),
    ("post", f"{API}/contacts", (Right.TECHNICAL, Right.ADMINISTRATIVE)),
    ("get", f"{API}/invoices", (Right.BILLING,)),
    ("get", f"{API}/domains", (Right.TECHNICAL, Right.COMMERCIAL)),
    ("post", f"{API}/domains", (Right.TECHNICAL,)),
    ("get", f"{API}/approvals", (Right.APPROVAL,)),
    ("get", f"{API}/certificates/to-accept", (Right.TECHNICAL, Right.COMMERCIAL)),
]
# Open to every API user of the account: who am I, the catalogue, the schema and its page.
OPEN_ROUTES = {"me", "products", "schema", "docs"}


@pytest.mark.django_db
def test_the_refusal_tests_cover_every_route_of_the_api(account, owner, delivered):
    """A new route must join `routes` or LIST_ROUTES: the 404 and right tests then cover it."""
    from django.urls import URLPattern, resolve

    from api.urls import urlpatterns

    order, certificate = delivered
    invoice = issue_invoice(account, [LineInput("SSL", Decimal("1"), Decimal("100.00"))], by=owner)
    named = {p.name for p in urlpatterns if isinstance(p, URLPattern) and p.name}
    covered = {resolve(url).url_name for _m, url, _r in routes(order, certificate, invoice) + LIST_ROUTES}
    assert named - OPEN_ROUTES == covered


def call(client, method, url):
    return client.get(url) if method == "get" else post(client, url, {"reason": "unspecified"})


@pytest.mark.django_db
def test_another_accounts_objects_answer_404_on_every_route(account, owner, foreign):
    client = api_client(api_token(account, owner))  # every right
    for method, url, _rights in routes(*foreign):
        problem = assert_problem(call(client, method, url), 404)
        assert "not-found" in problem["type"], url
    order, certificate, _invoice = foreign
    certificate.refresh_from_db()
    assert certificate.state == Certificate.State.VALID
    assert Order.objects.get(pk=order.pk).status == S.DELIVERED_PAID


@pytest.mark.django_db
def test_each_route_refuses_an_api_user_without_its_right(account, owner, delivered):
    order, certificate = delivered
    invoice = issue_invoice(account, [LineInput("SSL", Decimal("1"), Decimal("100.00"))], by=owner)
    tokens = {right: api_token(account, owner, right, name=f"only {right}") for right in Right}
    object_routes = routes(order, certificate, invoice)
    for method, url, rights in object_routes + LIST_ROUTES:
        for right in set(Right) - set(rights):
            assert_problem(call(api_client(tokens[right]), method, url), 403)
    certificate.refresh_from_db()
    assert certificate.state == Certificate.State.VALID


@pytest.mark.django_db
def test_missing_or_expired_token_answers_401_problem_everywhere(account, owner, delivered):
    order, certificate = delivered
    raw = api_token(account, owner)
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    urls = [f"{API}/products", f"{API}/orders", f"{API}/orders/{order.reference}", f"{API}/invoices"]
    for url in urls:
        assert_problem(Client().get(url), 401)
        problem = assert_problem(api_client(raw).get(url), 401)
        assert problem["type"].endswith("token-expired")


@pytest.mark.django_db
def test_unknown_api_paths_and_methods_answer_problems(account, owner):
    client = api_client(api_token(account, owner))
    assert_problem(client.get(f"{API}/nothing/here"), 404)
    assert_problem(client.get(f"{API}/orders/bad%2Fref"), 404)
    assert_problem(client.delete(f"{API}/orders"), 405)
    assert_problem(client.get(f"{API}/orders", HTTP_ACCEPT="text/html"), 406)
    assert_problem(client.get(f"{API}/orders", {"page": 999}), 404)
