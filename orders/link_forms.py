"""The public order form of an external order link (ORD-5): holder, contacts, names, CSR.

No account's data is offered here (the person has no access to the account): the holder and the
contacts are typed in, and the service matches them to the account's by organisation number and
email. Every error lands next to its field; nothing typed is lost on a re-render.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.countries import COUNTRIES
from accounts.forms import compact_registration_number, siren_of, validate_phone
from catalog.models import Product

from .csr import CsrError, CsrField, CsrInfo, parse_csr
from .dcv import offered_methods
from .forms.names import clean_common_name, clean_sans, names_error
from .models import DcvMethod, ServerSoftware
from .services.links import ExternalOrderData, PersonData


class _Form(forms.Form):
    use_required_attribute = False


def _phone(label: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=40,
        validators=[validate_phone],
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )


class ContactForm(_Form):
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    email = forms.EmailField(label=_("Email"))
    phone = _phone(_("Phone"))

    def person(self) -> PersonData:
        data = self.cleaned_data
        return PersonData(
            data["first_name"].strip(),
            data["last_name"].strip(),
            data["email"].strip().lower(),
            data["phone"].strip(),
        )


class ExternalOrderForm(_Form):
    """ORD-5: the order itself, for the link's product; the contacts are two ContactForms."""

    registration_number = forms.CharField(
        label=_("Organisation number"),
        max_length=40,
        help_text=_(
            "SIREN (9 digits) or SIRET (14 digits) for a French company, otherwise the registry number."
        ),
    )
    organisation_name = forms.CharField(label=_("Organisation name"), max_length=200)
    country = forms.ChoiceField(label=_("Country"), choices=COUNTRIES, initial="FR")
    address = forms.CharField(label=_("Address"), max_length=250)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20)
    city = forms.CharField(label=_("City"), max_length=100)
    technical_same_as_admin = forms.BooleanField(
        label=_("The technical contact is the administrative contact"), required=False
    )
    server_software = forms.ChoiceField(
        label=_("Server software"), choices=[("", "---------"), *ServerSoftware.choices]
    )
    server_software_other = forms.CharField(label=_("Other server software"), max_length=100, required=False)
    common_name = forms.CharField(
        label=_("Common name"),
        max_length=253,
        help_text=_("The main name to secure, for example www.example.com."),
    )
    sans = forms.CharField(
        label=_("Additional names"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One name per line. The www variant of the common name is free."),
    )
    csr = CsrField(
        label=_("Certificate signing request (CSR)"),
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_(
            "Paste the whole request, from -----BEGIN CERTIFICATE REQUEST----- to "
            "-----END CERTIFICATE REQUEST-----. Never paste your private key."
        ),
    )
    dcv_method = forms.ChoiceField(
        label=_("Domain validation method"), choices=DcvMethod.choices, initial=DcvMethod.DNS
    )
    # Anti-abuse: a field hidden from people (CSS and aria-hidden); robots fill it in.
    website = forms.CharField(required=False, label=_("Leave this field empty"))

    def __init__(self, *args: Any, product: Product, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.product = product
        self.csr_info: CsrInfo | None = None
        # STAFF-3: only the methods the product's brand accepts (catalog data).
        offered = offered_methods(product.brand, timezone.now())
        cast(forms.ChoiceField, self.fields["dcv_method"]).choices = [
            (m, DcvMethod(m).label) for m in offered
        ]
        self.fields["dcv_method"].initial = offered[0] if offered else None

    def is_bot(self) -> bool:
        return bool(self.data.get("website"))

    def clean_registration_number(self) -> str:
        return compact_registration_number(self.cleaned_data["registration_number"])

    def clean_common_name(self) -> str:
        return clean_common_name(self.cleaned_data["common_name"], self.product)

    def clean_sans(self) -> list[str]:
        return clean_sans(self.cleaned_data["sans"], self.product)

    def clean_csr(self) -> str:
        try:
            self.csr_info = parse_csr(self.cleaned_data["csr"])
        except CsrError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None
        return self.csr_info.pem

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        number, country = data.get("registration_number"), data.get("country")
        if number and country == "FR" and siren_of(number) is None:
            self.add_error(
                "registration_number",
                _("A French organisation number is a valid SIREN (9 digits) or SIRET (14 digits)."),
            )
        if (
            data.get("server_software") == ServerSoftware.OTHER
            and not data.get("server_software_other", "").strip()
        ):
            self.add_error("server_software_other", _("Name the server software you use."))
        common_name, sans = data.get("common_name"), data.get("sans")
        if common_name and sans is not None:
            self._check_names(common_name, sans)
        return data

    def _check_names(self, common_name: str, sans: list[str]) -> None:
        error = names_error(self.product, common_name, sans, may_change_product=False)
        if error:
            self.add_error("sans", error)


class ExternalOrderRequest:
    """The order form and its two contact forms, validated together."""

    def __init__(self, data: Any = None, *, product: Product) -> None:
        self.order = ExternalOrderForm(data, product=product)
        self.admin = ContactForm(data, prefix="admin")
        self.technical = ContactForm(data, prefix="tech")
        self.is_bound = data is not None

    def is_valid(self) -> bool:
        if not self.is_bound:
            return False
        valid = self.order.is_valid()
        valid = self.admin.is_valid() and valid
        if self.order.cleaned_data.get("technical_same_as_admin"):
            # Not validated: shown again unbound, with what was typed, so it shows no errors.
            self.technical = ContactForm(
                prefix="tech",
                initial={
                    name: self.technical.data.get(self.technical.add_prefix(name), "")
                    for name in self.technical.fields
                },
            )
        else:
            valid = self.technical.is_valid() and valid
        return valid

    def is_bot(self) -> bool:
        return self.order.is_bot()

    def data(self) -> ExternalOrderData:
        d = self.order.cleaned_data
        return ExternalOrderData(
            registration_number=d["registration_number"],
            organisation_name=d["organisation_name"].strip(),
            country=d["country"],
            address=d["address"].strip(),
            postal_code=d["postal_code"].strip(),
            city=d["city"].strip(),
            admin=self.admin.person(),
            technical=None if d["technical_same_as_admin"] else self.technical.person(),
            common_name=d["common_name"],
            sans=d["sans"],
            csr=d["csr"],
            server_software=d["server_software"],
            server_software_other=d["server_software_other"].strip(),
            dcv_method=d["dcv_method"],
        )
