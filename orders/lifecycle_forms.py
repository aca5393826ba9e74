"""Forms of renewal by reference (ORD-10), reissue (ORD-11), migration target (ORD-12) and import (ORD-15).

Server-side validation only, each error next to its field; drop-downs list the account's own
organisations, contacts and certificates, so another account's id posted by hand is an invalid choice.
"""

from __future__ import annotations

import re
from typing import Any, cast

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import Account, Contact, Organisation
from catalog.models import Product

from .csr import CsrError, CsrField, CsrInfo, parse_csr
from .models import Certificate, Order, ServerSoftware
from .services.imports import MAX_FILES
from .services.kinds import OrderKind, profile_for
from .services.names import dns_name_error, normalise_name
from .services.pricing import paying_sans
from .services.reissue import GRACE_DAYS, OldCertificate, ReissueReason, may_change_names

_NAME_SEPARATORS = re.compile(r"[\s,;]+")


class _Form(forms.Form):
    use_required_attribute = False


class RenewOtherForm(_Form):
    """ORD-10 "renew another certificate": our reference or the CA's."""

    reference = forms.CharField(label=_("Our reference or the CA reference"), max_length=60)
    not_found_message = _("No order of your account has this reference.")


class _CertificateChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Certificate) -> str:
        return _("%(serial)s – valid until %(date)s") % {"serial": obj.serial, "date": obj.not_after.date()}


class ReissueForm(_Form):
    """ORD-11: reason, certificate replaced and its fate, new CSR, names (multi-site only), software."""

    reason = forms.ChoiceField(label=_("Reason for the reissue"), choices=ReissueReason.choices)
    replaced = _CertificateChoice(
        label=_("Certificate replaced"),
        queryset=Certificate.objects.none(),
        to_field_name="serial",
        empty_label=None,
    )
    old_certificate = forms.ChoiceField(
        label=_("The replaced certificate"),
        choices=OldCertificate.choices,
        initial=OldCertificate.KEEP,
        widget=forms.RadioSelect,
        help_text=_("A compromised key is always revoked now."),
    )
    grace_days = forms.TypedChoiceField(
        label=_("Grace delay before the revocation"),
        coerce=int,
        required=False,
        empty_value=None,
        choices=lambda: [
            (days, ngettext("%(days)d day", "%(days)d days", days) % {"days": days}) for days in GRACE_DAYS
        ],
    )  # a callable: labels in the language of each request
    csr = CsrField(
        label=_("New certificate signing request (CSR)"),
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_(
            "Paste the whole request, from -----BEGIN CERTIFICATE REQUEST----- to "
            "-----END CERTIFICATE REQUEST-----. Never paste your private key."
        ),
    )
    sans = forms.CharField(
        label=_("Additional names"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "One name per line. They may change only when names are added on a multi-site certificate."
        ),
    )
    server_software = forms.ChoiceField(
        label=_("Server software"),
        required=False,
        choices=[("", _("— Unchanged —")), *ServerSoftware.choices],
    )
    server_software_other = forms.CharField(label=_("Other server software"), max_length=100, required=False)
    chain = forms.ChoiceField(
        label=_("Certification chain"),
        required=False,
        help_text=_(
            "The chain the new certificate's downloads present; older devices need the cross-signed one."
        ),
    )

    def __init__(self, *args: Any, order: Order, valid: list[Certificate], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("sans", "\n".join(order.sans))
        chains = profile_for(order.product).chains
        kwargs["initial"].setdefault(
            "chain", order.options.get("chain") or next((c.code for c in chains if c.recommended), "")
        )
        if valid:
            kwargs["initial"].setdefault("replaced", valid[0].serial)
        super().__init__(*args, **kwargs)
        self.order = order
        self.csr_info: CsrInfo | None = None
        cast(forms.ModelChoiceField, self.fields["replaced"]).queryset = Certificate.objects.filter(
            pk__in=[c.pk for c in valid]
        )
        if chains:
            cast(forms.ChoiceField, self.fields["chain"]).choices = [(c.code, c.label) for c in chains]
        else:
            del self.fields["chain"]
        if not may_change_names(order.product):
            cast(forms.ChoiceField, self.fields["reason"]).choices = [
                c for c in ReissueReason.choices if c[0] != ReissueReason.SAN_ADDED
            ]

    def clean_csr(self) -> str:
        try:
            self.csr_info = parse_csr(self.cleaned_data["csr"])
        except CsrError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None
        return self.csr_info.pem

    def keybot_context(self) -> dict[str, Any]:
        """KeyBot (ORD-7) as on the order form, for static/js/keybot.src.js: the subject comes from
        the order (common name, holder organisation, holder's email, held in the hidden inputs of
        templates/orders/reissue/form.html) and the DNS names from the form's additional names."""
        order = self.order
        kind = profile_for(order.product).kind
        mode = {OrderKind.SERVER: "server", OrderKind.CLIENT: "client"}.get(kind, "organisation")
        organisation, holder = order.organisation, order.admin_contact
        return {
            "mode": mode,
            "fields": {
                "organisation": "#kb-reissue-organisation",
                "admin_contact": "#kb-reissue-holder",
                "common_name": "#kb-reissue-cn",
                "sans": f"#{self['sans'].id_for_label}",
            },
            "organisations": {
                organisation.public_id: {
                    "name": organisation.name,
                    "city": organisation.city,
                    "country": organisation.country,
                }
            },
            "contacts": {holder.public_id: {"email": holder.email}} if mode == "client" else {},
        }

    def clean_sans(self) -> list[str]:
        product = self.order.product
        allow_wildcard = product.wildcard or product.wildcard_san_price > 0
        names, errors = [], []
        for raw in _NAME_SEPARATORS.split(self.cleaned_data["sans"]):
            name = normalise_name(raw)
            if not name:
                continue
            error = dns_name_error(name, allow_wildcard=allow_wildcard)
            if error:
                errors.append(forms.ValidationError(error, code="name"))
            elif name in names or name == self.order.common_name:
                errors.append(
                    forms.ValidationError(
                        _("“%(name)s” is listed twice."), code="duplicate", params={"name": name}
                    )
                )
            else:
                names.append(name)
        if errors:
            raise forms.ValidationError(errors)
        return names

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        reason, sans = data.get("reason"), data.get("sans")
        if sans is not None and reason and sorted(sans) != sorted(self.order.sans):
            if reason != ReissueReason.SAN_ADDED:
                self.add_error(
                    "sans",
                    _(
                        "The names stay the same for this reason; choose “%(reason)s” to change "
                        "them on a multi-site certificate."
                    )
                    % {"reason": ReissueReason.SAN_ADDED.label},
                )
            elif paying_sans(self.order.common_name, sans) > self.order.product.max_sans:
                self.add_error(
                    "sans",
                    _("This product takes at most %(max)d additional names.")
                    % {"max": self.order.product.max_sans},
                )
        elif sans is not None:
            data["sans"] = list(self.order.sans)  # same names, the order's own order kept
        if reason == ReissueReason.KEY_COMPROMISE:
            data["old_certificate"] = OldCertificate.REVOKE_NOW
        elif data.get("old_certificate") == OldCertificate.REVOKE_LATER and not data.get("grace_days"):
            self.add_error("grace_days", _("Choose the delay before the revocation."))
        replaced = data.get("replaced")
        if (
            reason == ReissueReason.KEY_COMPROMISE
            and self.csr_info
            and replaced
            and self.csr_info.public_key_sha256 == replaced.public_key_sha256
        ):
            self.add_error("csr", _("This request uses the compromised key: generate a new key pair."))
        if (
            data.get("server_software") == ServerSoftware.OTHER
            and not data.get("server_software_other", "").strip()
        ):
            self.add_error("server_software_other", _("Name the server software you use."))
        return data


class _ProductChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Product) -> str:
        return obj.full_name


