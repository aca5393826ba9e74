"""Forms of the second-factor pages (ACC-5, ACC-6)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class CodeForm(forms.Form):
    """The login step: a code from the authenticator app or a backup code."""

    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        help_text=_("The 6-digit code shown by your authenticator app, or one of your backup codes."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}
        ),
    )


class TotpConfirmForm(forms.Form):
    code = forms.RegexField(
        label=_("Code shown by the app"),
        regex=r"^\s*\d{3}\s?\d{3}\s*$",
        error_messages={"invalid": _("Type the 6 digits the app shows.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class PasskeyNameForm(forms.Form):
    name = forms.CharField(
        label=_("Passkey name"),
        max_length=100,
        help_text=_("To recognise it later, e.g. “Work laptop” or “Phone”."),
    )

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Give the passkey a name."))
        return name


class RequireSecondFactorForm(forms.Form):
    require_2fa = forms.BooleanField(
        label=_("Every user of the account must log in with a second factor"), required=False
    )
