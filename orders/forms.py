"""The server certificate order form (ORD-2) and its parts: holder organisation, contacts, names, CSR.

`OrderRequest` binds four Django forms to one POST: the order itself and, used only when the user
picks "new" in a drop-down, a new organisation and new administrative / technical contacts. Every
error lands next to its field and a re-rendered form keeps everything typed. Drop-downs list the
account's own organisations and contacts only, so a hand-posted id of another account's contact is
refused as an invalid choice.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.countries import COUNTRIES
from accounts.forms import compact_registration_number, siren_of, validate_phone
from accounts.models import Account, Contact, Organisation, User
from catalog.models import Product

from .csr import CsrError, CsrInfo, parse_csr
from .models import DcvMethod, Order, ServerSoftware
from .services import create_contact, create_organisation, csr_warnings, submit_order
from .services.names import dns_name_error, normalise_name
from .services.pricing import NameKind, classify_names, name_lines, paying_sans, sells_extra_names, vat_amount

_NAME_SEPARATORS = re.compile(r"[\s,;]+")


class _Form(forms.Form):
    # Server-side validation only, so that every message shows next to its field.
    use_required_attribute = False


class NewOrganisationForm(forms.ModelForm):
    """A holder organisation created with the order; its number first, as its key (ORD-2)."""

    use_required_attribute = False
    country = forms.ChoiceField(label=_("Country"), choices=COUNTRIES, initial="FR")

    class Meta:
        model = Organisation
        fields = ["registration_number", "name", "country", "vat_number", "naf_code", "address", "postal_code",
                  "city", "phone"]

    def __init__(self, *args, account: Account, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account
        self.fields["phone"].validators.append(validate_phone)

    def clean_registration_number(self) -> str:
        return compact_registration_number(self.cleaned_data["registration_number"])

    def clean(self):
        data = super().clean()
        number, country = data.get("registration_number"), data.get("country")
        if number and country == "FR" and siren_of(number) is None:
            self.add_error("registration_number", _("A French organisation number is a valid SIREN (9 digits) "
                                                    "or SIRET (14 digits)."))
        elif number and Organisation.objects.filter(account=self.account, registration_number=number).exists():
            self.add_error("registration_number", _("An organisation with this number is already in your account: "
                                                    "pick it in the list above."))
        return data

    def validate_unique(self):
        # The account is set by the service; uniqueness in the account is checked in clean().
        pass


class NewContactForm(forms.ModelForm):
    use_required_attribute = False

    class Meta:
        model = Contact
        fields = ["first_name", "last_name", "email", "phone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phone"].validators.append(validate_phone)


class _ContactChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Contact) -> str:
        return f"{obj.full_name} <{obj.email}> – {obj.organisation.name}"


class OrderForm(_Form):
    """ORD-2: period, holder, contacts, server software, names, CSR, DCV method, your reference."""

    months = forms.TypedChoiceField(label=_("Validity period"), coerce=int)
    organisation = forms.ModelChoiceField(
        label=_("Holder organisation"), queryset=Organisation.objects.none(), to_field_name="public_id",
        required=False, empty_label=_("— A new organisation (fill in below) —"))
    admin_contact = _ContactChoice(
        label=_("Administrative contact"), queryset=Contact.objects.none(), to_field_name="public_id",
        required=False, empty_label=_("— A new contact (fill in below) —"),
        help_text=_("A manager of the holder organisation."))
    technical_same_as_admin = forms.BooleanField(
        label=_("The technical contact is the administrative contact"), required=False)
    technical_contact = _ContactChoice(
        label=_("Technical contact"), queryset=Contact.objects.none(), to_field_name="public_id",
        required=False, empty_label=_("— A new contact (fill in below) —"),
        help_text=_("The person who installs the certificate; they receive the emails about this order."))
    server_software = forms.ChoiceField(label=_("Server software"),
                                        choices=[("", "---------"), *ServerSoftware.choices])
    server_software_other = forms.CharField(label=_("Other server software"), max_length=100, required=False)
    common_name = forms.CharField(label=_("Common name"), max_length=253,
                                  help_text=_("The main name to secure, for example www.example.com."))
    sans = forms.CharField(label=_("Additional names"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
                           help_text=_("One name per line. The www variant of the common name is free."))
    csr = forms.CharField(label=_("Certificate signing request (CSR)"), widget=forms.Textarea(attrs={"rows": 10}),
                          help_text=_("Paste the whole request, from -----BEGIN CERTIFICATE REQUEST----- to "
                                      "-----END CERTIFICATE REQUEST-----. Never paste your private key."))
    dcv_method = forms.ChoiceField(label=_("Domain validation method"), choices=DcvMethod.choices,
                                   initial=DcvMethod.DNS)
    customer_reference = forms.CharField(label=_("Your reference"), max_length=60, required=False)

    def __init__(self, *args, account: Account, product: Product, **kwargs):
        super().__init__(*args, **kwargs)
        self.account, self.product = account, product
        self.csr_info: CsrInfo | None = None
        self.fields["months"].choices = [
            (p.months, ngettext("%(months)d month – %(price)s € excl. VAT", "%(months)d months – %(price)s € excl. VAT",
                                p.months) % {"months": p.months, "price": p.price})
            for p in product.periods.all()
        ]
        self.fields["organisation"].queryset = Organisation.objects.filter(account=account)
        contacts = Contact.objects.filter(account=account).select_related("organisation")
        self.fields["admin_contact"].queryset = contacts
        self.fields["technical_contact"].queryset = contacts

    def clean_common_name(self) -> str:
        name = normalise_name(self.cleaned_data["common_name"])
        error = dns_name_error(name, allow_wildcard=self.product.wildcard)
        if error:
            raise forms.ValidationError(error, code="name")
        return name

    def clean_sans(self) -> list[str]:
        allow_wildcard = self.product.wildcard or self.product.wildcard_san_price > 0
        names, errors, seen = [], [], set()
        for raw in _NAME_SEPARATORS.split(self.cleaned_data["sans"]):
            name = normalise_name(raw)
            if not name:
                continue
            error = dns_name_error(name, allow_wildcard=allow_wildcard)
            if error:
                errors.append(forms.ValidationError(error, code="name"))
            elif name in seen:
                errors.append(forms.ValidationError(_("“%(name)s” is listed twice."), code="duplicate",
                                                    params={"name": name}))
            seen.add(name)
            names.append(name)
        if errors:
            raise forms.ValidationError(errors)
        return names

    def clean_csr(self) -> str:
        try:
            self.csr_info = parse_csr(self.cleaned_data["csr"])
        except CsrError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None
        return self.csr_info.pem

    def clean(self):
        data = super().clean()
        if data.get("server_software") == ServerSoftware.OTHER and not data.get("server_software_other", "").strip():
            self.add_error("server_software_other", _("Name the server software you use."))
        common_name, sans = data.get("common_name"), data.get("sans")
        if common_name and sans is not None:
            self._check_names(common_name, sans)
        return data

    def _check_names(self, common_name: str, sans: list[str]) -> None:
        if common_name in sans:
            self.add_error("sans", _("“%(name)s” is already the common name.") % {"name": common_name})
            return
        if not sells_extra_names(self.product):
            extra = [name for name, kind in classify_names(common_name, sans) if kind != NameKind.FREE]
            if extra:
                self.add_error("sans", _("This product secures the common name and its www variant only: "
                                         "choose a multi-domain product for %(names)s.")
                               % {"names": ", ".join(extra)})
                return
        count = paying_sans(common_name, sans)
        if count > self.product.max_sans:
            self.add_error("sans", _("This product takes at most %(max)d additional names (the free www variant "
                                     "not counted); you entered %(count)d.")
                           % {"max": self.product.max_sans, "count": count})


class OrderRequest:
    """The order form and its optional parts, validated together (ORD-2)."""

    def __init__(self, data=None, *, account: Account, product: Product, initial: dict | None = None):
        self.account, self.product = account, product
        self.order = OrderForm(data, account=account, product=product, initial=initial)
        self.organisation = NewOrganisationForm(data, prefix="org", account=account)
        self.admin = NewContactForm(data, prefix="admin")
        self.technical = NewContactForm(data, prefix="tech")
        self.is_bound = data is not None

    def is_valid(self) -> bool:
        if not self.is_bound:
            return False
        valid = self.order.is_valid()
        data = self.order.cleaned_data
        holder = data.get("organisation")
        new_holder = holder is None and "organisation" not in self.order.errors
        if new_holder:
            valid = self.organisation.is_valid() and valid
        admin = data.get("admin_contact")
        if admin is None and "admin_contact" not in self.order.errors:
            valid = self.admin.is_valid() and valid
        elif admin is not None and holder is not None and admin.organisation_id != holder.pk:
            self.order.add_error("admin_contact", _("The administrative contact must belong to the holder "
                                                    "organisation (%(name)s).") % {"name": holder.name})
            valid = False
        elif admin is not None and new_holder:
            self.order.add_error("admin_contact", _("The administrative contact must belong to the holder "
                                                    "organisation: choose “a new contact” for a new organisation."))
            valid = False
        if not data.get("technical_same_as_admin") and data.get("technical_contact") is None \
                and "technical_contact" not in self.order.errors:
            valid = self.technical.is_valid() and valid
        return valid

    @property
    def forms(self) -> list[forms.BaseForm]:
        return [self.order, self.organisation, self.admin, self.technical]

    @property
    def has_errors(self) -> bool:
        return any(form.is_bound and form.errors for form in self.forms)

    # What the review page shows (ORD-3), from a valid request.

    def holder_name(self) -> str:
        holder = self.order.cleaned_data["organisation"]
        return holder.name if holder else self.organisation.cleaned_data["name"]

    def summary(self) -> dict:
        data = self.order.cleaned_data
        months, common_name, sans = data["months"], data["common_name"], data["sans"]
        lines = name_lines(self.product, months, common_name, sans)
        period = next(p.price for p in self.product.periods.all() if p.months == months)
        total = period + sum((line.price for line in lines), Decimal("0.00"))
        vat = vat_amount(total)
        return {
            "months": months, "period_price": period, "lines": lines, "price_excl_vat": total,
            "vat_amount": vat, "price_incl_vat": total + vat, "csr": self.order.csr_info,
            "holder": data["organisation"] or self.organisation.cleaned_data,
            "admin": data["admin_contact"] or self.admin.cleaned_data,
            "technical": self._technical() or self.technical.cleaned_data,
            "server_software": (data["server_software_other"] if data["server_software"] == ServerSoftware.OTHER
                                else ServerSoftware(data["server_software"]).label),
            "dcv_method": DcvMethod(data["dcv_method"]).label,
            "warnings": csr_warnings(self.account, self.order.csr_info, common_name=common_name, sans=sans,
                                     organisation_name=self.holder_name()),
        }

    def _technical(self):
        data = self.order.cleaned_data
        if data["technical_same_as_admin"]:
            return data["admin_contact"] or self.admin.cleaned_data
        return data["technical_contact"]

    def place(self, *, user: User, request=None, token: str = "") -> Order:
        """ORD-3 confirm: create the new organisation/contacts, then the order, in one transaction."""
        data = self.order.cleaned_data
        with transaction.atomic():
            holder = data["organisation"] or create_organisation(
                self.account, user=user, request=request, **self.organisation.cleaned_data)
            admin = data["admin_contact"] or create_contact(holder, user=user, request=request,
                                                            **self.admin.cleaned_data)
            if data["technical_same_as_admin"]:
                technical = admin
            else:
                technical = data["technical_contact"] or create_contact(
                    holder, user=user, request=request, **self.technical.cleaned_data)
            return submit_order(
                account=self.account, user=user, product=self.product, period_months=data["months"],
                organisation=holder, admin_contact=admin, technical_contact=technical,
                common_name=data["common_name"], sans=data["sans"], csr=data["csr"],
                server_software=data["server_software"], server_software_other=data["server_software_other"].strip(),
                dcv_method=data["dcv_method"], customer_reference=data["customer_reference"].strip(),
                request=request, submission_token=token,
            )
