"""ADM-10: the contacts list, the people offered in the order forms' contact drop-downs.

Contacts have no login and no rights; each belongs to one organisation of the account. A contact
named on an order stays (orders keep who they were placed for): deleting one is refused then.
"""

from __future__ import annotations

from typing import Any, cast

import django_tables2 as tables
from django import forms
from django.contrib import messages
from django.db import transaction
from django.db.models import ProtectedError, QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from accounts.access import get_for_account, right_required
from accounts.audit import log_action
from accounts.lists import configure_table
from accounts.models import Account, Contact, Organisation, Right
from accounts.organisations import create_contact
from accounts.typing import AuthenticatedRequest

ADMINISTRATIVE = Right.ADMINISTRATIVE
PER_PAGE = 25


class ContactTable(tables.Table):
    last_name = tables.Column(verbose_name=gettext_lazy("Name"), order_by=("last_name", "first_name"))
    email = tables.Column(verbose_name=gettext_lazy("Email"))
    phone = tables.Column(verbose_name=gettext_lazy("Phone"))
    job_title = tables.Column(verbose_name=gettext_lazy("Job title"))
    organisation = tables.Column(
        verbose_name=gettext_lazy("Organisation"),
        accessor="organisation__name",
        order_by=("organisation__name",),
    )

    class Meta:
        model = Contact
        fields = ["last_name", "email", "phone", "job_title", "organisation"]
        order_by = "last_name"
        empty_text = gettext_lazy("No contact yet.")
        attrs = {"class": "table contacts"}

    def render_last_name(self, value: str, record: Contact) -> SafeString:
        url = reverse("administration:contact_edit", args=[record.public_id])
        return format_html('<a href="{}">{}</a>', url, record.full_name)


class ContactForm(forms.ModelForm):
    organisation: forms.ModelChoiceField[Organisation] = forms.ModelChoiceField(
        label=gettext_lazy("Organisation"), queryset=Organisation.objects.none(), to_field_name="public_id"
    )

    class Meta:
        model = Contact
        fields = ["organisation", "first_name", "last_name", "email", "phone", "job_title"]

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["organisation"]).queryset = Organisation.objects.filter(
            account=account
        ).order_by("name")


def _contacts(account: Account) -> QuerySet[Contact]:
    return Contact.objects.filter(account=account).select_related("organisation")


@right_required(ADMINISTRATIVE)
@require_safe
def contacts(request: AuthenticatedRequest) -> HttpResponse:
    table = ContactTable(_contacts(request.user.account))
    configure_table(request, table, PER_PAGE)
    return render(request, "administration/contacts.html", {"table": table})


@right_required(ADMINISTRATIVE)
@require_http_methods(["GET", "POST"])
def contact_add(request: AuthenticatedRequest) -> HttpResponse:
    account = request.user.account
    form = ContactForm(request.POST if request.method == "POST" else None, account=account)
    if form.is_valid():
        fields = {name: value for name, value in form.cleaned_data.items() if name != "organisation"}
        contact = create_contact(
            form.cleaned_data["organisation"], user=request.user, request=request, **fields
        )
        messages.success(request, _("%(name)s is added to your contacts.") % {"name": contact.full_name})
        return redirect("administration:contacts")
    return render(request, "administration/contact_form.html", {"form": form, "contact": None})


@right_required(ADMINISTRATIVE)
@require_http_methods(["GET", "POST"])
def contact_edit(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    account = request.user.account
    contact = get_for_account(Contact.objects.all(), account, public_id=public_id)
    form = ContactForm(request.POST if request.method == "POST" else None, instance=contact, account=account)
    if form.is_valid():
        with transaction.atomic():
            form.save()
            log_action("contact.changed", obj=contact, request=request, fields=form.changed_data)
        messages.success(request, _("%(name)s is saved.") % {"name": contact.full_name})
        return redirect("administration:contacts")
    return render(request, "administration/contact_form.html", {"form": form, "contact": contact})


@right_required(ADMINISTRATIVE)
@require_http_methods(["POST"])
def contact_delete(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    account = request.user.account
    contact = get_for_account(Contact.objects.all(), account, public_id=public_id)
    name = contact.full_name
    try:
        with transaction.atomic():
            log_action("contact.deleted", obj=contact, request=request, name=name)
            contact.delete()
    except ProtectedError:
        messages.error(request, _("%(name)s is named on orders and stays in your contacts.") % {"name": name})
        return redirect("administration:contact_edit", public_id)
    messages.success(request, _("%(name)s is deleted.") % {"name": name})
    return redirect("administration:contacts")
