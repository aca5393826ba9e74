"""The staff form recording money received for an invoice (ACCT-3): amount, date, method, reference."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import ReceiptMethod


class ReceiptForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount received (EUR incl. VAT)"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        localize=True,
    )
    received_on = forms.DateField(
        label=_("Received on"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    method = forms.ChoiceField(label=_("Received by"), choices=ReceiptMethod.choices)
    reference = forms.CharField(
        label=_("Payment reference"),
        max_length=100,
        help_text=_("The bank's transfer reference, the cheque number or the card transaction."),
    )

    def clean_received_on(self) -> datetime.date:
        day = self.cleaned_data["received_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The date received cannot be in the future."))
        return day
