"""Holder organisations and their contacts (ORD-2, ADM-10): created by the order form, the contacts
page and the API through these two functions, each audited."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .audit import log_action
from .models import Account, Contact, Organisation, User


def create_organisation(
    account: Account, *, user: User | None, request: HttpRequest | None = None, **fields: Any
) -> Organisation:
    """A new holder organisation of `account` (ORD-2), keyed by its number without spaces."""
    fields["registration_number"] = "".join(fields["registration_number"].split()).upper()
    organisation = Organisation.objects.create(account=account, **fields)
    log_action(
        "organisation.created",
        obj=organisation,
        user=user,
        request=request,
        name=organisation.name,
        registration_number=organisation.registration_number,
    )
    return organisation


def create_contact(
    organisation: Organisation, *, user: User | None, request: HttpRequest | None = None, **fields: Any
) -> Contact:
    """A new contact of `organisation` (ORD-2, ADM-10), in the organisation's account."""
    contact = Contact.objects.create(account_id=organisation.account_id, organisation=organisation, **fields)
    log_action(
        "contact.created",
        obj=contact,
        user=user,
        request=request,
        name=contact.full_name,
        organisation=organisation.public_id,
    )
    return contact
