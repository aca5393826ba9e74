"""Forms of the user menu (ACC-8): own contact details, email, processing purposes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.administration.forms import email_taken
from accounts.forms import validate_phone
from accounts.models import User

from .services import PROCESSING_PURPOSES


class ProfileForm(forms.ModelForm):
    """ACC-8: what a user corrects about themself; username and rights are not theirs to change."""

    phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        required=False,
        validators=[validate_phone],
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    language = forms.ChoiceField(label=_("Language of emails"), choices=settings.LANGUAGES)

    class Meta:
        model = User
        fields = ["first_name", "last_name", "phone", "language"]
        labels = {"first_name": _("First name"), "last_name": _("Last name")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("first_name", "last_name"):
            self.fields[name].required = True


class EmailChangeForm(forms.Form):
    email = forms.EmailField(label=_("New email"))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if email == self.user.email:
            raise forms.ValidationError(_("This already is your email."), code="same")
        if email_taken(email, exclude=self.user):
            raise forms.ValidationError(_("Another user already has this email."), code="email_taken")
        return email


class ProcessingPurposesForm(forms.Form):
    purposes = forms.MultipleChoiceField(
        label=_("I accept that my data is used for"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=list(PROCESSING_PURPOSES.items()),
    )
