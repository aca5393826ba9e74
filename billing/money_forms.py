"""Forms of the coupon, promo code, late-payment and rebate pages (ACCT-4 to ACCT-6, LEDG-2)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.countries import COUNTRIES

from .models import BillingProfile, PromoState, StatementStatus


class StateFilterForm(forms.Form):
    """A GET filter on one state field; an unknown value is an error next to the field."""

    state = forms.ChoiceField(label=_("State"), required=False)

    def __init__(self, *args: Any, choices: Any, label: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["state"]).choices = [("", _("All")), *choices]
        if label:
            self.fields["state"].label = label

    @property
    def selected(self) -> str:
        return self.cleaned_data.get("state", "") if self.is_valid() else ""


def promo_filter(data: Any) -> StateFilterForm:
    return StateFilterForm(data or None, choices=PromoState.choices)


def statement_filter(data: Any) -> StateFilterForm:
    return StateFilterForm(data or None, choices=StatementStatus.choices, label=_("Status"))


class RebateInvoiceForm(forms.Form):
    """LEDG-2: recover the rebates by invoicing us; the number of the customer's invoice."""

    reference = forms.CharField(
        label=_("Number of your invoice"),
        max_length=60,
        help_text=_("Invoice us the amount shown, then enter your invoice's number here."),
    )


class BillingAddressForm(forms.ModelForm):
    """ADM-5: the default billing address; all empty goes back to the head office, otherwise the
    address, postal code, city and country are all needed."""

    billing_country = forms.ChoiceField(
        label=_("Country"), choices=[("", "---------"), *COUNTRIES], required=False
    )

    class Meta:
        model = BillingProfile
        fields = ["billing_name", "billing_address", "billing_postal_code", "billing_city", "billing_country"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        required = ("billing_address", "billing_postal_code", "billing_city", "billing_country")
        given = [name for name in (*required, "billing_name") if str(data.get(name, "")).strip()]
        if given:
            for name in required:
                if not str(data.get(name, "")).strip():
                    self.add_error(
                        name, _("Needed for a billing address; empty every field to use the head office.")
                    )
        return data
