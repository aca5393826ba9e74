"""AUTO-3: the domain pages' forms — register a domain, start its validation."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Organisation

from .models import DcvMethod
from .services.domain_registry import DOMAIN_METHODS, DomainError, clean_domain_name


class RegisterDomainForm(forms.Form):
    name = forms.CharField(
        label=_("Domain"),
        max_length=300,
        help_text=_("For example example.com or shop.example.com; internationalised names are accepted."),
    )
    organisation: forms.ModelChoiceField[Organisation] = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none(), required=False
    )

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["organisation"]).queryset = Organisation.objects.filter(
            account=account
        ).order_by("name")

    def clean_name(self) -> str:
        try:
            return clean_domain_name(self.cleaned_data["name"])
        except DomainError as exc:
            raise forms.ValidationError(exc.message, code="name") from None


class DomainDcvForm(forms.Form):
    method = forms.ChoiceField(
        label=_("Method"), choices=[(m.value, m.label) for m in DcvMethod if m in DOMAIN_METHODS]
    )
