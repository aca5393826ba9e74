"""ORD-4: a client certificate whose holder makes the key in their own browser from an emailed link.

Order placed with the invitation mode → the holder's email with the link → the public page (no
login) → the CSR posted back; the reminder from the status page; the refusals.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, Right
from catalog.models import ProductType
from orders.models import Order, OrderStatus
from orders.services.invitation import INVITATION_LIFETIME, awaits_invitation, send_invitation
from tests.factories import make_csr, make_key, make_user
from tests.support.ordering import base_data, confirm, field_errors, make_typed_product, post_form, token_of
from tests.support.orders import contacts_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://portal.example.test"


@pytest.fixture
def invited(client, tech, account, mailoutbox, django_capture_on_commit_callbacks):
    """A client certificate ordered by `tech` with the invitation mode; the client is logged out after."""
    product = make_typed_product("smime", ProductType.CLIENT, validation="IV")
    client.force_login(tech)
    token = token_of(post_form(client, product, base_data(account, csr_mode="invitation")))
    with django_capture_on_commit_callbacks(execute=True):
        order = confirm(client, token)
    client.logout()
    return order


def link_of(mail) -> str:
    match = re.search(r"https://portal\.example\.test(/operations/invitation/[^/\s]+/)", mail.body)
    assert match, mail.body
    return match.group(1)


def holder_csr(order: Order, key=None) -> str:
    return make_csr(order.admin_contact.email, [], key=key or make_key("p256"))


def test_holder_gets_the_link_and_sends_a_csr_without_logging_in(
    client, invited, mailoutbox, django_capture_on_commit_callbacks
):
    _holder, admin, tech_contact = contacts_of(invited.account)
    invitation = next(m for m in mailoutbox if m.to == [admin.email])
    assert invited.reference in invitation.subject and "valid until" in invitation.body
    assert invitation.alternatives[0][1] == "text/html"
    url = link_of(invitation)
    assert url == reverse("operations:invitation", args=[invited.invitation_token])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert invited.reference in html and admin.email in html and "js/keybot.bundle." in html
    context = json.loads(
        re.search(r'<script id="keybot-context" type="application/json">(.*?)</script>', html, re.S).group(1)
    )
    assert context["mode"] == "fixed"
    assert context["fixed"]["CN"] == admin.email and context["fixed"]["O"] == invited.organisation.name
    assert context["fixed"]["C"] == "FR" and context["fixed"]["L"] == "Paris"
    mailoutbox.clear()
    csr = holder_csr(invited)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"csr": csr})
    assert response.status_code == 302 and response["Location"] == url
    invited.refresh_from_db()
    assert "CERTIFICATE REQUEST" in invited.csr and invited.csr_public_key_sha256
    assert not awaits_invitation(invited)
    event = AuditEvent.objects.get(action="order.csr_received", object_id=invited.reference)
    assert event.actor_name == admin.full_name and event.user is None and event.details["via"] == "invitation"
    assert [m.to for m in mailoutbox] == [[admin.email]] and mailoutbox[0].cc == [tech_contact.email]
    assert "received" in client.get(url).content.decode()
    # A second CSR is refused: the first one stands.
    again = client.post(url, {"csr": holder_csr(invited)})
    assert again.status_code == 200
    invited.refresh_from_db()
    assert invited.csr_public_key_sha256 == event.details["public_key_sha256"]


def test_bad_csr_is_refused_next_to_the_field_and_kept(client, invited):
    url = reverse("operations:invitation", args=[invited.invitation_token])
    bad = make_csr(invited.admin_contact.email, [], key=make_key("rsa1024"))
    page = client.post(url, {"csr": bad}).content.decode()
    assert "only 2048, 3072 or 4096 bits" in field_errors(page, "csr")
    assert "BEGIN CERTIFICATE REQUEST" in page
    invited.refresh_from_db()
    assert invited.csr == ""


def test_a_user_of_another_account_can_use_the_link_too(client, invited, outsider):
    client.force_login(outsider)  # the holder may well be logged in to their own account
    url = reverse("operations:invitation", args=[invited.invitation_token])
    assert client.get(url).status_code == 200
    assert client.post(url, {"csr": holder_csr(invited)}).status_code == 302
    invited.refresh_from_db()
    assert invited.csr


def test_unknown_expired_or_closed_links_are_refused(client, invited):
    assert client.get(reverse("operations:invitation", args=["not-a-token"])).status_code == 404
    url = reverse("operations:invitation", args=[invited.invitation_token])
    Order.objects.filter(pk=invited.pk).update(
        invitation_sent_at=timezone.now() - INVITATION_LIFETIME - timedelta(minutes=1)
    )
    response = client.get(url)
    assert response.status_code == 404 and "no longer valid" in response.content.decode()
    assert client.post(url, {"csr": holder_csr(invited)}).status_code == 404
    Order.objects.filter(pk=invited.pk).update(
        invitation_sent_at=timezone.now(), status=OrderStatus.CANCELLED
    )
    assert client.get(url).status_code == 404
    invited.refresh_from_db()
    assert invited.csr == ""


def test_reminder_from_the_status_page(client, tech, invited, mailoutbox, django_capture_on_commit_callbacks):
    Order.objects.filter(pk=invited.pk).update(invitation_sent_at=timezone.now() - timedelta(days=40))
    client.force_login(tech)
    mailoutbox.clear()
    url = reverse("operations:invitation_remind", args=[invited.reference])
    assert client.get(url).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response["Location"] == reverse("orders:detail", args=[invited.reference])
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [invited.admin_contact.email]
    assert mailoutbox[0].subject.startswith("Reminder") and "This is a reminder" in mailoutbox[0].body
    invited.refresh_from_db()
    assert timezone.now() - invited.invitation_sent_at < timedelta(minutes=1)  # the link is open again
    assert client.get(reverse("operations:invitation", args=[invited.invitation_token])).status_code == 200
    assert AuditEvent.objects.filter(action="order.invitation_sent", details__reminder=True).count() == 1


def test_no_reminder_once_the_csr_is_in(client, tech, invited, mailoutbox):
    Order.objects.filter(pk=invited.pk).update(csr=holder_csr(invited))
    client.force_login(tech)
    mailoutbox.clear()
    response = client.post(reverse("operations:invitation_remind", args=[invited.reference]), follow=True)
    assert "nothing to remind" in response.content.decode()
    assert mailoutbox == []


def test_reminder_refusals(client, account, invited, outsider):
    url = reverse("operations:invitation_remind", args=[invited.reference])
    client.force_login(make_user(account, "accountant", rights=[Right.BILLING]))
    assert client.post(url).status_code == 403
    client.force_login(outsider)
    assert client.post(url).status_code == 404
    assert AuditEvent.objects.filter(action="order.invitation_sent").count() == 1  # only the first sending


def test_send_invitation_refuses_an_order_without_invitation(account, owner):
    from orders.services.invitation import InvitationError
    from tests.support.orders import make_order

    product = make_typed_product("smime", ProductType.CLIENT, validation="IV")
    order = make_order(account, product, options={"csr_mode": "manual"})
    with pytest.raises(InvitationError):
        send_invitation(order, user=owner)
