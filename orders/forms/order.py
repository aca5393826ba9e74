"""The order form of every product type (ORD-2, ORD-4): one form, its fields chosen by the product's
profile (orders.services.kinds).

Fields a product does not use are removed in `__init__`, so they are neither shown nor validated.
Type-specific choices land in `options()`, stored in Order.options and priced by
orders.services.pricing. The hidden `origin` and `source_order` carry a renewal, clone or migration
(ORD-10, ORD-12) from the prefilled form to the order.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.countries import COUNTRIES
from accounts.models import Account, Contact, Organisation
from billing.services.documents import BILLING_ADDRESS_KEYS, default_billing_address
from catalog.models import Product
from contracts.services.rules import refusal

from ..csr import CsrError, CsrField, CsrInfo, parse_csr
from ..dcv import offered_methods
from ..models import DcvMethod, Order, OrderOrigin, ServerSoftware
from ..services.dcv_config import caa_problems
from ..services.domain_registry import locked_refusal
from ..services.kinds import CsrMode, Psd2Role, SignatureUserType, profile_for
from ..services.pricing import (
    ASSISTANCE_PRICE,
    DOCUMENT_PACK_PRICE,
    DOCUMENT_PACK_SIZE,
    EIDAS_ID_PRICE,
    MAX_DOCUMENT_PACKS,
    MAX_LICENCES,
    MAX_SIGNATURE_USERS,
    SIGNATURE_USER_PRICES,
    licence_price,
)
from .names import clean_common_name, clean_sans, names_error
from .parts import ContactChoice, Form

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# ETSI TS 119 495 5.2.2: the NCA identifier is the country code, a hyphen and 2-8 letters (FR-ACPR).
_NCA_ID = re.compile(r"^[A-Z]{2}-[A-Z]{2,8}$")
_AUTHORISATION_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./-]{0,39}$")
PREFILL_ORIGINS = (OrderOrigin.ORDERED, OrderOrigin.RENEWAL, OrderOrigin.CLONE, OrderOrigin.MIGRATION)

NAME_FIELDS = ("common_name", "sans", "dcv_method")
SOFTWARE_FIELDS = ("server_software", "server_software_other")
CSR_FIELDS = ("csr_mode", "csr")
LEGAL_FIELDS = ("legal_same_as_admin", "legal_representative")
PSD2_FIELDS = ("psd2_roles", "nca_name", "nca_id", "authorisation_number")
SIGNATURE_FIELDS = ("user_type", "users", "document_packs", "eidas_ids")


def _count(label: StrOrPromise, maximum: int, help_text: StrOrPromise = "") -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        initial=0,
        help_text=help_text,
        validators=[MinValueValidator(0), MaxValueValidator(maximum)],
    )


class OrderForm(Form):
    """ORD-2 / ORD-4: period, holder, contacts and what the product type needs."""

    months = forms.TypedChoiceField(label=_("Validity period"), coerce=int)
    organisation: forms.ModelChoiceField[Organisation] = forms.ModelChoiceField(
        label=_("Holder organisation"),
        queryset=Organisation.objects.none(),
        to_field_name="public_id",
        required=False,
        empty_label=_("— A new organisation (fill in below) —"),
    )
    admin_contact = ContactChoice(
        label=_("Administrative contact"),
        queryset=Contact.objects.none(),
        to_field_name="public_id",
        required=False,
        empty_label=_("— A new contact (fill in below) —"),
        help_text=_("A manager of the holder organisation."),
    )
    technical_same_as_admin = forms.BooleanField(
        label=_("The technical contact is the administrative contact"), required=False
    )
    technical_contact = ContactChoice(
        label=_("Technical contact"),
        queryset=Contact.objects.none(),
        to_field_name="public_id",
        required=False,
        empty_label=_("— A new contact (fill in below) —"),
        help_text=_("The person who installs the certificate; they receive the emails about this order."),
    )
    legal_same_as_admin = forms.BooleanField(
        label=_("The legal representative is the administrative contact"), required=False
    )
    legal_representative = ContactChoice(
        label=_("Legal representative"),
        queryset=Contact.objects.none(),
        to_field_name="public_id",
        required=False,
        empty_label=_("— A new contact (fill in below) —"),
        help_text=_(
            "A person of the holder organisation named in an official document (registration extract, "
            "articles, publication) or holding a delegation."
        ),
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
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One name per line. The www variant of the common name is free."),
    )
    assistance = forms.BooleanField(label=_("Assistance option"), required=False)
    licences = _count(_("Additional machine licences"), MAX_LICENCES)
    chain = forms.ChoiceField(label=_("Certification chain"), required=False)
    csr_mode = forms.ChoiceField(
        label=_("How do you provide the CSR?"),
        choices=CsrMode.choices,
        required=False,
        widget=forms.RadioSelect,
        initial=CsrMode.MANUAL,
    )
    csr = CsrField(
        label=_("Certificate signing request (CSR)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_(
            "Paste the whole request, from -----BEGIN CERTIFICATE REQUEST----- to "
            "-----END CERTIFICATE REQUEST-----. Never paste your private key."
        ),
    )
    dcv_method = forms.ChoiceField(
        label=_("Domain validation method"), choices=DcvMethod.choices, initial=DcvMethod.DNS
    )
    psd2_roles = forms.MultipleChoiceField(
        label=_("PSD2 roles"),
        choices=Psd2Role.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The roles your competent authority granted you."),
    )
    nca_name = forms.CharField(
        label=_("National competent authority"),
        max_length=100,
        help_text=_("For example: Autorité de contrôle prudentiel et de résolution (ACPR)."),
    )
    nca_id = forms.CharField(
        label=_("Competent authority identifier"),
        max_length=11,
        help_text=_("Country code, a hyphen and the authority's abbreviation, for example FR-ACPR."),
    )
    authorisation_number = forms.CharField(
        label=_("Authorisation number"),
        max_length=40,
        help_text=_("The number under which the authority registered you."),
    )
    user_type = forms.ChoiceField(
        label=_("Type of additional users"),
        choices=SignatureUserType.choices,
        initial=SignatureUserType.ADVANCED,
    )
    users = _count(_("Additional users"), MAX_SIGNATURE_USERS)
    document_packs = _count(_("Additional document packs"), MAX_DOCUMENT_PACKS)
    eidas_ids = _count(
        _("eIDAS ID certificates"),
        MAX_SIGNATURE_USERS,
        help_text=_("One qualified identity certificate per signer who needs one."),
    )
    customer_reference = forms.CharField(label=_("Your reference"), max_length=60, required=False)
    # ADM-7: the account's custom fields, labelled as it named them; unlabelled ones are dropped.
    custom_1 = forms.CharField(max_length=200, required=False)
    custom_2 = forms.CharField(max_length=200, required=False)
    custom_3 = forms.CharField(max_length=200, required=False)
    custom_4 = forms.CharField(max_length=200, required=False)
    # ORD-2: the billing address if different from the head office (prefilled from ADM-5's default).
    billing_different = forms.BooleanField(
        label=_("Bill another address than the head office"), required=False
    )
    billing_name = forms.CharField(label=_("Billed entity"), max_length=200, required=False)
    billing_address = forms.CharField(label=_("Billing address"), max_length=250, required=False)
    billing_postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    billing_city = forms.CharField(label=_("City"), max_length=100, required=False)
    billing_country = forms.ChoiceField(
        label=_("Country"), choices=[("", "---------"), *COUNTRIES], required=False
    )
    origin = forms.ChoiceField(
        choices=[(o.value, o.label) for o in PREFILL_ORIGINS], required=False, widget=forms.HiddenInput
    )
    source_order: forms.ModelChoiceField[Order] = forms.ModelChoiceField(
        queryset=Order.objects.none(), to_field_name="reference", required=False, widget=forms.HiddenInput
    )

    def custom_field_names(self) -> list[str]:
        return [name for name in ("custom_1", "custom_2", "custom_3", "custom_4") if name in self.fields]

    def custom_bound_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.custom_field_names()]

    def __init__(self, *args: Any, account: Account, product: Product, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.account, self.product = account, product
        self.profile = profile = profile_for(product)
        self.csr_info: CsrInfo | None = None
        # CON-1, CON-2: outside the contract in force, or a brand whose terms are not accepted.
        self.refusal = refusal(account, product)
        default = default_billing_address(account)
        if default and not self.is_bound:
            self.initial.setdefault("billing_different", True)
            for key in BILLING_ADDRESS_KEYS:
                self.initial.setdefault(f"billing_{key}", default[key])
        cast(forms.ChoiceField, self.fields["months"]).choices = [
            (
                p.months,
                ngettext(
                    "%(months)d month – %(price)s € excl. VAT",
                    "%(months)d months – %(price)s € excl. VAT",
                    p.months,
                )
                % {"months": p.months, "price": p.price},
            )
            for p in product.periods.all()
        ]
        cast(forms.ModelChoiceField, self.fields["organisation"]).queryset = Organisation.objects.filter(
            account=account
        )
        contacts = Contact.objects.filter(account=account).select_related("organisation")
        for name in ("admin_contact", "technical_contact", "legal_representative"):
            cast(forms.ModelChoiceField, self.fields[name]).queryset = contacts
        cast(forms.ModelChoiceField, self.fields["source_order"]).queryset = Order.objects.filter(
            account=account
        )
        self._drop_unused(profile)
        labels = dict(account.custom_fields)
        for number in range(1, 5):
            if number in labels:
                self.fields[f"custom_{number}"].label = labels[number]
            else:
                del self.fields[f"custom_{number}"]
        if profile.is_client:
            self.fields["admin_contact"].label = _("Certificate holder (administrative contact)")
            self.fields["admin_contact"].help_text = _(
                "The person named in the certificate: their email address goes in it. They must belong to the "
                "holder organisation."
            )
        if "dcv_method" in self.fields:  # ORD-8: the brand's methods today (email ends on 2028-03-15)
            offered = offered_methods(product.brand, timezone.now())
            cast(forms.ChoiceField, self.fields["dcv_method"]).choices = [
                (m, DcvMethod(m).label) for m in offered
            ]
        if profile.csr:
            cast(forms.ChoiceField, self.fields["csr_mode"]).choices = [
                (mode.value, mode.label) for mode in profile.csr_modes
            ]
        if profile.assistance:
            self.fields["assistance"].help_text = _(
                "We assist you through the technical steps of the purchase and installation (%(price)s € excl. "
                "VAT); the CSR may then come later."
            ) % {"price": ASSISTANCE_PRICE}
        if "licences" in self.fields:
            self.fields["licences"].help_text = _(
                "One licence per additional device the certificate is installed on (0 to %(max)d), %(price)s € "
                "excl. VAT per licence and year."
            ) % {"max": MAX_LICENCES, "price": licence_price(product)}
        if profile.chains:
            cast(forms.ChoiceField, self.fields["chain"]).choices = [
                (
                    chain.code,
                    _("%(label)s (recommended)") % {"label": chain.label}
                    if chain.recommended
                    else chain.label,
                )
                for chain in profile.chains
            ]
            self.fields["chain"].initial = profile.recommended_chain
        if profile.is_signature:
            self.fields["users"].help_text = _(
                "Beyond those the product includes; per user and year: %(prices)s."
            ) % {
                "prices": ", ".join(
                    f"{SignatureUserType(code).label} {price} €"
                    for code, price in SIGNATURE_USER_PRICES.items()
                )
            }
            self.fields["document_packs"].help_text = _(
                "Packs of %(size)d documents, %(price)s € excl. VAT each."
            ) % {"size": DOCUMENT_PACK_SIZE, "price": DOCUMENT_PACK_PRICE}
            self.fields["eidas_ids"].help_text = _(
                "One qualified identity certificate per signer who needs one, %(price)s € excl. VAT per certificate "
                "and year."
            ) % {"price": EIDAS_ID_PRICE}

    def _drop_unused(self, profile: Any) -> None:
        unused: list[str] = []
        if not profile.names:
            unused += NAME_FIELDS
        if not profile.server_software:
            unused += SOFTWARE_FIELDS
        if not profile.csr:
            unused += CSR_FIELDS
        if not profile.assistance:
            unused.append("assistance")
        if licence_price(self.product) is None or not profile.names:
            unused.append("licences")
        if not profile.chains:
            unused.append("chain")
        if not profile.legal_representative:
            unused += LEGAL_FIELDS
        if not profile.psd2:
            unused += PSD2_FIELDS
        if not profile.is_signature:
            unused += SIGNATURE_FIELDS
        for name in unused:
            del self.fields[name]

    # Field by field ----------------------------------------------------------------------------

    def clean_common_name(self) -> str:
        return clean_common_name(self.cleaned_data["common_name"], self.product)

    def clean_sans(self) -> list[str]:
        return clean_sans(self.cleaned_data["sans"], self.product)

    def clean_chain(self) -> str:
        # ORD-2: the recommended chain unless another is chosen.
        return self.cleaned_data["chain"] or self.profile.recommended_chain

    def clean_csr_mode(self) -> str:
        return self.cleaned_data["csr_mode"] or CsrMode.MANUAL

    def clean_csr(self) -> str:
        text = self.cleaned_data["csr"]
        if not text.strip() or self.cleaned_data.get("csr_mode") == CsrMode.INVITATION:
            return ""
        try:
            self.csr_info = parse_csr(text)
        except CsrError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None
        return self.csr_info.pem

    def clean_nca_id(self) -> str:
        value = self.cleaned_data["nca_id"].strip().upper()
        if not _NCA_ID.match(value):
            raise forms.ValidationError(
                _(
                    "Write the country code, a hyphen and the authority's abbreviation in "
                    "capitals, for example FR-ACPR."
                ),
                code="nca_id",
            )
        return value

    def clean_authorisation_number(self) -> str:
        value = self.cleaned_data["authorisation_number"].strip()
        if not _AUTHORISATION_NUMBER.match(value):
            raise forms.ValidationError(
                _("Letters, digits, spaces, dots, slashes and hyphens only."), code="authorisation_number"
            )
        return value

    def _count_or_zero(self, name: str) -> int:
        return self.cleaned_data.get(name) or 0

    def clean_licences(self) -> int:
        return self._count_or_zero("licences")

    def clean_users(self) -> int:
        return self._count_or_zero("users")

    def clean_document_packs(self) -> int:
        return self._count_or_zero("document_packs")

    def clean_eidas_ids(self) -> int:
        return self._count_or_zero("eidas_ids")

    def clean_origin(self) -> str:
        return self.cleaned_data["origin"] or OrderOrigin.ORDERED

    # The form as a whole ----------------------------------------------------------------------

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.refusal is not None:
            self.add_error(None, self.refusal.message)
        if (
            data.get("server_software") == ServerSoftware.OTHER
            and not data.get("server_software_other", "").strip()
        ):
            self.add_error("server_software_other", _("Name the server software you use."))
        common_name, sans = data.get("common_name"), data.get("sans")
        if common_name and sans is not None:
            self._check_names(common_name, sans)
            if settings.DCV_CAA_PRECHECK and "common_name" not in self.errors and "sans" not in self.errors:
                self._check_caa(common_name, sans)
        if self.profile.csr and "csr" not in self.errors and not data.get("csr"):
            self._check_csr_missing(data)
        if data.get("billing_different"):
            for key in ("address", "postal_code", "city", "country"):
                if not str(data.get(f"billing_{key}", "")).strip():
                    self.add_error(f"billing_{key}", _("Needed to bill another address."))
        if (
            data.get("origin", OrderOrigin.ORDERED) != OrderOrigin.ORDERED
            and not data.get("source_order")
            and "source_order" not in self.errors
        ):
            self.add_error("source_order", _("The order to renew, clone or migrate is missing."))
        return data

    def _check_caa(self, common_name: str, sans: list[str]) -> None:
        """ORD-8 [beyond]: CAA records (RFC 8659) checked before submission, with a clear message."""
        problems = caa_problems(self.product, [common_name, *sans])
        if problems:
            self.add_error(
                "common_name",
                _(
                    "The CAA records of your domains do not allow this certification "
                    "authority to issue: %(details)s Add its identifier to the records, "
                    "or choose another brand."
                )
                % {"details": " ".join(problems)},
            )

    def _check_csr_missing(self, data: dict) -> None:
        mode = data.get("csr_mode") or CsrMode.MANUAL
        if mode == CsrMode.INVITATION or data.get("assistance"):
            return
        if mode == CsrMode.KEYBOT:
            self.add_error("csr", _("Generate the CSR with KeyBot (the button above), or paste one."))
        else:
            self.add_error("csr", _("Paste the CSR, or let KeyBot make it in your browser."))

    def _check_names(self, common_name: str, sans: list[str]) -> None:
        error = names_error(self.product, common_name, sans, may_change_product=True)
        if error:
            self.add_error("sans", error)
        if self.product.is_server:  # AUTO-3: a locked domain refuses new orders
            for field, names in (("common_name", [common_name]), ("sans", sans)):
                locked = locked_refusal(self.account.pk, names)
                if locked:
                    self.add_error(field, locked)

    def options(self) -> dict:
        """ORD-2 / ORD-4: the type-specific choices of a valid form, as stored in Order.options."""
        data, profile, options = self.cleaned_data, self.profile, {}
        if profile.csr:
            options["csr_mode"] = data["csr_mode"]
        if profile.assistance:
            options["assistance"] = data["assistance"]
        if "licences" in self.fields:
            options["licences"] = data["licences"]
        if profile.chains:
            options["chain"] = data["chain"]
        if profile.psd2:
            options.update(
                psd2_roles=[role for role in Psd2Role.values if role in data["psd2_roles"]],
                nca_name=data["nca_name"].strip(),
                nca_id=data["nca_id"],
                authorisation_number=data["authorisation_number"],
            )
        if profile.is_signature:
            options.update(
                user_type=data["user_type"],
                users=data["users"],
                document_packs=data["document_packs"],
                eidas_ids=data["eidas_ids"],
            )
        if data.get("billing_different"):
            options["billing_address"] = {
                key: " ".join(str(data[f"billing_{key}"]).split()) for key in BILLING_ADDRESS_KEYS
            }
        return options
