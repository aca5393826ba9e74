"""Forms of the accounts app: public registration (ACC-1) and the staff's rejection reason (ACC-2)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from stdnum.eu import vat
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siren, siret

from .countries import COUNTRIES
from .models import Account

_PHONE_CHARS = re.compile(r"^\+?[0-9 ().\-/]+$")
_FOREIGN_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9.\-/]{1,39}$")
_NAF = re.compile(r"^(\d{2})\.?(\d{2}[A-Z])$")


def validate_phone(value: str) -> None:
    digits = sum(ch.isdigit() for ch in value)
    if not _PHONE_CHARS.match(value) or not 6 <= digits <= 20:
        raise forms.ValidationError(_("Enter a phone number, for example +33 1 23 45 67 89."), code="phone")


def compact_registration_number(value: str) -> str:
    """ACC-1: the organisation number is stored without spaces (and upper-case for foreign ones)."""
    return re.sub(r"\s+", "", value).upper()


def siren_of(number: str) -> str | None:
    """The SIREN inside a French organisation number (a SIREN, or the first 9 digits of a SIRET)."""
    if len(number) == 9 and siren.is_valid(number):
        return number
    if len(number) == 14 and siret.is_valid(number):
        return number[:9]
    return None


def clean_naf_code(raw: str) -> str:
    """A NAF code as 4 digits and a letter ("62.01z" -> "6201Z"), or "" when none is given."""
    value = re.sub(r"\s+", "", raw).upper()
    if not value:
        return ""
    match = _NAF.match(value)
    if not match:
        raise forms.ValidationError(
            _("A NAF code has four digits and a letter, for example 6201Z."), code="naf"
        )
    return match.group(1) + match.group(2)


def clean_vat_number(raw: str) -> str:
    """An intra-EU VAT number, compacted and checked (country prefix and check digits), or ""."""
    raw = raw.strip()
    if not raw:
        return ""
    try:
        number = vat.compact(raw)  # raises on an unknown country prefix ("ZZ…")
    except StdnumError:
        number = ""
    if not number or not vat.is_valid(number):
        raise forms.ValidationError(
            _("This is not a valid intra-EU VAT number (country prefix then the national number)."),
            code="vat",
        )
    return number


def check_naf_and_vat(form: forms.BaseForm, data: dict[str, Any]) -> None:
    """What an organisation's NAF code and VAT number must agree with (registration, new holder
    organisation): a NAF code only for a French company; a French VAT number holds its SIREN."""
    country = data.get("country")
    if data.get("naf_code") and country and country != "FR":
        form.add_error("naf_code", _("A NAF code only exists for a French company."))
    number, vat_number = data.get("registration_number"), data.get("vat_number") or ""
    # A French VAT number is "FR", a two-character key, then the SIREN (number is None if invalid).
    if country == "FR" and number and vat_number.startswith("FR") and vat_number[4:] != siren_of(number):
        form.add_error("vat_number", _("This VAT number does not belong to this SIREN."))


def _phone_field(label: Any, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=40,
        required=required,
        validators=[validate_phone],
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )


class RegistrationForm(forms.Form):
    """ACC-1 registration of a new account; the service `register_account` reads `cleaned_data`."""

    # Company identity and head office.
    company_name = forms.CharField(label=_("Company name"), max_length=200)
    country = forms.ChoiceField(label=_("Country"), choices=[("", "---------"), *COUNTRIES], initial="FR")
    registration_number = forms.CharField(
        label=_("Organisation number"),
        max_length=60,
        help_text=_(
            "SIREN (9 digits) or SIRET (14 digits) for a French company, otherwise the registry number."
        ),
    )
    naf_code = forms.CharField(
        label=_("NAF code"),
        max_length=8,
        required=False,
        help_text=_("French companies only, for example 6201Z."),
    )
    vat_number = forms.CharField(
        label=_("Intra-EU VAT number"),
        max_length=30,
        required=False,
        help_text=_("For example FR40303265045."),
    )
    address = forms.CharField(label=_("Head-office address"), max_length=250)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20)
    city = forms.CharField(label=_("City"), max_length=100)
    phone = _phone_field(_("Phone"))

    # Administrative contact: also the account's super user.
    admin_first_name = forms.CharField(label=_("First name"), max_length=100)
    admin_last_name = forms.CharField(label=_("Last name"), max_length=100)
    admin_email = forms.EmailField(label=_("Email"))
    admin_phone = _phone_field(_("Phone"))
    admin_job_title = forms.CharField(label=_("Job title"), max_length=100, required=False)

    # Technical contact, unless the same person.
    tech_same_as_admin = forms.BooleanField(
        label=_("The technical contact is the administrative contact"), required=False
    )
    tech_first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    tech_last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    tech_email = forms.EmailField(label=_("Email"), required=False)
    tech_phone = _phone_field(_("Phone"), required=False)
    tech_job_title = forms.CharField(label=_("Job title"), max_length=100, required=False)

    # The account.
    kind = forms.ChoiceField(
        label=_("Organisation type"),
        choices=Account.Kind.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "A service provider orders for its customers; an enterprise for itself and its subsidiaries."
        ),
    )
    formula = forms.ChoiceField(label=_("Billing formula"), choices=Account.Formula.choices)
    auth_type = forms.ChoiceField(
        label=_("Authentication type"), choices=Account.AuthType.choices, initial=Account.AuthType.PASSWORD
    )
    username = forms.CharField(
        label=_("Username of the super user"),
        min_length=3,
        max_length=150,
        validators=[get_user_model().username_validator],
        help_text=_(
            "Letters, digits and . + - _ only. You will log in with it or with the administrative email."
        ),
    )
    language = forms.ChoiceField(label=_("Preferred language"), choices=settings.LANGUAGES)
    accept_terms = forms.BooleanField(
        label=_("I accept the general terms of sale and use"),
        error_messages={"required": _("You must accept the terms to open an account.")},
    )
    # Anti-abuse: a field hidden from people (CSS and aria-hidden); robots fill it in.
    website = forms.CharField(required=False, label=_("Leave this field empty"))

    TECH_REQUIRED = ("tech_first_name", "tech_last_name", "tech_email", "tech_phone")

    def is_bot(self) -> bool:
        return bool(self.data.get("website"))

    def clean_company_name(self) -> str:
        return " ".join(self.cleaned_data["company_name"].split())

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if "@" in username:
            # Login accepts a username or an email: an "@" would make it read as an email (ACC-3).
            raise forms.ValidationError(_("A username cannot contain “@”."), code="at_sign")
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(
                _("This username is already taken; choose another one."), code="taken"
            )
        return username

    def clean_naf_code(self) -> str:
        return clean_naf_code(self.cleaned_data["naf_code"])

    def clean_vat_number(self) -> str:
        return clean_vat_number(self.cleaned_data["vat_number"])

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        country = data.get("country")
        self._clean_registration_number(data, country)
        check_naf_and_vat(self, data)
        if not data.get("tech_same_as_admin"):
            for name in self.TECH_REQUIRED:
                if not data.get(name) and name not in self.errors:
                    self.add_error(
                        name,
                        forms.ValidationError(self.fields[name].error_messages["required"], code="required"),
                    )
        return data

    def _clean_registration_number(self, data: dict, country: str | None) -> None:
        raw = data.get("registration_number")
        if raw is None:
            return
        number = compact_registration_number(raw)
        data["registration_number"] = number
        if country == "FR":
            if not number.isdigit() or len(number) not in (9, 14):
                self.add_error(
                    "registration_number",
                    _("A French organisation number is a SIREN (9 digits) or a SIRET (14 digits)."),
                )
            elif siren_of(number) is None:
                label = _("SIREN") if len(number) == 9 else _("SIRET")
                self.add_error(
                    "registration_number", _("This %(kind)s is not valid (check digit).") % {"kind": label}
                )
        elif not _FOREIGN_NUMBER.match(number):
            self.add_error(
                "registration_number", _("Enter the registry number: letters, digits, “.”, “-” or “/”.")
            )


class RejectForm(forms.Form):
    """ACC-2: the reason sent to the applicant when staff reject a request."""

    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=2000,
        help_text=_("Sent to the administrative contact as written."),
    )
