"""Forms of the certificate actions (ADM-3)."""

from __future__ import annotations

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .services import MIN_PKCS12_PASSWORD


class Pkcs12Form(forms.Form):
    """ADM-3: the password that protects the PKCS#12 file, typed twice by the administrator."""

    password1 = forms.CharField(
        label=_("Password of the file"),
        strip=False,
        min_length=MIN_PKCS12_PASSWORD,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        # Lazy as a whole: "%" on a lazy text would translate it once, at import, in English.
        help_text=lazy(
            lambda: (
                gettext("At least %(count)d characters. Give it to the user another way than the file.")
                % {"count": MIN_PKCS12_PASSWORD}
            ),
            str,
        )(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_password2(self) -> str | None:
        first, second = self.cleaned_data.get("password1"), self.cleaned_data.get("password2")
        if first and second and first != second:
            raise forms.ValidationError(_("The two passwords differ."))
        return second
