"""ADM-5 Preferences (super user only), ADM-6 contact points on emails, ADM-10 the contacts list."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.mail import send_mail_on_commit
from accounts.models import AuditEvent, Contact, Right
from billing.models import BillingProfile
from tests.factories import make_user

PREFERENCES = reverse("administration_preferences")
CONTACTS = reverse("administration:contacts")
CONTACT_ADD = reverse("administration:contact_add")


def preferences_data(account, **overrides) -> dict[str, str]:
    holder = account.holder
    data = {
        "organisation-name": holder.name,
        "organisation-address": "1 rue de la Paix",
        "organisation-postal_code": "75002",
        "organisation-city": "Paris",
        "organisation-country": "FR",
        "organisation-phone": "",
        "organisation-vat_number": "",
        "invoice_email": "invoices@acme.test",
        "invoice_email_language": "fr",
        "copy_email": "copy@acme.test",
        "copy_email_language": "en",
        "emergency_email": "",
        "emergency_email_language": "en",
        "alert_threshold": "150.00",
        "custom_label_1": "Cost centre",
        "custom_label_2": "",
        "custom_label_3": "",
        "custom_label_4": "",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_super_user_saves_preferences(client, owner, tech, account):
    client.force_login(owner)
    page = client.get(PREFERENCES)
    assert page.status_code == 200 and "Rebate" in page.content.decode()
    data = preferences_data(account, approval_mode="on", approvers=[str(tech.pk)])
    response = client.post(PREFERENCES, data)
    assert response.status_code == 302
    account.refresh_from_db()
    tech.refresh_from_db()
    assert account.approval_mode and tech.right_approval
    assert account.copy_email == "copy@acme.test" and account.invoice_email_language == "fr"
    assert account.custom_fields == [(1, "Cost centre")]
    assert account.holder.city == "Paris"
    assert BillingProfile.objects.get(account=account).alert_threshold == Decimal("150.00")
    event = AuditEvent.objects.get(account=account, action="account.preferences_changed")
    assert "approval_mode" in event.details["fields"]


@pytest.mark.django_db
def test_approval_mode_needs_an_approver(client, owner, tech, account):
    tech.right_approval = False
    tech.save()
    client.force_login(owner)
    response = client.post(PREFERENCES, preferences_data(account, approval_mode="on"))
    # The super user is always an approver (initial), but an explicit empty list is refused.
    assert response.status_code == 200
    assert "Approval mode needs at least one approver." in response.content.decode()
    account.refresh_from_db()
    assert not account.approval_mode


@pytest.mark.django_db
def test_bad_email_is_refused(client, owner, account):
    client.force_login(owner)
    response = client.post(PREFERENCES, preferences_data(account, copy_email="not-an-email"))
    assert response.status_code == 200
    account.refresh_from_db()
    assert account.copy_email == ""


@pytest.mark.django_db
def test_preferences_refuse_everyone_but_the_super_user(client, account, tech, billing):
    admin = make_user(account, "admin", rights=[Right.ADMINISTRATIVE])
    for user in (admin, tech, billing):
        client.force_login(user)
        assert client.get(PREFERENCES).status_code == 403, user.username
        assert client.post(PREFERENCES, preferences_data(account)).status_code == 403
    client.force_login(admin)
    assert "/administration/preferences/" not in client.get(reverse("administration:users")).content.decode()


@pytest.mark.django_db
def test_copy_address_is_copied_on_account_emails(
    account, mailoutbox, django_capture_on_commit_callbacks, product
):
    account.copy_email = "copy@acme.test"
    account.save()
    with django_capture_on_commit_callbacks(execute=True):
        send_mail_on_commit(
            "order_approved",
            ["tech@acme.test"],
            {"reference": "CP1", "common_name": "x", "status_url": "/", "approver_name": "A", "status": "s"},
            "en",
            account=account,
        )
        send_mail_on_commit(
            "order_approved",
            ["staff@portal.test"],
            {"reference": "CP1", "common_name": "x", "status_url": "/", "approver_name": "A", "status": "s"},
            "en",
        )
    assert mailoutbox[0].cc == ["copy@acme.test"]
    assert mailoutbox[1].cc == []  # a staff email is about no customer account


@pytest.mark.django_db
def test_contacts_list_add_edit_delete(client, owner, account, other_account):
    client.force_login(owner)
    organisation = account.holder
    theirs = Contact.objects.filter(account=other_account).first()
    page = client.get(CONTACTS).content.decode()
    assert theirs.email not in page
    data = {
        "organisation": organisation.public_id,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@acme.test",
        "phone": "+33 1 00 00 00 00",
        "job_title": "CTO",
    }
    assert client.post(CONTACT_ADD, data).status_code == 302
    contact = Contact.objects.get(account=account, email="ada@acme.test")
    assert "Lovelace" in client.get(CONTACTS).content.decode()
    edit = reverse("administration:contact_edit", args=[contact.public_id])
    assert client.post(edit, {**data, "job_title": "CEO"}).status_code == 302
    contact.refresh_from_db()
    assert contact.job_title == "CEO"
    delete = reverse("administration:contact_delete", args=[contact.public_id])
    assert client.post(delete).status_code == 302
    assert not Contact.objects.filter(pk=contact.pk).exists()


@pytest.mark.django_db
def test_contacts_refuse_other_accounts_and_other_rights(client, owner, tech, account, other_account):
    theirs = Contact.objects.filter(account=other_account).first()
    client.force_login(owner)
    assert client.get(reverse("administration:contact_edit", args=[theirs.public_id])).status_code == 404
    assert client.post(reverse("administration:contact_delete", args=[theirs.public_id])).status_code == 404
    data = {"organisation": other_account.holder.public_id, "first_name": "X", "last_name": "Y"}
    response = client.post(CONTACT_ADD, {**data, "email": "x@globex.test", "phone": "1"})
    assert response.status_code == 200  # another account's organisation is not a choice
    assert not Contact.objects.filter(email="x@globex.test").exists()
    client.force_login(tech)
    assert client.get(CONTACTS).status_code == 403


@pytest.mark.django_db
def test_contact_named_on_an_order_is_kept(client, owner, account, product):
    from tests.orders.test_order_lists_search import quick_order

    order = quick_order(account, product, "kept.acme.test")
    client.force_login(owner)
    contact = order.admin_contact
    response = client.post(reverse("administration:contact_delete", args=[contact.public_id]))
    assert response.status_code == 302
    assert Contact.objects.filter(pk=contact.pk).exists()
