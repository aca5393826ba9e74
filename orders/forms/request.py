"""`OrderRequest` binds the order form and its optional parts to one POST (ORD-2, ORD-4).

The parts (a new organisation, new administrative / technical contacts, a new legal
representative) are validated only when the user picks "new" in the matching drop-down. Every
error lands next to its field and a re-rendered form keeps everything typed. Drop-downs list the
account's own organisations and contacts only, so a hand-posted id of another account's contact is
refused as an invalid choice.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.db import transaction
from django.db.models import QuerySet
from django.forms.utils import ErrorDict
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.countries import COUNTRY_NAMES
from accounts.models import Account, Contact, Organisation, User
from accounts.organisations import create_contact, create_organisation
from catalog.models import Product

from ..ca.profiles import needs_organisation
from ..models import DcvMethod, Order, OrderOrigin, ServerSoftware
from ..services.kinds import Chain, CsrMode, OrderKind, Psd2Role, SignatureUserType
from ..services.ordering import csr_warnings, submit_order
from ..services.pricing import name_lines, option_lines, vat_amount
from .order import OrderForm
from .parts import NewContactForm, NewOrganisationForm

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _choices(form: forms.Form, name: str) -> QuerySet[Any]:
    """The choices of a model choice field of `form` (OrderForm sets them in __init__)."""
    queryset = cast(forms.ModelChoiceField, form.fields[name]).queryset
    assert queryset is not None
    return queryset


class OrderRequest:
    """The order form and its optional parts, validated together (ORD-2, ORD-4)."""

    def __init__(
        self, data: Any = None, *, account: Account, product: Product, initial: dict | None = None
    ) -> None:
        self.account, self.product = account, product
        self.order = OrderForm(data, account=account, product=product, initial=initial)
        self.profile = self.order.profile
        self.organisation = NewOrganisationForm(data, prefix="org", account=account)
        self.admin = NewContactForm(data, prefix="admin")
        self.technical = NewContactForm(data, prefix="tech")
        self.legal = NewContactForm(data, prefix="legal")
        self.is_bound = data is not None

    def is_valid(self) -> bool:
        if not self.is_bound:
            return False
        valid = self._validate()
        for part in (self.organisation, self.admin, self.technical, self.legal):
            if part not in self._used:
                # Not used (an existing organisation or contact was picked): it keeps what was typed
                # but shows no "required" errors.
                # django-stubs do not declare BaseForm._errors (Django's cache of a form's errors):
                # setting it marks the part validated, without running its validation queries.
                part._errors = ErrorDict()  # type: ignore[union-attr]
                part.cleaned_data = {}
        return valid

    def _validate(self) -> bool:
        self._used: set[forms.BaseForm] = set()
        valid = self.order.is_valid()
        data = self.order.cleaned_data
        holder = data.get("organisation")
        new_holder = holder is None and "organisation" not in self.order.errors
        if new_holder:
            self._used.add(self.organisation)
            valid = self.organisation.is_valid() and valid
        valid = self._check_member("admin_contact", self.admin, holder, new_holder) and valid
        if (
            not data.get("technical_same_as_admin")
            and data.get("technical_contact") is None
            and "technical_contact" not in self.order.errors
        ):
            self._used.add(self.technical)
            valid = self.technical.is_valid() and valid
        if self.profile.legal_representative and not data.get("legal_same_as_admin"):
            valid = self._check_member("legal_representative", self.legal, holder, new_holder) and valid
        return valid

    def _check_member(
        self, name: str, new_form: NewContactForm, holder: Organisation | None, new_holder: bool
    ) -> bool:
        """A contact that must belong to the holder organisation: picked from it, or new (ORD-2)."""
        contact = self.order.cleaned_data.get(name)
        if contact is None and name not in self.order.errors:
            self._used.add(new_form)
            return new_form.is_valid()
        if contact is not None and holder is not None and contact.organisation_id != holder.pk:
            self.order.add_error(
                name,
                _("%(role)s must belong to the holder organisation (%(name)s).")
                % {"role": self.order.fields[name].label, "name": holder.name},
            )
            return False
        if contact is not None and new_holder:
            self.order.add_error(
                name,
                _(
                    "%(role)s must belong to the holder organisation: choose “a new "
                    "contact” for a new organisation."
                )
                % {"role": self.order.fields[name].label},
            )
            return False
        return name not in self.order.errors

    @property
    def forms(self) -> list[forms.BaseForm]:
        return [self.order, self.organisation, self.admin, self.technical, self.legal]

    @property
    def has_errors(self) -> bool:
        return any(form.is_bound and form.errors for form in self.forms)

    # What the review page shows (ORD-3), from a valid request ----------------------------------

    def _holder(self) -> Any:
        return self.order.cleaned_data["organisation"] or self.organisation.cleaned_data

    def holder_name(self) -> str:
        holder = self.order.cleaned_data["organisation"]
        return holder.name if holder else self.organisation.cleaned_data["name"]

    def _holder_field(self, name: str) -> str:
        holder = self._holder()
        return getattr(holder, name) if isinstance(holder, Organisation) else holder[name]

    def _admin(self) -> Any:
        return self.order.cleaned_data["admin_contact"] or self.admin.cleaned_data

    def _admin_email(self) -> str:
        admin = self._admin()
        return admin.email if isinstance(admin, Contact) else admin["email"]

    def _technical(self) -> Any:
        data = self.order.cleaned_data
        if data["technical_same_as_admin"]:
            return self._admin()
        return data["technical_contact"] or self.technical.cleaned_data

    def _legal(self) -> Any:
        if not self.profile.legal_representative:
            return None
        data = self.order.cleaned_data
        if data["legal_same_as_admin"]:
            return self._admin()
        return data["legal_representative"] or self.legal.cleaned_data

    def common_name(self) -> str:
        """The certificate's common name: the names ordered for a server certificate, the holder's email
        for a client certificate (nominative, ORD-4), the holder organisation's name otherwise."""
        if self.profile.names:
            return self.order.cleaned_data["common_name"]
        if self.profile.kind == OrderKind.CLIENT:
            return self._admin_email().lower()
        return self.holder_name()

    def sans(self) -> list[str]:
        return self.order.cleaned_data["sans"] if self.profile.names else []

    def summary(self) -> dict:
        data, profile = self.order.cleaned_data, self.profile
        options = self.order.options()
        months, common_name, sans = data["months"], self.common_name(), self.sans()
        lines = name_lines(self.product, months, common_name, sans) if profile.names else []
        extras = option_lines(self.product, months, options)
        period = next(p.price for p in self.product.periods.all() if p.months == months)
        total = (
            period
            + sum((line.price for line in lines), Decimal("0.00"))
            + sum((line.amount for line in extras), Decimal("0.00"))
        )
        vat = vat_amount(total)
        csr = self.order.csr_info
        return {
            "profile": profile,
            "months": months,
            "period_price": period,
            "lines": lines,
            "options": extras,
            "price_excl_vat": total,
            "vat_amount": vat,
            "price_incl_vat": total + vat,
            "csr": csr,
            "common_name": common_name,
            "holder": self._holder(),
            "holder_country": COUNTRY_NAMES.get(self._holder_field("country"), self._holder_field("country")),
            "admin": self._admin(),
            "technical": self._technical(),
            "legal": self._legal(),
            "server_software": self._software_label() if profile.server_software else "",
            "dcv_method": DcvMethod(data["dcv_method"]).label if profile.names else "",
            "csr_mode": CsrMode(options["csr_mode"]).label if profile.csr else "",
            "csr_by_invitation": profile.csr and options["csr_mode"] == CsrMode.INVITATION,
            "chain": self._chain_label(options.get("chain")),
            "psd2_roles": [Psd2Role(role).label for role in options.get("psd2_roles", [])],
            "signature_user_type": SignatureUserType(options["user_type"]).label
            if profile.is_signature
            else "",
            "option_values": options,
            "origin": OrderOrigin(data["origin"]).label if data["origin"] != OrderOrigin.ORDERED else "",
            "source_order": data["source_order"],
            "approval_needed": self.account.approval_mode,  # the view knows whether the user approves
            "names_organisation": needs_organisation(self.product),
            "warnings": self._warnings(csr, common_name, sans),
        }

    def _software_label(self) -> StrOrPromise:
        data = self.order.cleaned_data
        if data["server_software"] == ServerSoftware.OTHER:
            return data["server_software_other"]
        return ServerSoftware(data["server_software"]).label

    def _chain_label(self, code: str | None) -> str:
        chain: Chain | None = next((c for c in self.profile.chains if c.code == code), None)
        return chain.label if chain else ""

    def _warnings(self, csr: Any, common_name: str, sans: list[str]) -> list[str]:
        if csr is None:
            return []
        return csr_warnings(
            self.account,
            csr,
            common_name=common_name,
            sans=sans,
            organisation_name=self.holder_name(),
            organisation_city=self._holder_field("city"),
            organisation_country=self._holder_field("country"),
            holder_email=self._admin_email() if self.profile.kind == OrderKind.CLIENT else "",
            check_names=self.profile.names,
            check_organisation=self.product.validation != Product.Validation.DV,  # DV names no organisation
        )

    # Placing the order (ORD-3 confirm) ---------------------------------------------------------

    def place(
        self, *, user: User | None, request: HttpRequest | None = None, token: str = "", **extra: Any
    ) -> Order:
        """Create the new organisation/contacts, then the order, in one transaction.

        `extra` goes to submit_order as is (an external order link passes `external_link`).
        """
        data = self.order.cleaned_data
        with transaction.atomic():
            holder = data["organisation"] or create_organisation(
                self.account, user=user, request=request, **self.organisation.cleaned_data
            )
            admin = data["admin_contact"] or create_contact(
                holder, user=user, request=request, **self.admin.cleaned_data
            )
            if data["technical_same_as_admin"]:
                technical = admin
            else:
                technical = data["technical_contact"] or create_contact(
                    holder, user=user, request=request, **self.technical.cleaned_data
                )
            legal = None
            if self.profile.legal_representative:
                legal = (
                    admin
                    if data["legal_same_as_admin"]
                    else data["legal_representative"]
                    or create_contact(holder, user=user, request=request, **self.legal.cleaned_data)
                )
            common_name = (
                admin.email.lower()
                if self.profile.kind == OrderKind.CLIENT
                else (data["common_name"] if self.profile.names else holder.name)
            )
            return submit_order(
                account=self.account,
                user=user,
                product=self.product,
                period_months=data["months"],
                organisation=holder,
                admin_contact=admin,
                technical_contact=technical,
                legal_representative=legal,
                common_name=common_name,
                sans=self.sans(),
                csr=data.get("csr", ""),
                server_software=data.get("server_software", ""),
                server_software_other=data.get("server_software_other", "").strip(),
                dcv_method=data.get("dcv_method", ""),
                customer_reference=data["customer_reference"].strip(),
                custom_fields={name: data[name].strip() for name in self.order.custom_field_names()},
                options=self.order.options(),
                origin=data["origin"],
                source_order=data["source_order"],
                request=request,
                submission_token=token,
                **extra,
            )

    # KeyBot (ORD-7): where the browser takes the CSR's subject from ----------------------------

    def keybot_context(self) -> dict:
        """JSON for static/js/keybot.src.js: the mode and the ids of the fields to read."""
        mode = {OrderKind.SERVER: "server", OrderKind.CLIENT: "client"}.get(self.profile.kind, "organisation")
        order, org, admin = self.order, self.organisation, self.admin
        fields = {
            "organisation": order["organisation"],
            "admin_contact": order["admin_contact"],
            "org_name": org["name"],
            "org_city": org["city"],
            "org_country": org["country"],
            "admin_email": admin["email"],
        }
        if self.profile.names:
            fields.update(common_name=order["common_name"], sans=order["sans"])
        return {
            "mode": mode,
            "fields": {key: f"#{bound.id_for_label}" for key, bound in fields.items()},
            "organisations": {
                o.public_id: {"name": o.name, "city": o.city, "country": o.country}
                for o in _choices(order, "organisation")
            },
            "contacts": {c.public_id: {"email": c.email} for c in _choices(order, "admin_contact")}
            if mode == "client"
            else {},
        }
