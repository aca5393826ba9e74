"""The parts an order form is made of (ORD-2): a new holder organisation and new contacts.

Each is used only when the user picks "new" in the matching drop-down of the order form.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.countries import COUNTRIES
from accounts.forms import (
    check_naf_and_vat,
    clean_naf_code,
    clean_vat_number,
    compact_registration_number,
    siren_of,
    validate_phone,
)
from accounts.models import Account, Contact, Organisation


class Form(forms.Form):
    # Server-side validation only, so that every message shows next to its field.
    use_required_attribute = False


class NewOrganisationForm(forms.ModelForm):
    """A holder organisation created with the order; its number first, as its key (ORD-2)."""

    use_required_attribute = False
    country = forms.ChoiceField(label=_("Country"), choices=COUNTRIES, initial="FR")

    class Meta:
        model = Organisation
        fields = [
            "registration_number",
            "name",
            "country",
            "vat_number",
            "naf_code",
            "address",
            "postal_code",
            "city",
            "phone",
        ]

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.account = account
        self.fields["phone"].validators.append(validate_phone)

    def clean_registration_number(self) -> str:
        return compact_registration_number(self.cleaned_data["registration_number"])

    def clean_naf_code(self) -> str:
        return clean_naf_code(self.cleaned_data["naf_code"])

    def clean_vat_number(self) -> str:
        return clean_vat_number(self.cleaned_data["vat_number"])

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        number, country = data.get("registration_number"), data.get("country")
        if number and country == "FR" and siren_of(number) is None:
            self.add_error(
                "registration_number",
                _("A French organisation number is a valid SIREN (9 digits) or SIRET (14 digits)."),
            )
        elif (
            number and Organisation.objects.filter(account=self.account, registration_number=number).exists()
        ):
            self.add_error(
                "registration_number",
                _("An organisation with this number is already in your account: pick it in the list above."),
            )
        if "registration_number" not in self.errors:
            check_naf_and_vat(self, data)  # the registration form's checks (ACC-1)
        return data

    def validate_unique(self) -> None:
        # The account is set by the service; uniqueness in the account is checked in clean().
        pass


class NewContactForm(forms.ModelForm):
    use_required_attribute = False

    class Meta:
        model = Contact
        fields = ["first_name", "last_name", "email", "phone"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["phone"].validators.append(validate_phone)


class ContactChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Contact) -> str:
        return f"{obj.full_name} <{obj.email}> – {obj.organisation.name}"
