"""The installation test form (LIFE-4, MON-2): host, port, StartTLS; refusals next to their field."""

from __future__ import annotations

import ipaddress
import re
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Account

from . import network
from .installation import ascii_host
from .models import StartTls

_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    labels = host.split(".")
    return len(host) <= 253 and all(_LABEL.match(label) for label in labels)


class InstallationTestForm(forms.Form):
    use_required_attribute = False  # server-side validation, each message next to its field

    host = forms.CharField(
        label=_("Host name or IP address"),
        max_length=253,
        help_text=_("The server where the certificate is installed, as clients reach it."),
    )
    port = forms.IntegerField(
        label=_("Port"),
        min_value=1,
        max_value=65535,
        initial=443,
        help_text=_(
            "443 for a web site; 465, 587 or 25 for mail (SMTP), 993 or 143 "
            "(IMAP), 995 or 110 (POP3), 636 (LDAP), 5432 (PostgreSQL)..."
        ),
    )
    starttls = forms.ChoiceField(
        label=_("StartTLS"),
        choices=StartTls.choices,
        required=False,
        help_text=_("For a protocol that starts in plain text, e.g. SMTP on 587 or 25."),
    )

    def __init__(self, *args: Any, allow_private: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.allow_private = allow_private

    def clean_host(self) -> str:
        try:
            host = ascii_host(self.cleaned_data["host"])
        except UnicodeError:
            host = ""
        if not _valid_host(host):
            raise forms.ValidationError(_("Enter a host name (such as www.example.com) or an IP address."))
        return host

    def clean_port(self) -> int:
        port = self.cleaned_data["port"]
        if not network.port_allowed(port):
            raise forms.ValidationError(
                _(
                    "This port cannot be tested: use 443, a usual mail, directory or "
                    "database port, or a port from 1024 up."
                )
            )
        return port

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if "host" in data and "port" in data:
            try:
                network.resolve_target(data["host"], data["port"], allow_private=self.allow_private)
            except network.TargetRefused as exc:
                self.add_error("host", exc.reason.message)
        return data


class MonitoringSettingsForm(forms.ModelForm):
    """MON-1: the account's monitoring settings; the manager is one of the account's users."""

    class Meta:
        from .models import MonitoringSettings

        model = MonitoringSettings
        fields = [
            "enabled_by_default",
            "default_frequency",
            "manager",
            "email_format",
            "scope",
            "include_imported",
        ]

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from accounts.models import User

        cast(forms.ModelChoiceField, self.fields["manager"]).queryset = User.objects.filter(
            account=account, is_active=True
        ).order_by("username")


class EndpointForm(forms.ModelForm):
    """MON-2: names to test (one per line), port, StartTLS, enabled, frequency."""

    use_required_attribute = False

    class Meta:
        from .models import MonitoredEndpoint

        model = MonitoredEndpoint
        fields = ["names", "port", "starttls", "enabled", "frequency"]
        widgets = {"names": forms.Textarea(attrs={"rows": 3})}

    def clean_names(self) -> str:
        names = []
        for line in self.cleaned_data["names"].splitlines():
            name = line.strip().lower().rstrip(".")
            if not name:
                continue
            try:
                name = ascii_host(name)
            except UnicodeError:
                raise forms.ValidationError(
                    _("“%(name)s” is not a valid host name.") % {"name": line.strip()}
                ) from None
            if not _valid_host(name) or "*" in name:
                raise forms.ValidationError(
                    _("“%(name)s” is not a valid host name.") % {"name": line.strip()}
                )
            names.append(name)
        if not names:
            raise forms.ValidationError(_("Give at least one name to test."))
        if len(names) > 20:
            raise forms.ValidationError(_("Twenty names at most."))
        return "\n".join(dict.fromkeys(names))

    def clean_port(self) -> int:
        port = self.cleaned_data["port"]
        if not network.port_allowed(port):
            raise forms.ValidationError(
                _(
                    "This port cannot be tested: use 443, a usual mail, directory or database port, or a port from 1024 up."
                )
            )
        return port
