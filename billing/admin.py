"""The back office for billing (mounted at /staff/, staff only).

Documents and ledger movements are read-only here: issued content never changes (ACCT-1) and
ledgers are append-only (LEDG-2). The state changes ("Record a payment" with its
confirmation step, signing a quote, crediting an invoice) call the services, which lock, check and
audit. The billing profile is a settings row and is edited directly.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.audit import log_action
from accounts.typing import signed_in_user

from .admin_receipts import ReceiptPage, receipt_view
from .models import (
    BillingProfile,
    Document,
    DocumentKind,
    DocumentLine,
    EuroMovement,
    NumberSequence,
    Receipt,
    TokenMovement,
)
from .pdf import pdf_response
from .services.documents import DocumentError, issue_credit_note, sign_quote
from .services.receipts import amount_due


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DocumentLineInline(admin.TabularInline):
    model = DocumentLine
    extra = 0
    can_delete = False
    fields = ("position", "description", "quantity", "unit_price", "vat_rate", "total_excl_vat")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = (
        "display_number",
        "account",
        "kind",
        "issue_date",
        "due_date",
        "total_incl_vat",
        "status",
        "pdf_link",
    )
    list_filter = ("kind", "status", "issue_date", "buyer_country")
    list_select_related = ("account",)
    search_fields = ("display_number", "buyer_name", "source_reference", "account__name")
    date_hierarchy = "issue_date"
    exclude = ("pdf",)
    inlines = [DocumentLineInline]
    actions = ["sign_quotes", "credit_in_full"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        # The stored PDFs stay in the database until one is downloaded.
        return super().get_queryset(request).defer("pdf")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [f.name for f in self.model._meta.concrete_fields if f.name != "pdf"] + ["pdf_link"]

    def get_urls(self) -> list[URLPattern]:
        urls = [
            path("<int:pk>/pdf/", self.admin_site.admin_view(self.download_pdf), name="billing_document_pdf"),
            path(
                "<int:pk>/receipt/",
                self.admin_site.admin_view(self.receipt_view),
                name="billing_document_receipt",
            ),
        ]
        return urls + super().get_urls()

    def receipt_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """ACCT-3: record a transfer, cheque or card payment received for an invoice, confirmed first."""
        if not self.has_record_payment_permission(request):
            raise PermissionDenied
        invoice = Document.objects.defer("pdf").filter(pk=pk, kind=DocumentKind.INVOICE).first()
        if invoice is None:
            raise Http404
        back = reverse("admin:billing_document_change", args=[invoice.pk])
        due = amount_due(invoice)
        if due == 0:
            self.message_user(
                request,
                _("Invoice %(number)s awaits no payment.") % {"number": invoice.display_number},
                messages.WARNING,
            )
            return redirect(back)
        page = ReceiptPage(
            title=_("Record a payment"),
            subject=_("Invoice %(number)s") % {"number": invoice.display_number},
            due=due,
            back_url=back,
            load_invoice=lambda: invoice,
        )
        return receipt_view(request, self.admin_site, page)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        document = Document.objects.defer("pdf").filter(pk=object_id).first() if object_id.isdigit() else None
        extra_context = {
            **(extra_context or {}),
            "receipt_due": amount_due(document) if document is not None else 0,
            "can_record_receipt": self.has_record_payment_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def download_pdf(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise Http404
        document = Document.objects.filter(pk=pk).first()
        if document is None or not document.pdf:
            raise Http404
        return pdf_response(document)

    @admin.display(description=_("PDF"))
    def pdf_link(self, obj: Document) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:billing_document_pdf", args=[obj.pk]), _("Download PDF")
        )

    def has_record_payment_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("billing.change_document")

    @admin.action(
        description=_("Sign the selected quotes (signed purchase order received)"),
        permissions=["record_payment"],
    )
    def sign_quotes(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        """STAFF-2, ACCT-2: the signed quote came back; audited by the service."""
        signed = 0
        for quote in queryset.filter(kind=DocumentKind.QUOTE):
            try:
                sign_quote(quote, by=signed_in_user(request))
            except DocumentError as error:
                self.message_user(request, f"{quote}: {error}", messages.ERROR)
            else:
                signed += 1
        self.message_user(
            request,
            ngettext("%(count)d quote signed.", "%(count)d quotes signed.", signed) % {"count": signed},
            messages.SUCCESS,
        )

    @admin.action(
        description=_("Issue a credit note for the whole of the selected invoices"),
        permissions=["record_payment"],
    )
    def credit_in_full(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        """STAFF-2, ACCT-1: an issued invoice is never changed; a correction is a credit note."""
        credited = 0
        staff = signed_in_user(request)
        for invoice in queryset.filter(kind=DocumentKind.INVOICE):
            try:
                issue_credit_note(
                    invoice,
                    reason=_("Cancelled by %(name)s") % {"name": staff.get_full_name() or staff.username},
                    by=staff,
                )
            except DocumentError as error:
                self.message_user(request, f"{invoice}: {error}", messages.ERROR)
            else:
                credited += 1
        self.message_user(
            request,
            ngettext("%(count)d credit note issued.", "%(count)d credit notes issued.", credited)
            % {"count": credited},
            messages.SUCCESS,
        )


class MovementAdmin(ReadOnlyAdmin):
    list_filter = ("kind", "created_at")
    list_select_related: ClassVar[tuple[str, ...]] = ("account", "created_by", "document")
    search_fields = ("reference", "account__name", "note")
    date_hierarchy = "created_at"


@admin.register(TokenMovement)
class TokenMovementAdmin(MovementAdmin):
    list_display = (
        "created_at",
        "account",
        "product",
        "kind",
        "quantity",
        "reference",
        "document",
        "created_by",
    )
    list_select_related = ("account", "created_by", "document", "product__brand")


@admin.register(EuroMovement)
class EuroMovementAdmin(MovementAdmin):
    list_display = ("created_at", "account", "kind", "amount", "reference", "document", "created_by")


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdmin):
    """ACCT-3: money received, append-only; recorded from the invoice or the order page."""

    list_display = ("created_at", "account", "document", "method", "amount", "received_on", "reference")
    list_filter = ("method", "received_on")
    list_select_related = ("account", "document")
    search_fields = ("reference", "document__display_number", "account__name")
    date_hierarchy = "received_on"


@admin.register(NumberSequence)
class NumberSequenceAdmin(ReadOnlyAdmin):
    list_display = ("series", "year", "last_number")
    list_filter = ("series", "year")


@admin.register(BillingProfile)
class BillingProfileAdmin(admin.ModelAdmin):
    list_display = (
        "account",
        "payment_term_days",
        "default_payment_mode",
        "alert_threshold",
        "late_payment_block",
    )
    list_filter = ("default_payment_mode", "late_payment_block")
    list_select_related = ("account",)
    search_fields = ("account__name",)
    raw_id_fields = ("account",)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        log_action(
            "billing.profile_changed",
            account=obj.account,
            user=signed_in_user(request),
            obj=obj,
            changed={name: str(form.cleaned_data[name]) for name in form.changed_data},
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# ACCT-4 to ACCT-6, LEDG-1: coupons, promo codes, late-payment statements, rebates, pending charges.
from . import admin_money  # noqa: E402,F401

# PRICE-1 discount grid, LEDG-4 top-ups, ADM-5 SEPA mandates (h17).
# isort: split
from . import admin_pricing  # noqa: E402,F401
