"""Back office of deposit coupons, promo codes, late-payment statements, rebates, pending
charges and low-balance alert states (ACCT-4 to ACCT-6, LEDG-1, ADM-5, STAFF-2). Imported by
billing/admin.py. Owner: h16.

A row's page is read-only: every state change goes through an admin action that calls the
service, which locks, re-checks and audits with the staff member's name. Staff create a
commercial-gesture promo code and a deposit coupon through their add forms, which call the
services too (numbered, audited).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from django import forms
from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.typing import signed_in_user

from .models import (
    BalanceAlert,
    Coupon,
    LatePaymentStatement,
    PendingCharge,
    PromoCode,
    PromoKind,
    PromoOrigin,
    Rebate,
)
from .pdf import pdf_response
from .services.coupons import CouponError, issue_coupon, mark_refunded, to_amount
from .services.late_payment import abandon_statement, mark_statement_paid
from .services.monthly import withdraw_charge
from .services.promos import cancel_promo_code, issue_promo_code

M = TypeVar("M", bound=Model)


def _run(
    modeladmin: admin.ModelAdmin[M],
    request: HttpRequest,
    queryset: QuerySet[M],
    action: Callable[[M], object],
    message: Callable[[int], str],
) -> None:
    """Call `action(obj)` for each selected row; report the successes (`message(count)`) and each
    refusal."""
    done = 0
    for obj in queryset:
        try:
            action(obj)
        except ValueError as error:  # the services' refusals carry a message for the user
            modeladmin.message_user(request, f"{obj}: {error}", messages.ERROR)
        else:
            done += 1
    modeladmin.message_user(request, message(done), messages.SUCCESS)


class StateOnlyAdmin(admin.ModelAdmin):
    """A row's page is read-only (view permission); the list's actions change states through the
    services (change permission without an object); nothing is deleted (history is kept)."""

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AddThroughServiceAdmin(StateOnlyAdmin):
    """The add form takes `add_form`'s fields; `issue(request, obj)` creates the row."""

    add_form: type[forms.ModelForm]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm[Any]]:
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is None:
            return tuple(self.add_form._meta.fields or ())
        return tuple(f.name for f in self.model._meta.concrete_fields if f.name != "id")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.get_fields(request, obj) if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            created = self.issue(request, obj)
            obj.pk = created.pk
            obj.__dict__.update(
                {f.attname: getattr(created, f.attname) for f in self.model._meta.concrete_fields}
            )

    def issue(self, request: HttpRequest, obj: Any) -> Model:
        """Create the row the add form describes (`obj`, unsaved) through the service."""
        raise NotImplementedError


# Deposit coupons --------------------------------------------------------------------------------


class CouponAddForm(forms.ModelForm):
    """STAFF: a coupon for money received (a double payment...); numbered by the service."""

    class Meta:
        model = Coupon
        fields = ["account", "amount", "origin_reference", "origin_note", "expires_on"]

    def clean_amount(self) -> Decimal:
        try:
            return to_amount(self.cleaned_data["amount"])
        except CouponError as error:
            raise forms.ValidationError(str(error)) from None


