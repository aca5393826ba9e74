"""The back office for orders (STAFF-2), mounted at /staff/.

Status, money and certificates never change by editing a field: "Record a payment" (a form with
amount, date and reference, then a confirmation step) and "Issue the certificate" (a list action
and a button on the order page), the status moves of the audit
(dormant, verification, awaiting DCV, no follow-up, fee paid, quote signed), comments to the
customer, document requests and cancellation are each one URL and one form on the order page,
calling the services, which lock, audit (as staff actions) and email. Staff edit only the
handler's name, the CA reference and the comment to the customer, and those edits are audited
too. The CA's keys are never shown.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.options import InlineModelAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from accounts.audit import log_action
from accounts.formatting import date_text
from accounts.typing import signed_in_user
from billing.admin_receipts import ReceiptPage, receipt_view
from billing.services.receipts import amount_due

from . import dcv_admin  # noqa: F401  (registers DcvCheck)
from .action_forms import CancelForm, CommentForm, DocumentRequestForm, StaffNoteForm
from .csr import CsrError
from .models import (
    AuditDocument,
    Certificate,
    CertificateAuthority,
    DocumentRequest,
    Order,
    OrderComment,
    UpstreamIssuance,
)
from .prevalidation_admin import PreValidationAdmin  # noqa: F401  (registers PreValidation, AUTO-1)
from .services import IllegalTransition
from .services.actions import add_comment, cancel_order, cancel_target
from .services.documents import can_send_documents, content_type_of, request_documents
from .services.issuing import deliver_without_certificate
from .services.lifecycle import PAYMENT_MOVES
from .services.payment import chosen_receipt_method, ensure_invoice, open_invoice, payable_by_receipt
from .services.prevalidation import covered_note, covering_order
from .services.processing import STAFF_MOVES, staff_move, staff_moves_for
from .services.upstream import issue_or_queue
from .upstream_admin import UpstreamAcmeAccountAdmin  # noqa: F401  (registers UpstreamAcmeAccount)

EDITABLE = ("handler_name", "ca_reference", "customer_comment")


class CertificateInline(admin.TabularInline):
    model = Certificate
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("serial", "common_name", "state", "not_before", "not_after", "hash_algorithm", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OrderCommentInline(_ReadOnlyInline):
    model = OrderComment
    fields = readonly_fields = ("created_at", "author_name", "from_staff", "text")


class DocumentRequestInline(_ReadOnlyInline):
    model = DocumentRequest
    fields = readonly_fields = ("kind", "note", "requested_at", "fulfilled_at")


class UpstreamIssuanceInline(_ReadOnlyInline):
    """AUTO-4 [beyond]: the issuance at the brand's outside CA, its state and the reason of a
    failure; "Issue the certificate" retries a failed one."""

    model = UpstreamIssuance
    verbose_name_plural = _("issuance at the outside CA")
    fields = readonly_fields = ("state", "error", "attempts", "requested_at", "finished_at", "acme_order_url")


class AuditDocumentInline(_ReadOnlyInline):
    model = AuditDocument
    fields = readonly_fields = ("kind", "download", "comment", "uploaded_by", "created_at", "request")

    @admin.display(description=_("file"))
    def download(self, document: AuditDocument) -> SafeString:
        url = reverse("admin:orders_order_document", args=[document.order_id, document.pk])
        return format_html('<a href="{}">{}</a>', url, document.original_name)


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = (
        "reference",
        "account",
        "common_name",
        "product",
        "status",
        "created_at",
        "paid_at",
        "delivered_at",
    )
    list_filter = (
        "status",
        "product__brand",
        "product__product_type",
        "upstream_issuance__state",  # AUTO-4 [beyond]: find the failed issuances at an outside CA
        "created_at",
    )
    list_select_related = ("account", "product__brand")
    search_fields = ("reference", "customer_reference", "ca_reference", "common_name", "account__name")
    date_hierarchy = "created_at"
    inlines = (
        CertificateInline,
        UpstreamIssuanceInline,
        OrderCommentInline,
        DocumentRequestInline,
        AuditDocumentInline,
    )
    actions = ("issue_selected", "deliver_selected")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "reference",
                    "account",
                    "status",
                    "customer_reference",
                    "ca_reference",
                    "handler_name",
                    "customer_comment",
                )
            },
        ),
        (
            _("Product and price"),
            {
                "fields": (
                    "product",
                    "period_months",
                    "price_excl_vat",
                    "vat_rate",
                    "payment_reference",
                    "paid_at",
                    "delivered_at",
                )
            },
        ),
        (
            _("Holder and contacts"),
            {"fields": ("organisation", "organisation_prevalidation", "admin_contact", "technical_contact")},
        ),
        (
            _("Technical"),
            {
                "fields": (
                    "common_name",
                    "additional_names",
                    "server_software",
                    "server_software_other",
                    "dcv_method",
                    "csr",
                    "csr_public_key_sha256",
                )
            },
        ),
        (_("History"), {"fields": ("created_by", "created_at")}),
    )

    def get_inline_instances(self, request: HttpRequest, obj: Any = None) -> list[InlineModelAdmin[Any, Any]]:
        # Comments, document requests and documents are shown, never edited here (their actions
        # below audit and email): a posted order form carries no formset for them.
        inlines = super().get_inline_instances(request, obj)
        if request.method == "POST":
            inlines = [i for i in inlines if not isinstance(i, _ReadOnlyInline)]
        return inlines

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [
            *(f.name for f in Order._meta.fields if f.name not in EDITABLE),
            "additional_names",
            "organisation_prevalidation",
        ]

    @admin.display(description=_("Pre-validation"))
    def organisation_prevalidation(self, obj: Order) -> str:
        """AUTO-1: the valid pre-validation that covers the organisation check of this order."""
        prevalidation = covering_order(obj) if obj.pk else None
        if prevalidation is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:orders_prevalidation_change", args=[prevalidation.pk]),
            covered_note(prevalidation),
        )

    @admin.display(description=_("Additional names"))
    def additional_names(self, obj: Order) -> str:
        """The SANs as a list, one name a line (not the JSON of the field)."""
        if not obj.sans:
            return "—"
        return format_html(
            '<ul class="additional-names">{}</ul>',
            format_html_join("", "<li>{}</li>", ((n,) for n in obj.sans)),
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # orders come from the order form or the API, priced and audited there

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if form.changed_data:
            changes: dict[str, Any] = {name: str(form.cleaned_data[name]) for name in form.changed_data}
            log_action("order.edited_by_staff", obj=obj, request=request, **changes)

    # The two staff actions, for one order (buttons) or a selection (list actions).

    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/record-payment/",
                self.admin_site.admin_view(self.record_payment_view),
                name="{}_{}_record_payment".format(*info),
            ),
            path(
                "<path:object_id>/issue/",
                self.admin_site.admin_view(self.issue_view),
                name="{}_{}_issue".format(*info),
            ),
            path(
                "<path:object_id>/move/<slug:code>/",
                self.admin_site.admin_view(self.move_view),
                name="{}_{}_move".format(*info),
            ),
            path(
                "<path:object_id>/comment/",
                self.admin_site.admin_view(self.comment_view),
                name="{}_{}_comment".format(*info),
            ),
            path(
                "<path:object_id>/request-documents/",
                self.admin_site.admin_view(self.request_documents_view),
                name="{}_{}_request_documents".format(*info),
            ),
            path(
                "<path:object_id>/cancel/",
                self.admin_site.admin_view(self.cancel_view),
                name="{}_{}_cancel".format(*info),
            ),
            path(
                "<path:object_id>/documents/<int:document_id>/",
                self.admin_site.admin_view(self.document_view),
                name="{}_{}_document".format(*info),
            ),
            *super().get_urls(),
        ]

    def _order_for_change(self, request: HttpRequest, object_id: str) -> Order:
        order = self.get_object(request, object_id)
        if order is None:
            raise Http404
        if not self.has_change_permission(request, order):
            raise PermissionDenied
        return order

    def _issue(self, request: HttpRequest, order: Order) -> bool:
        try:
            certificate = issue_or_queue(order, user=signed_in_user(request), request=request)
        except IllegalTransition as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return False
        except CsrError as exc:
            self.message_user(
                request,
                _("%(ref)s: the CA refused the CSR: %(reason)s")
                % {"ref": order.reference, "reason": exc.message},
                messages.ERROR,
            )
            return False
        if isinstance(certificate, UpstreamIssuance):
            self.message_user(
                request,
                _(
                    "%(ref)s: the certificate is being ordered from the brand's outside CA; this page shows the outcome."
                )
                % {"ref": order.reference},
                messages.INFO,
            )
            return True
        self.message_user(
            request,
            _("Certificate %(serial)s issued for %(ref)s, valid until %(end)s.")
            % {
                "serial": certificate.serial,
                "ref": order.reference,
                "end": date_text(certificate.not_after),
            },
            messages.SUCCESS,
        )
        return True

    @admin.action(description=_("Issue the certificate"), permissions=["change"])
    def issue_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for order in queryset.order_by("pk"):
            self._issue(request, order)

    @admin.action(description=_("Deliver (product without a certificate)"), permissions=["change"])
    def deliver_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        """ORD-4: site seals and signature solutions are delivered once verified; nothing is signed."""
        for order in queryset.order_by("pk"):
            try:
                deliver_without_certificate(order, user=signed_in_user(request), request=request)
            except IllegalTransition as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(
                    request, _("%(ref)s delivered.") % {"ref": order.reference}, messages.SUCCESS
                )

    def _back(self, order: Order) -> HttpResponseRedirect:
        return redirect(reverse("admin:orders_order_change", args=[order.pk]))

    def record_payment_view(self, request: HttpRequest, object_id: str) -> HttpResponseBase:
        """STAFF-2, ACCT-3: record a transfer, cheque or card payment received for the order's invoice,
        with a confirmation step; paying the invoice in full pays the order (orders.apps hook)."""
        order = self._order_for_change(request, object_id)
        if not payable_by_receipt(order):
            self.message_user(
                request,
                _("%(ref)s awaits no payment to record here.") % {"ref": order.reference},
                messages.WARNING,
            )
            return self._back(order)
        invoice = open_invoice(order)
        if order.status in PAYMENT_MOVES:
            note = _("Order %(ref)s will be marked paid and leave “%(status)s”.")
        else:
            note = _("Order %(ref)s will be marked paid.")
        page = ReceiptPage(
            title=_("Record a payment"),
            subject=_("Order %(ref)s") % {"ref": order.reference},
            due=amount_due(invoice) if invoice is not None else order.price_incl_vat,
            back_url=reverse("admin:orders_order_change", args=[order.pk]),
            load_invoice=lambda: ensure_invoice(order, user=signed_in_user(request)),
            settles_note=note % {"ref": order.reference, "status": order.get_status_display()},
            default_method=chosen_receipt_method(order),
        )
        return receipt_view(request, self.admin_site, page)

    def issue_view(self, request: HttpRequest, object_id: str) -> HttpResponseBase:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        order = self._order_for_change(request, object_id)
        self._issue(request, order)
        return self._back(order)

    # The processing of the audit (STAFF-2): one URL and one form each, under the order page.

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        order = self.get_object(request, object_id)
        if order is not None:
            extra_context = {
                **(extra_context or {}),
                "staff_moves": staff_moves_for(order),
                "can_cancel": cancel_target(order) is not None,
                "can_request_documents": can_send_documents(order),
                "comment_form": CommentForm(),
                "document_request_form": DocumentRequestForm(),
                "cancel_form": CancelForm(),
                "can_record_payment": payable_by_receipt(order),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def _form_errors(self, request: HttpRequest, form: Any) -> None:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                self.message_user(request, f"{label}: {error}" if label else error, messages.ERROR)

    def move_view(self, request: HttpRequest, object_id: str, code: str) -> HttpResponseBase:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if code not in STAFF_MOVES:
            raise Http404
        order = self._order_for_change(request, object_id)
        form = StaffNoteForm(request.POST)
        note = form.cleaned_data["note"] if form.is_valid() else ""
        try:
            order = staff_move(order, code, user=signed_in_user(request), request=request, note=note)
        except IllegalTransition as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(
                request,
                _("%(ref)s is now “%(status)s”.")
                % {"ref": order.reference, "status": order.get_status_display()},
                messages.SUCCESS,
            )
        return self._back(order)

    def comment_view(self, request: HttpRequest, object_id: str) -> HttpResponseBase:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        order = self._order_for_change(request, object_id)
        form = CommentForm(request.POST)
        if form.is_valid():
            add_comment(order, form.cleaned_data["text"], user=signed_in_user(request), request=request)
            self.message_user(
                request, _("The comment is shown to the customer on the status page."), messages.SUCCESS
            )
        else:
            self._form_errors(request, form)
        return self._back(order)

    def request_documents_view(self, request: HttpRequest, object_id: str) -> HttpResponseBase:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        order = self._order_for_change(request, object_id)
        form = DocumentRequestForm(request.POST)
        if not form.is_valid():
            self._form_errors(request, form)
            return self._back(order)
        try:
            created = request_documents(
                order,
                form.cleaned_data["kinds"],
                form.cleaned_data["note"],
                user=signed_in_user(request),
                request=request,
            )
        except IllegalTransition as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            if created:
                self.message_user(
                    request,
                    _("%(count)d document(s) requested; the technical contact is emailed.")
                    % {"count": len(created)},
                    messages.SUCCESS,
                )
            else:
                self.message_user(request, _("These documents were already requested."), messages.WARNING)
        return self._back(order)

    def cancel_view(self, request: HttpRequest, object_id: str) -> HttpResponseBase:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        order = self._order_for_change(request, object_id)
        form = CancelForm(request.POST)
        if not form.is_valid():
            self._form_errors(request, form)
            return self._back(order)
        try:
            order = cancel_order(
                order, form.cleaned_data["reason"], user=signed_in_user(request), request=request
            )
        except IllegalTransition as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(
                request,
                _("%(ref)s is now “%(status)s”.")
                % {"ref": order.reference, "status": order.get_status_display()},
                messages.SUCCESS,
            )
        return self._back(order)

    def document_view(self, request: HttpRequest, object_id: str, document_id: int) -> FileResponse:
        order = self._order_for_change(request, object_id)
        document = AuditDocument.objects.filter(order=order, pk=document_id).first()
        if document is None:
            raise Http404
        try:
            handle = document.file.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        return FileResponse(
            handle,
            as_attachment=True,
            filename=document.original_name,
            content_type=content_type_of(document),
        )


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    list_display = ("serial", "common_name", "account", "order", "state", "not_before", "not_after")
    list_filter = ("state", "issuer")
    list_select_related = ("account", "order", "issuer")
    search_fields = ("serial", "common_name", "fingerprint_sha256", "order__reference", "account__name")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CertificateAuthority)
class CertificateAuthorityAdmin(admin.ModelAdmin):
    list_display = ("common_name", "brand", "kind", "parent", "crl_number", "created_at")
    list_filter = ("kind", "brand")
    # The encrypted private key is never shown, even to staff.
    fields = ("common_name", "brand", "kind", "parent", "slug", "certificate_pem", "crl_number", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
