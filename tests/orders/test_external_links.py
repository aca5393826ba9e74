"""External order links (ORD-5): the account's list, create, disable, re-enable; the public order page
without an account, its refusals and its rate limit; the order it places waits for approval."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes.state import state as scope_state

from accounts.models import AuditEvent, Contact, Organisation, Right
from orders.models import ExternalOrderLink, Order, OrderOrigin, OrderStatus
from orders.services import links as link_services
from orders.services.approval import approve_order
from tests.factories import make_csr, make_key, make_product, make_user
from tests.support.delivered import log_in

S = OrderStatus
SIREN = "552100554"


class _no_scope:
    """Leave the test-wide scopes_disabled() for a request: an anonymous request has no scope at all,
    so the public page must open its link's account scope itself."""

    def __enter__(self):
        self._token = scope_state.set({})
        return self

    def __exit__(self, *exc):
        scope_state.reset(self._token)


@pytest.fixture(autouse=True)
def _public_page_mounted(settings):
    settings.ROOT_URLCONF = "tests.support.urls_delivered"


@pytest.fixture
def link(account, tech, product):
    return link_services.create_link(account, product=product, period_months=24, label="Marketing", user=tech)


def public(link):
    return reverse("order_link:form", args=[link.token])


def public_data(**overrides) -> dict[str, str]:
    data = {
        "registration_number": "552 100 554",
        "organisation_name": "Dupont Industries",
        "country": "FR",
        "address": "3 rue des Lilas",
        "postal_code": "69001",
        "city": "Lyon",
        "admin-first_name": "Jeanne",
        "admin-last_name": "Dupont",
        "admin-email": "Jeanne@Dupont.test",
        "admin-phone": "+33 4 72 00 00 00",
        "tech-first_name": "Marc",
        "tech-last_name": "Martin",
        "tech-email": "marc@dupont.test",
        "tech-phone": "+33 4 72 00 00 01",
        "server_software": "nginx",
        "server_software_other": "",
        "common_name": "www.dupont.test",
        "sans": "dupont.test",
        "csr": make_csr("www.dupont.test", ["dupont.test"], key=make_key("p256")),
        "dcv_method": "dns",
        "website": "",
    }
    data.update(overrides)
    return data


# The account's side -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_list_disable_and_enable_a_link(client, tech, account, product):
    log_in(client, tech)
    page = client.get(reverse("orders:link_new") + f"?product={product.code}&months=24").content.decode()
    assert f'value="{product.code}:24" selected' in page
    response = client.post(
        reverse("orders:link_new"), {"offer": f"{product.code}:24", "label": "  Marketing  "}
    )
    assert response["Location"] == reverse("orders:links")
    link = ExternalOrderLink.objects.get()
    assert (link.account, link.product, link.period_months, link.label, link.created_by) == (
        account,
        product,
        24,
        "Marketing",
        tech,
    )
    assert len(link.token) >= 40
    page = client.get(reverse("orders:links")).content.decode()
    assert "Marketing" in page and public(link) in page
    client.post(reverse("orders:link_disable", args=[link.pk]))
    link.refresh_from_db()
    assert not link.enabled
    assert public(link) not in client.get(reverse("orders:links")).content.decode()
    client.post(reverse("orders:link_enable", args=[link.pk]))
    assert ExternalOrderLink.objects.get().enabled
    actions = list(
        AuditEvent.objects.filter(action__startswith="order_link.")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["order_link.created", "order_link.disabled", "order_link.enabled"]


@pytest.mark.django_db
def test_link_form_errors(client, tech, product):
    log_in(client, tech)
    response = client.post(reverse("orders:link_new"), {"offer": f"{product.code}:36", "label": "Sales"})
    assert response.status_code == 200 and 'class="field has-error"' in response.content.decode()
    assert 'value="Sales"' in response.content.decode()
    response = client.post(reverse("orders:link_new"), {"offer": f"{product.code}:12", "label": "   "})
    assert "This field is required." in response.content.decode()
    assert not ExternalOrderLink.objects.exists()


@pytest.mark.django_db
def test_link_pages_refusals(client, account, link, outsider):
    sales = make_user(account, "sales", rights=[Right.COMMERCIAL, Right.APPROVAL])
    log_in(client, sales)
    for url in (reverse("orders:links"), reverse("orders:link_new")):
        assert client.get(url).status_code == 403
    assert client.post(reverse("orders:link_disable", args=[link.pk])).status_code == 403
    log_in(client, outsider)
    assert client.post(reverse("orders:link_disable", args=[link.pk])).status_code == 404
    assert link.pk not in [row.pk for row in ExternalOrderLink.objects.filter(account=outsider.account)]
    assert ExternalOrderLink.objects.get(pk=link.pk).enabled
    assert client.get(reverse("orders:link_disable", args=[link.pk])).status_code == 405


@pytest.mark.django_db
def test_links_list_queries_do_not_grow(client, tech, account, product, django_assert_max_num_queries):
    link_services.create_link(account, product=product, period_months=12, label="A", user=tech)
    log_in(client, tech)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("orders:links"))
    for i in range(5):
        link_services.create_link(account, product=product, period_months=12, label=f"L{i}", user=tech)
    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get(reverse("orders:links"))


