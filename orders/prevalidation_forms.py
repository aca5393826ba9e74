"""AUTO-1: the pre-validation request form (type, organisation, contact) for one authority."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Account, Contact, Organisation
from catalog.models import Brand

from .prevalidation_models import PreValidation
from .services.prevalidation import brand_types


class PreValidationForm(forms.Form):
    validation_type = forms.ChoiceField(
        label=gettext_lazy("Type of pre-validation"),
        help_text=gettext_lazy("The types this authority offers."),
    )
    organisation: forms.ModelChoiceField = forms.ModelChoiceField(
        label=gettext_lazy("Organisation"),
        queryset=Organisation.objects.none(),
        to_field_name="public_id",
        help_text=gettext_lazy("The organisation the authority validates ahead of its orders."),
    )
    contact: forms.ModelChoiceField = forms.ModelChoiceField(
        label=gettext_lazy("Contact"),
        queryset=Contact.objects.none(),
        to_field_name="public_id",
        help_text=gettext_lazy("A person of the organisation the authority may call to check it."),
    )

    def __init__(self, *args: Any, account: Account, brand: Brand, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.account, self.brand = account, brand
        labels = dict(PreValidation.Type.choices)
        cast(forms.ChoiceField, self.fields["validation_type"]).choices = [("", "—")] + [
            (value, labels[value]) for value in brand_types(brand)
        ]
        cast(forms.ModelChoiceField, self.fields["organisation"]).queryset = Organisation.objects.filter(
            account=account
        )
        cast(forms.ModelChoiceField, self.fields["contact"]).queryset = Contact.objects.filter(
            account=account
        ).select_related("organisation")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        organisation, contact = data.get("organisation"), data.get("contact")
        if organisation and contact and contact.organisation_id != organisation.pk:
            self.add_error("contact", _("The contact must belong to the organisation to pre-validate."))
        return data
