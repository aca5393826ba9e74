"""Forms of the Administration section: users (ADM-1, ADM-2), API users (ADM-4), logs filter (ADM-9)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.forms import validate_phone
from accounts.models import Right, User

GRANT_REFUSED = _(
    "You can grant or take away only the rights you hold yourself, and only the super user grants "
    "Approval and Billing: %(rights)s."
)


class RightsCheckboxes(forms.CheckboxSelectMultiple):
    """The rights as checkboxes; those the administrator may not grant are shown disabled."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.locked: set[str] = set()

    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(*args, **kwargs)
        if str(option["value"]) in self.locked:
            option["attrs"]["disabled"] = True
        return option


class RightsField(forms.TypedMultipleChoiceField):
    """ADM-2: the five rights as checkboxes; cleaned to a list of `Right`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Rights"))
        super().__init__(
            choices=Right.choices, coerce=Right, required=False, widget=RightsCheckboxes, **kwargs
        )


if TYPE_CHECKING:
    _FormMixin = forms.Form
else:
    _FormMixin = object


class GrantRightsMixin(_FormMixin):
    """Issue 13: a form that grants rights knows which ones its user may grant (`grantable`) and
    which ones the target holds (`held`). Rights beyond the grantable ones are refused when ticked
    and kept as they are when their (disabled, hence not posted) box stays ticked."""

    def setup_grant(self, grantable: set[Right] | None, held: set[Right]) -> None:
        self.grantable = set(Right) if grantable is None else set(grantable)
        self.held = set(held)
        widget = cast(RightsCheckboxes, self.fields["rights"].widget)
        widget.locked = {right.value for right in Right if right not in self.grantable}

    def clean_rights(self) -> list[Right]:
        wanted = set(self.cleaned_data["rights"])
        beyond = (wanted - self.held) - self.grantable
        if beyond:
            raise forms.ValidationError(
                GRANT_REFUSED,
                code="beyond_own_rights",
                params={"rights": ", ".join(str(Right(r).label) for r in sorted(beyond))},
            )
        kept = self.held - self.grantable
        return sorted((wanted & self.grantable) | kept)


def email_taken(email: str, *, exclude: User | None = None) -> bool:
    """Login accepts an email (ACC-3): one address opens at most one user."""
    users = User.objects.filter(email__iexact=email)
    if exclude is not None:
        users = users.exclude(pk=exclude.pk)
    return users.exists()


class UserAddForm(GrantRightsMixin, forms.Form):
    """ADM-1: a new user of the account, with a password typed twice and the rights ticked."""

    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    email = forms.EmailField(label=_("Email"))
    phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        required=False,
        validators=[validate_phone],
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    username = forms.CharField(
        label=_("Username"),
        min_length=3,
        max_length=150,
        validators=[User.username_validator],
        help_text=_("Letters, digits and . + - _ only. The user logs in with it or with the email."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    password1 = forms.CharField(
        label=_("Initial password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Initial password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    rights = RightsField(help_text=_("The super user holds every right; others only those ticked."))
    language = forms.ChoiceField(
        label=_("Language"), choices=settings.LANGUAGES, help_text=_("Of the emails the user receives.")
    )
    notify = forms.BooleanField(
        label=_("Notify by email"),
        required=False,
        help_text=_("The user receives their username and the login address, never the password."),
    )

    def __init__(self, *args: Any, grantable: set[Right] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.setup_grant(grantable, set())

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if "@" in username:
            raise forms.ValidationError(_("A username cannot contain “@”."), code="at_sign")
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(
                _("This username is already taken; choose another one."), code="taken"
            )
        return username

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if email_taken(email):
            raise forms.ValidationError(_("Another user already has this email."), code="email_taken")
        return email

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        password1, password2 = data.get("password1"), data.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error(
                "password2", forms.ValidationError(_("The two passwords differ."), code="mismatch")
            )
        elif password1:
            candidate = User(
                username=data.get("username", ""),
                email=data.get("email", ""),
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
            )
            try:
                password_validation.validate_password(password1, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class UserRightsForm(GrantRightsMixin, forms.Form):
    """ADM-2: the rights of an existing user (their identity is theirs to edit, not ours: ADM-1)."""

    rights = RightsField()

    def __init__(
        self, *args: Any, grantable: set[Right] | None = None, held: set[Right] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.setup_grant(grantable, held or set())


class TokenExpiryMixin(forms.Form):
    """Issue 13.8: an optional expiry date, in the future; the token stops working at the start
    of that day (the portal's time zone)."""

    expires_on = forms.DateField(
        label=_("Expires on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Optional. From this day on, the API refuses the token."),
    )

    def clean_expires_on(self) -> date | None:
        expires_on: date | None = self.cleaned_data.get("expires_on")
        if expires_on is not None and expires_on <= timezone.localdate():
            raise forms.ValidationError(_("The expiry date must be in the future."))
        return expires_on

    def expires_at(self) -> datetime | None:
        """The instant the token expires, from the validated date."""
        expires_on: date | None = self.cleaned_data.get("expires_on")
        if expires_on is None:
            return None
        return timezone.make_aware(datetime.combine(expires_on, time.min))


class ApiUserForm(TokenExpiryMixin, forms.Form):
    """ADM-4: a new API user, limited to the rights ticked."""

    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What uses this access, for example “Billing export script”."),
    )
    rights = RightsField(help_text=_("The API refuses what these rights do not allow."))


class ApiTokenForm(TokenExpiryMixin, forms.Form):
    name = forms.CharField(
        label=_("Token name"), max_length=100, help_text=_("Where the token is used, to recognise it later.")
    )


class AuditLogFilterForm(forms.Form):
    """ADM-9: period and action type. An action without a dot is a namespace (`user` → `user.*`)."""

    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    action = forms.ChoiceField(label=_("Action"), required=False)

    def __init__(self, *args: Any, actions: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        namespaces = sorted({code.split(".", 1)[0] for code in actions if "." in code})
        choices: list = [("", _("All actions"))]
        for namespace in namespaces:
            codes = [(code, code) for code in actions if code.startswith(namespace + ".")]
            choices.append(
                (namespace, [(namespace, _("%(namespace)s: all") % {"namespace": namespace}), *codes])
            )
        others = [(code, code) for code in actions if "." not in code]
        cast(forms.ChoiceField, self.fields["action"]).choices = choices + others

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start: date | None = data.get("date_from")
        end: date | None = data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end of the period is before its start."))
        return data
