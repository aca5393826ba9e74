"""The list of top-ups (LEDG-5), with django-tables2; the CSV-ready values are the shown ones."""

from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from .models import TopUp, TopUpKind
from .tables import DateTimeColumn, MoneyColumn, pdf_link


class TopUpTable(tables.Table):
    public_id = tables.Column(verbose_name=_("Reference"))
    created_at = DateTimeColumn(verbose_name=_("Date"))
    content = tables.Column(verbose_name=_("Content"), accessor="pk", orderable=False)
    amount_excl_vat = MoneyColumn(verbose_name=_("Excl. VAT"))
    amount_incl_vat = MoneyColumn(verbose_name=_("Incl. VAT"))
    payment_mode = tables.Column(verbose_name=_("Payment mode"))
    document = tables.Column(
        verbose_name=_("Document"),
        accessor="document__display_number",
        default="",
        order_by=("document__display_number",),
    )
    status = tables.Column(verbose_name=_("Status"))
    paid_at = DateTimeColumn(verbose_name=_("Paid on"), default="")

    class Meta:
        model = TopUp
        fields = [
            "public_id",
            "created_at",
            "content",
            "amount_excl_vat",
            "amount_incl_vat",
            "payment_mode",
            "document",
            "status",
            "paid_at",
        ]
        order_by = ("-created_at",)
        empty_text = _("No top-up yet.")
        attrs = {"class": "table topups"}
        row_attrs = {"data-topup": lambda record: record.public_id}

    def render_public_id(self, value: Any) -> Any:
        return format_html('<a href="{}">{}</a>', reverse("account_info:topup_detail", args=[value]), value)

    def render_content(self, record: Any) -> Any:
        if record.kind == TopUpKind.EUROS:
            return _("Current account")
        return format_html_join(
            ", ", "{} × {}", ((line.quantity, line.product.name) for line in record.lines.all())
        )

    def value_content(self, record: Any) -> Any:
        if record.kind == TopUpKind.EUROS:
            return str(_("Current account"))
        return ", ".join(f"{line.quantity} × {line.product.name}" for line in record.lines.all())

    def render_document(self, record: Any) -> Any:
        document = record.document
        return pdf_link(document.public_id, document.display_number) if document else ""

    def render_status(self, value: Any, record: Any) -> Any:
        return format_html('<span class="badge topup-{}">{}</span>', record.status, value)
