"""Forms of the top-up pages (LEDG-4) and of the SEPA mandate page (ADM-5)."""

from __future__ import annotations

import datetime
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from accounts.countries import COUNTRIES
from accounts.models import Account, Contact
from catalog.models import Product

from .forms import DateInput
from .models import MandateKind, PaymentMode, SepaMandate
from .models.topups import TOPUP_PAYMENT_MODES
from .services.sepa import MandateError, clean_bic, clean_iban
from .services.topups import CASH_MODES, MAX_EUROS, MAX_TOKENS_PER_LINE, MIN_EUROS


class ProductChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Product) -> str:
        return str(obj)


class AddTokensForm(forms.Form):
    """LEDG-4: add tokens of one product to the cart."""

    product = ProductChoiceField(
        label=_("Product"), queryset=None, to_field_name="code", empty_label=_("Choose a product")
    )
    quantity = forms.IntegerField(label=_("Tokens"), min_value=1, max_value=MAX_TOKENS_PER_LINE, initial=1)

    def __init__(self, *args: Any, products: QuerySet[Product], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["product"]).queryset = products


class EuroTopUpForm(forms.Form):
    """LEDG-4 current account: the amount, entered excluding or including VAT."""

    amount = forms.DecimalField(
        label=_("Amount (EUR)"), min_value=MIN_EUROS, max_value=MAX_EUROS, max_digits=9, decimal_places=2
    )
    includes_vat = forms.TypedChoiceField(
        label=_("This amount is"),
        widget=forms.RadioSelect,
        coerce=lambda value: value == "incl",
        choices=[("excl", _("excluding VAT")), ("incl", _("including VAT"))],
        initial="excl",
    )


class TopUpPaymentForm(forms.Form):
    """LEDG-4: how the top-up is paid, who receives the invoice, and whether a quote comes first."""

    payment_mode = forms.ChoiceField(
        label=_("Payment mode"),
        widget=forms.RadioSelect,
        choices=[(mode.value, mode.label) for mode in TOPUP_PAYMENT_MODES],
    )
    billing_contact: forms.ModelChoiceField[Contact] = forms.ModelChoiceField(
        label=_("Billing contact"),
        queryset=Contact.objects.none(),
        to_field_name="public_id",
        empty_label=None,
    )
    as_quote = forms.BooleanField(
        label=_("Send me a quote instead of an invoice"),
        required=False,
        help_text=_("For a purchase order: you get a quote to sign; the invoice follows the payment."),
    )

    def __init__(
        self, *args: Any, account: Account, has_mandate: bool, cash_only: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.has_mandate = has_mandate
        self.cash_only = cash_only
        cast(forms.ModelChoiceField, self.fields["billing_contact"]).queryset = Contact.objects.filter(
            account=account
        ).order_by("last_name", "first_name")
        if not has_mandate:
            self.fields["payment_mode"].help_text = _(
                "Direct debit needs a validated SEPA mandate (Account info › SEPA mandate)."
            )
        if cash_only:
            self.fields["payment_mode"].help_text = _(
                "A late-payment statement is unpaid: pay by card or bank transfer until it is settled."
            )

    def clean_payment_mode(self) -> str:
        mode = self.cleaned_data["payment_mode"]
        if mode == PaymentMode.DIRECT_DEBIT and not self.has_mandate:
            raise forms.ValidationError(
                _(
                    "You have no validated SEPA mandate: choose another payment mode or "
                    "set up a mandate first."
                )
            )
        if self.cash_only and mode not in CASH_MODES:
            raise forms.ValidationError(
                _("While a late-payment statement is unpaid, pay by card or bank transfer.")
            )
        return mode


class ConfirmTopUpForm(forms.Form):
    """The review page's confirmation: the draft it confirms."""

    draft = forms.CharField(widget=forms.HiddenInput, max_length=32)


class RenewalPeriodForm(forms.Form):
    """LEDG-4: the period of the renewals to top up for (both days included)."""

    start = forms.DateField(label=_("From"), widget=DateInput())
    end = forms.DateField(label=_("To"), widget=DateInput())

    MAX_DAYS = 366

    @classmethod
    def from_query(cls, query: QueryDict, today: datetime.date) -> RenewalPeriodForm:
        if "start" in query or "end" in query:
            return cls(query)
        return cls(initial={"start": today, "end": today + datetime.timedelta(days=90)})

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("The end of the period is before its start."))
            elif (end - start).days > self.MAX_DAYS:
                self.add_error("end", _("Choose a period of at most one year."))
        return cleaned


class SepaMandateForm(forms.ModelForm):
    """ADM-5: a SEPA direct debit mandate, prefilled from the holder organisation."""

    holder_country = forms.ChoiceField(label=_("Country"), choices=COUNTRIES)
    # Typed with spaces as printed on bank details: longer than the compact IBAN stored.
    iban = forms.CharField(label=_("IBAN"), max_length=50)
    bic = forms.CharField(label=_("BIC"), max_length=20)

    class Meta:
        model = SepaMandate
        fields = [
            "kind",
            "holder_name",
            "holder_address",
            "holder_postal_code",
            "holder_city",
            "holder_country",
            "iban",
            "bic",
        ]
        widgets = {"kind": forms.RadioSelect}
        help_texts = {
            "iban": _("As on your bank details, spaces allowed."),
            "bic": _("8 or 11 characters."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["kind"]).choices = MandateKind.choices

    def clean_iban(self) -> str:
        try:
            return clean_iban(self.cleaned_data["iban"])
        except MandateError as error:
            raise forms.ValidationError(str(error)) from None

    def clean_bic(self) -> str:
        try:
            return clean_bic(self.cleaned_data["bic"])
        except MandateError as error:
            raise forms.ValidationError(str(error)) from None

    @classmethod
    def initial_for(cls, account: Account) -> dict:
        holder = account.holder
        if holder is None:
            return {"kind": MandateKind.RECURRING}
        return {
            "kind": MandateKind.RECURRING,
            "holder_name": holder.name[:70],
            "holder_address": holder.address,
            "holder_postal_code": holder.postal_code,
            "holder_city": holder.city,
            "holder_country": holder.country.upper(),
        }
