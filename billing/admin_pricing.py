"""Back office (/staff/) for the discount grid (PRICE-1), top-ups (LEDG-4) and SEPA mandates (ADM-5).

The grid is edited directly (rows and inline list edits), each change audited. Top-ups and
mandates are read-only here: their state changes only through the admin actions, which call the
services that lock, check and audit ("Record payment", "Cancel", "Validate mandate", "Revoke").
billing/admin.py imports this module so the admin site finds it (h17).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.audit import log_action
from accounts.typing import signed_in_user

from .models import DiscountGrid, MandateStatus, SepaMandate, TopUp, TopUpLine, TopUpStatus
from .services.sepa import MandateError, revoke_mandate, validate_mandate
from .services.topups import TopUpError, cancel_topup, confirm_topup


def _grid_details(obj: DiscountGrid) -> dict[str, Any]:
    return {
        "formula": obj.formula,
        "brand": obj.brand.code if obj.brand is not None else "",
        "min": obj.min_quantity,
        "max": obj.max_quantity,
        "discount": str(obj.discount),
    }


@admin.register(DiscountGrid)
class DiscountGridAdmin(admin.ModelAdmin):
    list_display = ("formula", "brand", "min_quantity", "max_quantity", "discount", "updated_at")
    list_editable = ("max_quantity", "discount")
    list_filter = ("formula", ("brand", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("brand",)
    ordering = ("formula", "brand__position", "min_quantity")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        log_action(
            "billing.discount_grid_changed" if change else "billing.discount_grid_added",
            user=signed_in_user(request),
            obj=obj,
            changed=list(form.changed_data),
            **_grid_details(obj),
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        details = _grid_details(obj)
        super().delete_model(request, obj)
        log_action("billing.discount_grid_deleted", user=signed_in_user(request), **details)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        rows = [_grid_details(obj) for obj in queryset.select_related("brand")]
        super().delete_queryset(request, queryset)
        for details in rows:
            log_action("billing.discount_grid_deleted", user=signed_in_user(request), **details)


class TopUpLineInline(admin.TabularInline):
    model = TopUpLine
    extra = 0
    can_delete = False
    fields = ("product", "quantity", "unit_price", "total_excl_vat")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _report(
    admin_site: admin.ModelAdmin[Any], request: HttpRequest, done: int, errors: list[str], message: str
) -> None:
    for error in errors:
        admin_site.message_user(request, error, messages.ERROR)
    if done:
        admin_site.message_user(request, message, messages.SUCCESS)


@admin.register(TopUp)
class TopUpAdmin(admin.ModelAdmin):
    list_display = (
        "public_id",
        "account",
        "created_at",
        "kind",
        "amount_excl_vat",
        "payment_mode",
        "document",
        "status",
        "paid_at",
    )
    list_filter = ("status", "kind", "payment_mode", "created_at")
    list_select_related = ("account", "document")
    search_fields = ("public_id", "account__name", "document__display_number")
    date_hierarchy = "created_at"
    inlines = [TopUpLineInline]
    actions = ["record_payment", "cancel"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).defer("document__pdf")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [f.name for f in self.model._meta.concrete_fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_record_payment_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("billing.change_topup")

    @admin.action(
        description=_("Record payment (credits the tokens or euros)"), permissions=["record_payment"]
    )
    def record_payment(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        done, errors = 0, []
        for topup in queryset.filter(status=TopUpStatus.PENDING):
            try:
                confirm_topup(topup, signed_in_user(request))
            except (TopUpError, ValueError) as error:
                errors.append(f"{topup}: {error}")
            else:
                done += 1
        _report(
            self,
            request,
            done,
            errors,
            ngettext("%(count)d top-up paid and credited.", "%(count)d top-ups paid and credited.", done)
            % {"count": done},
        )

    @admin.action(description=_("Cancel (credits an unpaid invoice in full)"), permissions=["record_payment"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        done, errors = 0, []
        for topup in queryset.filter(status=TopUpStatus.PENDING):
            try:
                cancel_topup(
                    topup, signed_in_user(request), reason=str(_("Top-up cancelled by our accounting team."))
                )
            except (TopUpError, ValueError) as error:
                errors.append(f"{topup}: {error}")
            else:
                done += 1
        _report(
            self,
            request,
            done,
            errors,
            ngettext("%(count)d top-up cancelled.", "%(count)d top-ups cancelled.", done) % {"count": done},
        )


@admin.register(SepaMandate)
class SepaMandateAdmin(admin.ModelAdmin):
    list_display = (
        "reference",
        "account",
        "kind",
        "holder_name",
        "masked_iban",
        "status",
        "created_at",
        "validated_at",
        "pdf_link",
    )
    list_filter = ("status", "kind")
    list_select_related = ("account",)
    search_fields = ("reference", "account__name", "holder_name")
    exclude = ("pdf",)
    actions = ["validate", "revoke"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).defer("pdf")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [f.name for f in self.model._meta.concrete_fields if f.name != "pdf"] + ["pdf_link"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        urls = [
            path(
                "<int:pk>/pdf/", self.admin_site.admin_view(self.download_pdf), name="billing_sepamandate_pdf"
            )
        ]
        return urls + super().get_urls()

    def download_pdf(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise Http404
        mandate = SepaMandate.objects.filter(pk=pk).first()
        if mandate is None or not mandate.pdf:
            raise Http404
        response = HttpResponse(bytes(mandate.pdf), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{mandate.pdf_filename}"'
        return response

    @admin.display(description=_("PDF"))
    def pdf_link(self, obj: SepaMandate) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:billing_sepamandate_pdf", args=[obj.pk]), _("Download PDF")
        )

    def has_validate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("billing.change_sepamandate")

    @admin.action(description=_("Validate mandate (signed mandate received)"), permissions=["validate"])
    def validate(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        done, errors = 0, []
        for mandate in queryset.filter(status=MandateStatus.PENDING):
            try:
                validate_mandate(mandate, signed_in_user(request))
            except MandateError as error:
                errors.append(f"{mandate}: {error}")
            else:
                done += 1
        _report(
            self,
            request,
            done,
            errors,
            ngettext("%(count)d mandate validated.", "%(count)d mandates validated.", done) % {"count": done},
        )

    @admin.action(description=_("Revoke mandate"), permissions=["validate"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        done = 0
        for mandate in queryset.exclude(status=MandateStatus.REVOKED):
            revoke_mandate(mandate, signed_in_user(request))
            done += 1
        _report(
            self,
            request,
            done,
            [],
            ngettext("%(count)d mandate revoked.", "%(count)d mandates revoked.", done) % {"count": done},
        )