@admin.register(Coupon)
class CouponAdmin(AddThroughServiceAdmin):
    add_form = CouponAddForm
    list_display = (
        "number",
        "account",
        "amount",
        "origin_reference",
        "state",
        "used_reference",
        "applied_amount",
        "expires_on",
        "created_at",
    )
    list_filter = ("state", "created_at")
    list_select_related = ("account",)
    search_fields = ("number", "account__name", "origin_reference", "used_reference")
    raw_id_fields = ("account",)
    actions = ["mark_refunded_action"]

    def issue(self, request: HttpRequest, obj: Coupon) -> Coupon:
        # The form validated the amount and the one-coupon-per-origin constraint.
        return issue_coupon(
            obj.account,
            obj.amount,
            origin_reference=obj.origin_reference,
            by=signed_in_user(request),
            note=obj.origin_note,
            expires_on=obj.expires_on,
        )

    @admin.action(description=_("Mark the selected coupons refunded"), permissions=["change"])
    def mark_refunded_action(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        _run(
            self,
            request,
            queryset,
            lambda coupon: mark_refunded(coupon, signed_in_user(request)),
            lambda n: (
                ngettext("%(count)d coupon marked refunded.", "%(count)d coupons marked refunded.", n)
                % {"count": n}
            ),
        )


# Promo codes ------------------------------------------------------------------------------------


class PromoCodeAddForm(forms.ModelForm):
    """STAFF: a commercial gesture for one account; the code and its validity are generated."""

    class Meta:
        model = PromoCode
        fields = ["account", "kind", "value", "note"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("kind") == PromoKind.PERCENT and cleaned.get("value") and cleaned["value"] > 100:
            self.add_error("value", _("A percentage is at most 100."))
        return cleaned


@admin.register(PromoCode)
class PromoCodeAdmin(AddThroughServiceAdmin):
    add_form = PromoCodeAddForm
    list_display = (
        "code",
        "account",
        "kind",
        "value",
        "origin",
        "state",
        "valid_until",
        "used_reference",
        "used_at",
        "discount",
    )
    list_filter = ("state", "origin", "kind")
    list_select_related = ("account",)
    search_fields = ("code", "account__name", "used_reference")
    raw_id_fields = ("account",)
    actions = ["cancel_action"]

    def issue(self, request: HttpRequest, obj: PromoCode) -> PromoCode:
        return issue_promo_code(
            obj.account,
            obj.value,
            origin=PromoOrigin.GESTURE,
            kind=obj.kind,
            by=signed_in_user(request),
            note=obj.note,
        )

    @admin.action(description=_("Cancel the selected promo codes"), permissions=["change"])
    def cancel_action(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        _run(
            self,
            request,
            queryset,
            lambda promo: cancel_promo_code(promo, signed_in_user(request)),
            lambda n: (
                ngettext("%(count)d promo code cancelled.", "%(count)d promo codes cancelled.", n)
                % {"count": n}
            ),
        )


# Late-payment statements ------------------------------------------------------------------------


@admin.register(LatePaymentStatement)
class LatePaymentStatementAdmin(StateOnlyAdmin):
    list_display = (
        "display_number",
        "account",
        "invoice",
        "issue_date",
        "days_late",
        "penalties",
        "indemnity",
        "total",
        "status",
        "pdf_link",
    )
    list_filter = ("status", "issue_date")
    list_select_related = ("account", "invoice")
    search_fields = ("display_number", "account__name", "invoice__display_number")
    exclude = ("pdf",)
    actions = ["mark_paid_action", "abandon_action"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).defer("pdf", "invoice__pdf")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [f.name for f in self.model._meta.concrete_fields if f.name != "pdf"] + ["pdf_link"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        urls = [
            path(
                "<int:pk>/pdf/",
                self.admin_site.admin_view(self.download_pdf),
                name="billing_latepaymentstatement_pdf",
            )
        ]
        return urls + super().get_urls()

    def download_pdf(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise Http404
        statement = LatePaymentStatement.objects.filter(pk=pk).first()
        if statement is None or not statement.pdf:
            raise Http404
        return pdf_response(statement)

    @admin.display(description=_("PDF"))
    def pdf_link(self, obj: LatePaymentStatement) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:billing_latepaymentstatement_pdf", args=[obj.pk]),
            _("Download PDF"),
        )

    @admin.action(description=_("Mark the selected statements paid"), permissions=["change"])
    def mark_paid_action(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        _run(
            self,
            request,
            queryset,
            lambda statement: mark_statement_paid(statement, signed_in_user(request), request=request),
            lambda n: (
                ngettext("%(count)d statement marked paid.", "%(count)d statements marked paid.", n)
                % {"count": n}
            ),
        )

    @admin.action(description=_("Abandon the selected statements"), permissions=["change"])
    def abandon_action(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        _run(
            self,
            request,
            queryset,
            lambda statement: abandon_statement(statement, signed_in_user(request), request=request),
            lambda n: (
                ngettext("%(count)d statement abandoned.", "%(count)d statements abandoned.", n)
                % {"count": n}
            ),
        )


# Rebates, pending charges, alert states ---------------------------------------------------------


@admin.register(Rebate)
class RebateAdmin(StateOnlyAdmin):
    list_display = (
        "quarter",
        "account",
        "base_amount",
        "rate",
        "amount",
        "state",
        "recovery_reference",
        "recovered_at",
    )
    list_filter = ("state", "quarter")
    list_select_related = ("account",)
    search_fields = ("account__name", "quarter", "recovery_reference")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [f.name for f in self.model._meta.concrete_fields]


@admin.register(PendingCharge)
class PendingChargeAdmin(StateOnlyAdmin):
    list_display = (
        "date",
        "account",
        "reference",
        "description",
        "amount",
        "invoiced_document",
        "withdrawn_at",
    )
    list_filter = ("date", ("invoiced_document", admin.EmptyFieldListFilter))
    list_select_related = ("account", "invoiced_document")
    search_fields = ("reference", "account__name", "description")
    actions = ["withdraw_action"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).defer("invoiced_document__pdf")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [f.name for f in self.model._meta.concrete_fields]

    @admin.action(
        description=_("Withdraw the selected charges from the next monthly invoice"), permissions=["change"]
    )
    def withdraw_action(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        _run(
            self,
            request,
            queryset,
            lambda charge: withdraw_charge(charge.account, charge.reference, by=signed_in_user(request)),
            lambda n: (
                ngettext("%(count)d charge withdrawn.", "%(count)d charges withdrawn.", n) % {"count": n}
            ),
        )


@admin.register(BalanceAlert)
class BalanceAlertAdmin(StateOnlyAdmin):
    list_display = ("account", "euro_low", "low_products", "last_alert_at")
    list_filter = ("euro_low",)
    list_select_related = ("account",)
    search_fields = ("account__name",)
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [f.name for f in self.model._meta.concrete_fields]
