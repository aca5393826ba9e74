"""ORD-8 pages: the DCV page of an order (rights, check now, change method), the status page panel,
the public email confirmation page, the DCV email, and the back office's manual validation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Right
from catalog.models import ProductType
from orders import dcv as pure
from orders.models import DcvCheck, OrderStatus
from orders.services.dcv import change_method, start_dcv
from orders.services.dcv_display import panel_context
from tests import factories
from tests.support.dcv import DnsServer, use_peers
from tests.support.orders import make_order

S = OrderStatus
pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.support.urls_dcv")]


@pytest.fixture
def dns_server(settings):
    with DnsServer() as server:
        use_peers(settings, server)
        yield server


@pytest.fixture
def order(account, product):
    return make_order(account, product, status=S.UNDER_VERIFICATION, paid=True, sans=["acme.test"])


@pytest.fixture
def commercial(account):
    return factories.make_user(account, "sales", rights=[Right.COMMERCIAL])


def page(order):
    return reverse("dcv:order", args=[order.reference])


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# The DCV page and its rights


def test_first_view_creates_the_checks_and_shows_the_instructions(client, tech, order, settings):
    settings.DCV_CNAME_ZONE = "dcv.portal.example"
    client.force_login(tech)
    response = client.get(page(order))
    assert response.status_code == 200
    checks = list(DcvCheck.objects.filter(order=order))
    assert {c.domain for c in checks} == {"www.acme.test", "acme.test"}
    body = response.content.decode()
    for check in checks:
        assert check.token in body and f"_pki-validation.{check.domain}" in body
        assert reverse("dcv:check", args=[order.reference, check.pk]) in body
        assert reverse("dcv:change", args=[order.reference, check.pk]) in body
        assert f"{check.token}.dcv.portal.example" in body
    assert client.get(page(order)).status_code == 200
    assert DcvCheck.objects.filter(order=order).count() == 2


def test_the_page_takes_the_same_number_of_queries_for_more_names(client, tech, account, product):
    client.force_login(tech)
    small = make_order(account, product, status=S.UNDER_VERIFICATION, paid=True, sans=[])
    large = make_order(
        account, product, status=S.UNDER_VERIFICATION, paid=True, sans=[f"n{i}.acme.test" for i in range(8)]
    )
    client.get(page(small))
    client.get(page(large))
    with CaptureQueriesContext(connection) as few:
        client.get(page(small))
    with CaptureQueriesContext(connection) as many:
        client.get(page(large))
    assert len(many.captured_queries) == len(few.captured_queries)


def test_check_now_validates_and_says_so(client, tech, order, dns_server):
    client.force_login(tech)
    client.get(page(order))
    check = DcvCheck.objects.get(order=order, domain="acme.test")
    dns_server.add("_pki-validation.acme.test", "TXT", f'"{check.token}"')
    response = client.post(reverse("dcv:check", args=[order.reference, check.pk]), follow=True)
    assert "acme.test is validated." in texts(response)
    check.refresh_from_db()
    assert check.validated_at
    body = response.content.decode()
    assert "What the portal saw" in body and f"&quot;{check.token}&quot;" in body


def test_check_now_shows_what_was_seen_when_it_fails(client, tech, order, dns_server):
    client.force_login(tech)
    client.get(page(order))
    check = DcvCheck.objects.get(order=order, domain="acme.test")
    dns_server.add("_pki-validation.acme.test", "TXT", '"wrong-value"')
    response = client.post(reverse("dcv:check", args=[order.reference, check.pk]), follow=True)
    assert any("not validated yet" in t for t in texts(response))
    assert "wrong-value" in response.content.decode()


def test_check_now_of_an_expired_value_asks_for_a_new_one(client, tech, order, dns_server):
    client.force_login(tech)
    client.get(page(order))
    check = DcvCheck.objects.get(order=order, domain="acme.test")
    DcvCheck.objects.filter(pk=check.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post(reverse("dcv:check", args=[order.reference, check.pk]), follow=True)
    assert any("expired" in t for t in texts(response))
    assert dns_server.queries == []


def test_change_method_form(client, tech, order, mailoutbox, django_capture_on_commit_callbacks):
    client.force_login(tech)
    client.get(page(order))
    check = DcvCheck.objects.get(order=order, domain="acme.test")
    url = reverse("dcv:change", args=[order.reference, check.pk])
    prefix = f"check-{check.pk}"
    missing = client.post(url, {f"{prefix}-method": "email", f"{prefix}-email_address": ""})
    assert missing.status_code == 400
    field = re.search(
        rf'<div class="field has-error" id="field-check-{check.pk}-email_address">(.*?)</div>',
        missing.content.decode(),
        re.S,
    )
    assert field and "Choose the address that will receive the email." in field.group(1)
    assert DcvCheck.objects.filter(pk=check.pk).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url, {f"{prefix}-method": "email", f"{prefix}-email_address": "postmaster@acme.test"}
        )
    assert response.status_code == 302
    new = DcvCheck.objects.get(order=order, domain="acme.test")
    assert new.pk != check.pk and new.method == "email" and new.email_address == "postmaster@acme.test"
    assert [m.to for m in mailoutbox] == [["postmaster@acme.test"]]


def test_commercial_can_view_but_not_act(client, commercial, order):
    client.force_login(commercial)
    response = client.get(page(order))
    assert response.status_code == 200
    check = DcvCheck.objects.filter(order=order).first()
    assert reverse("dcv:change", args=[order.reference, check.pk]) not in response.content.decode()
    for name in ("check", "change", "resend"):
        assert client.post(reverse(f"dcv:{name}", args=[order.reference, check.pk])).status_code == 403
    check.refresh_from_db()
    assert check.last_checked_at is None


def test_billing_only_cannot_see_the_page(client, billing, order):
    client.force_login(billing)
    assert client.get(page(order)).status_code == 403


def test_other_account_gets_404(client, outsider, order, tech):
    client.force_login(tech)
    client.get(page(order))
    check = DcvCheck.objects.filter(order=order).first()
    client.force_login(outsider)
    assert client.get(page(order)).status_code == 404
    assert client.post(reverse("dcv:check", args=[order.reference, check.pk])).status_code == 404
    their_order = make_order(outsider.account, order.product, status=S.UNDER_VERIFICATION, paid=True, sans=[])
    client.force_login(tech)
    # a check of another order (of another account) through our order's URL: 404 too
    their_check = start_dcv(their_order)[0]
    assert client.post(reverse("dcv:check", args=[order.reference, their_check.pk])).status_code == 404


def test_non_server_orders_have_no_dcv_page(client, tech, account):
    signing = factories.make_product("code-signing", product_type=ProductType.CODE_SIGNING)
    order = make_order(account, signing, status=S.UNDER_VERIFICATION, paid=True, common_name="Acme", sans=[])
    client.force_login(tech)
    assert client.get(page(order)).status_code == 404


def test_actions_are_refused_once_delivered(client, tech, order, staff):
    from orders.services import issue_certificate
    from orders.services.dcv import validate_order_dcv_manually

    checks = validate_order_dcv_manually(order, by=staff, note="checked")
    issue_certificate(order, user=staff)
    client.force_login(tech)
    response = client.get(page(order))
    assert response.status_code == 200
    assert "Check now" not in response.content.decode()
    response = client.post(reverse("dcv:check", args=[order.reference, checks[0].pk]), follow=True)
    assert any("can no longer change" in t for t in texts(response))


# The status page panel (LIFE-2)


def test_panel_lists_the_checks_and_links_to_the_page(order, account):
    start_dcv(order)
    html = render_to_string("orders/dcv/_panel.html", panel_context(order))
    assert "www.acme.test" in html and "acme.test" in html and page(order) in html
    assert "Awaiting validation" in html
    signing = factories.make_product("code-signing", product_type=ProductType.CODE_SIGNING)
    other = make_order(account, signing, status=S.UNDER_VERIFICATION, paid=True, common_name="Acme", sans=[])
    assert render_to_string("orders/dcv/_panel.html", panel_context(other)).strip() == ""


# The DCV email and its public confirmation page (BR 3.2.2.4.4)


def email_check(order, tech, capture):
    check = start_dcv(order)[1]
    with capture(execute=True):
        return change_method(check, "email", email_address="admin@acme.test", user=tech)


def test_the_dcv_email_goes_to_the_address_in_the_account_language(order, tech, account, monkeypatch):
    sent = []
    monkeypatch.setattr(
        "orders.services.dcv.send_mail_on_commit", lambda *args, **kw: sent.append((args, kw))
    )
    account.language = "fr"
    account.save(update_fields=["language"])
    order.refresh_from_db()
    check = change_method(start_dcv(order)[1], "email", email_address="admin@acme.test", user=tech)
    (template, to, context, language), _kw = sent[0]
    assert (template, to, language) == ("dcv_request", ["admin@acme.test"], "fr")
    assert context["confirm_url"].endswith(f"/dcv/confirm/{check.token}/")
    assert context["names"] == ["acme.test"] and context["reference"] == order.reference


def test_the_email_link_confirms_on_post_only(
    client, order, tech, mailoutbox, django_capture_on_commit_callbacks
):
    check = email_check(order, tech, django_capture_on_commit_callbacks)
    message = mailoutbox[0]
    assert "admin@acme.test" in message.body and order.reference in message.subject
    url = reverse("dcv:confirm", args=[check.token])
    assert url in message.body and url in message.alternatives[0][0]
    shown = client.get(url)
    assert shown.status_code == 200 and "I confirm control of acme.test" in shown.content.decode()
    check.refresh_from_db()
    assert check.validated_at is None  # a mail scanner following the link confirms nothing
    confirmed = client.post(url)
    assert "control of acme.test is confirmed" in confirmed.content.decode()
    check.refresh_from_db()
    assert check.validated_at


def test_the_confirmation_page_refuses_unknown_and_expired_links(
    client, order, tech, django_capture_on_commit_callbacks
):
    assert client.get(reverse("dcv:confirm", args=["nope"])).status_code == 404
    check = email_check(order, tech, django_capture_on_commit_callbacks)
    DcvCheck.objects.filter(pk=check.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    url = reverse("dcv:confirm", args=[check.token])
    assert "has expired" in client.get(url).content.decode()
    response = client.post(url)
    assert response.status_code == 400 and "expired" in response.content.decode()
    check.refresh_from_db()
    assert check.validated_at is None


def test_a_user_of_another_account_confirming_is_not_recorded_as_actor(
    client, outsider, order, tech, django_capture_on_commit_callbacks
):
    from accounts.models import AuditEvent

    check = email_check(order, tech, django_capture_on_commit_callbacks)
    client.force_login(outsider)
    client.post(reverse("dcv:confirm", args=[check.token]))
    event = AuditEvent.objects.get(object_id=order.reference, action="dcv.validated")
    assert event.user is None and event.actor_name == "admin@acme.test" and event.account == order.account


# Back office (STAFF-2)


def test_staff_marks_dcv_as_passed_from_the_admin(client, staff, order):
    checks = start_dcv(order)
    client.force_login(staff)
    changelist = reverse("admin:orders_dcvcheck_changelist")
    data = {"action": "validate_selected", "_selected_action": [c.pk for c in checks]}
    ask = client.post(changelist, data)
    assert ask.status_code == 200 and "How was the domain validated?" in ask.content.decode()
    assert not DcvCheck.objects.filter(order=order, validated_at__isnull=False).exists()
    done = client.post(changelist, {**data, "apply": "1", "note": "TXT records seen with dig"}, follow=True)
    assert done.status_code == 200
    assert DcvCheck.objects.filter(order=order, validated_at__isnull=False).count() == 2
    order.refresh_from_db()
    assert order.status == S.UNDER_VERIFICATION
    assert pure.dns_record_name("acme.test") == "_pki-validation.acme.test"