# The public page ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_external_order_waits_for_approval_on_the_links_account(
    client, account, owner, link, product, mailoutbox, django_capture_on_commit_callbacks
):
    with _no_scope():
        page = client.get(public(link)).content.decode()
        assert product.name in page and "Acme Hosting" in page and "24 months" in page
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(public(link), public_data())
        assert response["Location"] == reverse("order_link:done", args=[link.token])
        done = client.get(response["Location"]).content.decode()
    order = Order.objects.get()
    assert order.reference in done
    assert (order.account, order.status, order.origin, order.external_link) == (
        account,
        S.AWAITING_APPROVAL,
        OrderOrigin.EXTERNAL_LINK,
        link,
    )
    assert order.created_by is None and order.period_months == 24 and order.price_excl_vat == 220
    assert order.all_names == ["www.dupont.test", "dupont.test"]
    assert order.organisation.name == "Dupont Industries" and order.organisation.registration_number == SIREN
    assert (
        order.admin_contact.email == "jeanne@dupont.test"
        and order.technical_contact.email == "marc@dupont.test"
    )
    assert AuditEvent.objects.get(action="order_link.used").actor_name == "Jeanne Dupont <jeanne@dupont.test>"
    assert [owner.email] in [m.to for m in mailoutbox if "awaits your approval" in m.subject]
    approval_mail = next(m for m in mailoutbox if "awaits your approval" in m.subject)
    assert "Marketing" in approval_mail.body
    # The approver approves it; its technical contact (who has no access) hears of it.
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        approve_order(order, user=owner)
    assert [m.to for m in mailoutbox] == [["marc@dupont.test"]]
    assert reverse("orders:detail", args=[order.reference]) not in mailoutbox[0].body


@pytest.mark.django_db
def test_the_holder_and_contacts_known_to_the_account_are_reused(client, account, link):
    holder = Organisation.objects.create(
        account=account,
        name="Dupont SA",
        registration_number=SIREN,
        address="1 place Bellecour",
        postal_code="69002",
        city="Lyon",
    )
    jeanne = Contact.objects.create(
        account=account,
        organisation=holder,
        first_name="Jeanne",
        last_name="Dupont",
        email="jeanne@dupont.test",
        phone="+33 4 00 00 00 00",
    )
    with _no_scope():
        client.post(public(link), public_data(**{"technical_same_as_admin": "on", "tech-first_name": ""}))
    order = Order.objects.get()
    assert order.organisation == holder and holder.name == "Dupont SA"  # not changed by the public form
    assert order.admin_contact == jeanne and order.technical_contact == jeanne
    assert Organisation.objects.filter(account=account, registration_number=SIREN).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("csr", "not a csr", "CERTIFICATE REQUEST"),
        ("common_name", "localhost", "is not a fully qualified domain name"),
        ("registration_number", "123", "A French organisation number is a valid SIREN"),
        ("admin-email", "jeanne@", "Enter a valid email address."),
    ],
)
def test_public_form_errors_keep_what_was_typed(client, link, field, value, message):
    with _no_scope():
        response = client.post(public(link), public_data(**{field: value}))
    page = response.content.decode()
    assert response.status_code == 200 and message in page and 'class="field has-error"' in page
    assert "Dupont Industries" in page and "3 rue des Lilas" in page
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_unknown_or_disabled_link_is_404(client, tech, link):
    with _no_scope():
        assert client.get(reverse("order_link:form", args=["no-such-token"])).status_code == 404
    link_services.set_link_enabled(link, False, user=tech)
    with _no_scope():
        assert client.get(public(link)).status_code == 404
        assert client.post(public(link), public_data()).status_code == 404
        assert client.get(reverse("order_link:done", args=[link.token])).status_code == 404
    assert not Order.objects.exists()
    link_services.set_link_enabled(link, True, user=tech)
    with _no_scope():
        assert client.get(public(link)).status_code == 200


@pytest.mark.django_db
def test_a_link_only_orders_its_product(client, account, tech):
    single = make_product(
        "ssl-dv-single",
        validation="DV",
        product_type="server_dv",
        max_sans=0,
        included_sans=0,
        san_price=Decimal("0"),
    )
    single_link = link_services.create_link(account, product=single, period_months=12, label="DV", user=tech)
    with _no_scope():
        response = client.post(public(single_link), public_data(sans="shop.example.org"))
        assert "shop.example.org cannot be added" in response.content.decode()
        response = client.post(public(single_link), public_data(sans="dupont.test"))  # the free variant
    assert response.status_code == 302
    assert Order.objects.get().product == single


@pytest.mark.django_db
def test_submissions_are_rate_limited_per_address(client, link, monkeypatch):
    monkeypatch.setattr(link_services, "SUBMISSIONS_PER_HOUR", 2)
    with _no_scope():
        assert client.post(public(link), public_data(common_name="bad name")).status_code == 200
        assert client.post(public(link), public_data()).status_code == 302
        response = client.post(public(link), public_data(), REMOTE_ADDR="127.0.0.1")
        assert response.status_code == 429 and "Too many orders" in response.content.decode()
        assert client.post(public(link), public_data(), REMOTE_ADDR="192.0.2.7").status_code == 302
    assert Order.objects.count() == 2


@pytest.mark.django_db
def test_robots_filling_the_hidden_field_place_nothing(client, link):
    with _no_scope():
        response = client.post(public(link), public_data(website="http://spam.test"))
    assert response.status_code == 302 and response["Location"] == public(link)
    assert not Order.objects.exists()
