"""Administration › ACME: the new endpoint form (AUTO-2)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Account, Contact, Organisation
from catalog.models import SERVER_TYPES, Product, ProductPeriod

from .services.endpoints import ordering_refusal


class EndpointForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("What uses this endpoint, for example “Web servers of the Lyon site”."),
    )
    offer = forms.ChoiceField(
        label=gettext_lazy("Product and validity period"),
        help_text=gettext_lazy(
            "Every certificate the endpoint issues is an order of this product and period."
        ),
    )
    organisation: forms.ModelChoiceField = forms.ModelChoiceField(
        label=gettext_lazy("Holder organisation"),
        queryset=Organisation.objects.none(),
        to_field_name="public_id",
    )
    admin_contact: forms.ModelChoiceField = forms.ModelChoiceField(
        label=gettext_lazy("Administrative contact"),
        queryset=Contact.objects.none(),
        to_field_name="public_id",
        help_text=gettext_lazy("A manager of the holder organisation."),
    )
    technical_contact: forms.ModelChoiceField = forms.ModelChoiceField(
        label=gettext_lazy("Technical contact"),
        queryset=Contact.objects.none(),
        to_field_name="public_id",
        help_text=gettext_lazy("Receives the confirmation and delivery emails of the ACME orders."),
    )

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.account = account
        periods = (
            ProductPeriod.objects.filter(
                product__product_type__in=SERVER_TYPES, product__active=True, product__brand__active=True
            )
            .select_related("product__brand")
            .order_by("product__brand__name", "product__position", "product__name", "months")
        )
        self.offers: dict[str, tuple[Product, int]] = {
            f"{p.product_id}:{p.months}": (p.product, p.months) for p in periods
        }
        cast(forms.ChoiceField, self.fields["offer"]).choices = [("", "—")] + [
            (key, _("%(product)s — %(months)s months") % {"product": product, "months": months})
            for key, (product, months) in self.offers.items()
        ]
        cast(forms.ModelChoiceField, self.fields["organisation"]).queryset = Organisation.objects.filter(
            account=account
        )
        contacts = Contact.objects.filter(account=account).select_related("organisation")
        for name in ("admin_contact", "technical_contact"):
            cast(forms.ModelChoiceField, self.fields[name]).queryset = contacts

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        chosen = self.offers.get(data.get("offer") or "")
        if chosen is not None:
            product, months = chosen
            data["product"], data["period_months"] = product, months
            refused = ordering_refusal(self.account, product, months, data.get("organisation"))
            if refused:
                self.add_error("offer", refused)
        organisation, admin = data.get("organisation"), data.get("admin_contact")
        if organisation and admin and admin.organisation_id != organisation.pk:
            self.add_error(
                "admin_contact", _("The administrative contact must belong to the holder organisation.")
            )
        return data