class MigrationTargetForm(_Form):
    """ORD-12: the product of ours a migrated order becomes (the proposed one preselected)."""

    product = _ProductChoice(
        label=_("New product"), queryset=Product.objects.none(), to_field_name="code", empty_label=None
    )

    def __init__(self, *args: Any, choices: list[Product], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["product"]).queryset = (
            Product.objects.filter(pk__in=[p.pk for p in choices])
            .select_related("brand")
            .order_by("position", "name")
        )


class _MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class _MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", _MultipleFileInput(attrs={"accept": ".pem,.crt,.cer,.der,.p7b,.p7c,.txt"})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        if isinstance(data, list | tuple):
            return [super(_MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)] if data else []


class _ContactChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Contact) -> str:
        return f"{obj.full_name} <{obj.email}>"


class ImportForm(_Form):
    """ORD-15: files and/or a pasted PEM bundle, the holder organisation, the certificate manager, the product."""

    # The form's metaclass moves declared fields to base_fields, so `self.files` stays the uploaded
    # files of BaseForm; django-stubs cannot tell a field named "files" from that attribute.
    files = _MultipleFileField(  # type: ignore[assignment]
        label=_("Certificate files"),
        required=False,
        help_text=_("PEM, DER or PKCS#7 (.p7b, .p7c); several files at once."),
    )
    pasted = forms.CharField(
        label=_("Or paste certificates (PEM)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("One or more blocks from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----."),
    )
    organisation: forms.ModelChoiceField[Organisation] = forms.ModelChoiceField(
        label=_("Holder organisation"), queryset=Organisation.objects.none(), to_field_name="public_id"
    )
    manager = _ContactChoice(
        label=_("Certificate manager"),
        queryset=Contact.objects.none(),
        to_field_name="public_id",
        help_text=_("The contact who manages these certificates."),
    )
    product = _ProductChoice(
        label=_("Product"),
        queryset=Product.objects.none(),
        to_field_name="code",
        required=False,
        empty_label=_("— Recognise it from each certificate —"),
        help_text=_(
            "The product family these certificates were bought as; by default we "
            "recognise it from the issuer and the certificate's content."
        ),
    )

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["organisation"]).queryset = Organisation.objects.filter(
            account=account
        ).order_by("name")
        cast(forms.ModelChoiceField, self.fields["manager"]).queryset = (
            Contact.objects.filter(account=account)
            .select_related("organisation")
            .order_by("last_name", "first_name")
        )
        cast(forms.ModelChoiceField, self.fields["product"]).queryset = (
            Product.objects.filter(active=True, brand__active=True, is_test=False)
            .select_related("brand")
            .order_by("brand__position", "position", "name")
        )

    def clean_files(self) -> list[UploadedFile]:
        files = self.cleaned_data["files"]
        if len(files) > MAX_FILES:
            raise forms.ValidationError(_("Send at most %(max)d files at once.") % {"max": MAX_FILES})
        return files

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if not data.get("files") and not data.get("pasted", "").strip() and "files" not in self.errors:
            self.add_error("files", _("Choose at least one file or paste a certificate."))
        return data

    def sources(self) -> list[tuple[str, bytes]]:
        """(name, content) of every file sent and of the pasted text."""
        sources = [(f.name[:100], f.read(1024 * 1024)) for f in self.cleaned_data["files"]]
        if self.cleaned_data.get("pasted", "").strip():
            sources.append((str(_("Pasted text")), self.cleaned_data["pasted"].encode()))
        return sources
