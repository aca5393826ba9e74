"""Invariants of the accounts models (ADM-2 rights, holder organisation, append-only audit trail)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from accounts.audit import log_action
from accounts.forms import compact_registration_number, siren_of
from accounts.models import AuditEvent, Contact, Organisation, Right, User
from tests import factories


@pytest.mark.django_db
def test_super_user_holds_every_right(owner):
    assert owner.rights == list(Right)


@pytest.mark.django_db
def test_rights_are_the_ones_set(tech):
    assert tech.rights == [Right.TECHNICAL]
    tech.set_rights([Right.BILLING, Right.APPROVAL])
    assert tech.rights == [Right.BILLING, Right.APPROVAL]


@pytest.mark.django_db
def test_inactive_users_and_staff_hold_no_right(tech, staff):
    tech.is_active = False
    assert tech.rights == []
    assert staff.rights == []


@pytest.mark.django_db
def test_one_super_user_per_account(account, owner):
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.make_user(account, "second", superuser=True)


@pytest.mark.django_db
def test_admin_form_refuses_a_second_super_user(client, staff, account, owner, tech):
    client.force_login(staff)
    url = f"/staff/accounts/user/{tech.pk}/change/"
    response = client.post(
        url,
        {
            "username": tech.username,
            "email": tech.email,
            "first_name": "",
            "last_name": "",
            "phone": "",
            "language": "en",
            "account": account.pk,
            "is_account_superuser": "on",
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    assert response.status_code == 200  # form re-rendered with the error, no 500
    assert "This account already has a super user." in response.content.decode()
    tech.refresh_from_db()
    assert not tech.is_account_superuser


@pytest.mark.django_db
def test_holder_organisation(account, other_account):
    holder = account.holder
    assert holder.is_account_holder and holder.account == account
    assert len(holder.public_id) == 12


@pytest.mark.django_db
def test_contact_takes_its_organisations_account(account):
    org = account.holder
    contact = Contact(organisation=org, first_name="Zoé", last_name="Zed", email="z@acme.test", phone="01")
    contact.save()
    assert contact.account_id == account.pk
    assert contact.public_id


@pytest.mark.django_db
def test_registration_number_unique_in_account_only(account, other_account):
    number = account.holder.registration_number
    Organisation.objects.create(
        account=other_account,
        name="Same number elsewhere",
        registration_number=number,
        address="x",
        postal_code="1",
        city="y",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Organisation.objects.create(
            account=account, name="Twice", registration_number=number, address="x", postal_code="1", city="y"
        )


@pytest.mark.django_db
def test_audit_events_are_append_only(account, owner):
    event = log_action("account.tested", account=account, user=owner, obj=account.holder, password="hunter2")
    assert event.details == {"password": "***"}
    assert event.object_type == "organisation"
    event.action = "changed"
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "account.tested"


@pytest.mark.django_db
def test_user_str_and_defaults(account):
    user = User.objects.create(username="plain", account=account)
    assert user.language == "en" and user.previous_login is None and not user.is_account_superuser


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("303 265 045", "303265045"),
        (" 732 829 320 00074 ", "73282932000074"),
        ("hrb 123\t45", "HRB12345"),
    ],
)
def test_registration_numbers_are_stored_without_spaces(raw, stored):
    assert compact_registration_number(raw) == stored


@pytest.mark.parametrize(
    ("number", "siren"),
    [
        ("303265045", "303265045"),
        ("73282932000074", "732829320"),
        ("303265046", None),
        ("73282932000075", None),
    ],
)
def test_siren_of(number, siren):
    assert siren_of(number) == siren
