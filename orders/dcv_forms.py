"""The DCV page's one form: change the method of one domain, or get a new random value (ORD-8)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import DcvCheck, DcvMethod
from .services.dcv import email_addresses


class ChangeMethodForm(forms.Form):
    method = forms.ChoiceField(label=_("Method"))
    email_address = forms.ChoiceField(
        label=_("Approved address"),
        required=False,
        help_text=_("Only for the email method (CA/B BR 3.2.2.4.4)."),
    )

    def __init__(self, *args: Any, check: DcvCheck, methods: list[str], **kwargs: Any) -> None:
        kwargs.setdefault("prefix", f"check-{check.pk}")
        kwargs.setdefault("initial", {"method": check.method, "email_address": check.email_address})
        super().__init__(*args, **kwargs)
        self.check = check
        cast(forms.ChoiceField, self.fields["method"]).choices = [(m, DcvMethod(m).label) for m in methods]
        cast(forms.ChoiceField, self.fields["email_address"]).choices = [("", "—")] + [
            (address, address) for address in email_addresses(check.domain)
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("method") == DcvMethod.EMAIL and not data.get("email_address"):
            self.add_error("email_address", _("Choose the address that will receive the email."))
        return data
