"""Administration › Upstream ACME CAs (AUTO-4 [beyond]): a brand served by an outside ACME CA.

The EAB HMAC key is typed once and stored encrypted (orders.ca.secrets); the form never shows it
again (an empty field keeps the stored key). Changing the directory or the EAB key id makes the
connector register a new account on its next issuance. Every save is audited, secrets masked.
"""

from __future__ import annotations

import binascii
from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from josepy import b64

from accounts.audit import log_action

from .ca import secrets
from .models import UpstreamAcmeAccount


class UpstreamAcmeAccountForm(forms.ModelForm):
    directory_url = forms.URLField(label=_("ACME directory URL"), max_length=500, assume_scheme="https")
    eab_hmac = forms.CharField(
        label=_("EAB HMAC key"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "As the CA gave it (base64url). Stored encrypted and never shown again: leave empty to keep "
            "the stored key."
        ),
    )

    class Meta:
        model = UpstreamAcmeAccount
        fields = ("brand", "enabled", "directory_url", "contact_email", "eab_key_id", "eab_hmac")

    def clean_eab_hmac(self) -> str:
        value: str = self.cleaned_data.get("eab_hmac", "")
        if value:
            try:
                if not b64.b64decode(value):
                    raise ValueError
            except (binascii.Error, ValueError):
                raise forms.ValidationError(_("This is not a base64url key.")) from None
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        has_key = bool(data.get("eab_hmac")) or bool(self.instance.eab_hmac_encrypted)
        if data.get("eab_key_id") and not has_key:
            self.add_error("eab_hmac", _("An EAB key identifier needs its HMAC key."))
        if data.get("eab_hmac") and not data.get("eab_key_id"):
            self.add_error("eab_key_id", _("An HMAC key needs its EAB key identifier."))
        return data


@admin.register(UpstreamAcmeAccount)
class UpstreamAcmeAccountAdmin(admin.ModelAdmin):
    form = UpstreamAcmeAccountForm
    list_display = ("brand", "directory_url", "enabled", "registered", "created_at")
    list_filter = ("enabled",)
    readonly_fields = ("account_url", "hmac_stored", "created_at")

    @admin.display(description=_("registered"), boolean=True)
    def registered(self, obj: UpstreamAcmeAccount) -> bool:
        return bool(obj.account_url)

    @admin.display(description=_("HMAC key stored"), boolean=True)
    def hmac_stored(self, obj: UpstreamAcmeAccount) -> bool:
        return bool(obj.eab_hmac_encrypted)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        hmac = form.cleaned_data.get("eab_hmac", "")
        if hmac:
            obj.eab_hmac_encrypted = secrets.encrypt(hmac)
        if not obj.eab_key_id:
            obj.eab_hmac_encrypted = ""
        if change and ({"directory_url", "eab_key_id"} & set(form.changed_data) or hmac):
            obj.account_url = ""  # a new CA or binding: register again on the next issuance
        super().save_model(request, obj, form, change)
        log_action(
            "upstream.saved" if change else "upstream.created",
            obj=obj,
            request=request,
            brand=obj.brand.code,
            directory_url=obj.directory_url,
            enabled=obj.enabled,
            eab_key_id=obj.eab_key_id,
            eab_hmac="***" if hmac else "(unchanged)",
        )
