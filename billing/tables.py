"""Tables of the customer billing pages (ACCT-1 to ACCT-3, LEDG-2), with django-tables2.

Cells render for the page; `value()` gives the plain value the CSV export writes (ISO dates,
amounts as numbers with a dot), so the export has exactly the columns shown, in the same order.
"""

from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.lists import row_url

from .models import Document, EuroMovement, TokenMovement
from .templatetags.billing_format import money


class DateColumn(tables.DateColumn):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("format", "SHORT_DATE_FORMAT")
        super().__init__(**kwargs)

    def value(self, value: Any) -> str:
        return value.isoformat() if value else ""


class DateTimeColumn(tables.DateTimeColumn):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("format", "SHORT_DATETIME_FORMAT")
        super().__init__(**kwargs)

    def value(self, value: Any) -> str:
        return timezone.localtime(value).isoformat(timespec="seconds") if value else ""


class MoneyColumn(tables.Column):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("attrs", {"td": {"class": "num"}, "th": {"class": "num"}})
        super().__init__(**kwargs)

    def render(self, value: Any) -> str:
        return money(value)

    def value(self, value: Any) -> Any:
        return value


class SignedColumn(tables.Column):
    """A quantity with its sign (+3, −1)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("attrs", {"td": {"class": "num"}, "th": {"class": "num"}})
        super().__init__(**kwargs)

    def render(self, value: Any) -> str:
        return f"{value:+d}"

    def value(self, value: Any) -> Any:
        return value


def pdf_url(document_public_id: str) -> str:
    """The document's PDF (issue 17: a link per row)."""
    return row_url("billing:document_pdf", document_public_id)


def pdf_link(document_public_id: str, number: str) -> SafeString:
    return format_html(
        '<a href="{}" aria-label="{}">{}</a>',
        pdf_url(document_public_id),
        gettext("Download the PDF of %(number)s") % {"number": number},
        number,
    )


class SelectColumn(tables.Column):
    """A checkbox per row named `documents`, labelled with the document number (ACCT-1 zip)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            accessor="public_id",
            orderable=False,
            exclude_from_export=True,
            verbose_name=_("Select"),
            **kwargs,
        )

    def render(self, value: Any, record: Any) -> SafeString:
        return format_html(
            '<input type="checkbox" name="documents" value="{}" aria-label="{}">',
            value,
            gettext("Select %(number)s") % {"number": record.display_number},
        )


class DocumentTable(tables.Table):
    """ACCT-1: invoices and credit notes; the number downloads the PDF."""

    select = SelectColumn()
    display_number = tables.Column(verbose_name=_("Number"), order_by=("display_number",))
    kind = tables.Column(verbose_name=_("Kind"))
    issue_date = DateColumn(verbose_name=_("Date"))
    source_reference = tables.Column(verbose_name=_("Reference"), default="")
    related_number = tables.Column(
        verbose_name=_("Corrects invoice"), default="", order_by=("related_document__display_number",)
    )
    total_excl_vat = MoneyColumn(verbose_name=_("Excl. VAT"))
    total_vat = MoneyColumn(verbose_name=_("VAT"))
    total_incl_vat = MoneyColumn(verbose_name=_("Incl. VAT"))
    status = tables.Column(verbose_name=_("Status"))

    class Meta:
        model = Document
        fields = [
            "select",
            "display_number",
            "kind",
            "issue_date",
            "source_reference",
            "related_number",
            "total_excl_vat",
            "total_vat",
            "total_incl_vat",
            "status",
        ]
        order_by = ("-issue_date", "-display_number")
        empty_text = _("No invoice or credit note in this period.")
        attrs = {"class": "table documents"}

    def render_display_number(self, value: Any, record: Any) -> Any:
        return pdf_link(record.public_id, value)

    def value_display_number(self, value: Any) -> Any:
        return value

    def render_status(self, value: Any, record: Any) -> Any:
        return format_html('<span class="badge doc-{}">{}</span>', record.status, value)

    def value_status(self, value: Any) -> Any:
        return value


class QuoteTable(tables.Table):
    """ACCT-2: open quotes with their expiry and the way to accept them."""

    display_number = tables.Column(verbose_name=_("Number"), order_by=("display_number",))
    issue_date = DateColumn(verbose_name=_("Date"))
    source_reference = tables.Column(verbose_name=_("Reference"), default="")
    total_excl_vat = MoneyColumn(verbose_name=_("Excl. VAT"))
    total_incl_vat = MoneyColumn(verbose_name=_("Incl. VAT"))
    expiry = DateColumn(verbose_name=_("Expires on"))
    accept = tables.Column(
        verbose_name=_("Acceptance"), accessor="public_id", orderable=False, exclude_from_export=True
    )

    class Meta:
        model = Document
        fields = [
            "display_number",
            "issue_date",
            "source_reference",
            "total_excl_vat",
            "total_incl_vat",
            "expiry",
        ]
        sequence = (
            "display_number",
            "issue_date",
            "source_reference",
            "total_excl_vat",
            "total_incl_vat",
            "expiry",
            "accept",
        )
        order_by = ("expiry",)
        empty_text = _("No quote in progress.")
        attrs = {"class": "table quotes"}

    def render_display_number(self, value: Any, record: Any) -> Any:
        return pdf_link(record.public_id, value)

    def value_display_number(self, value: Any) -> Any:
        return value

    def render_accept(self, value: Any, record: Any) -> Any:
        return format_html(
            '<a class="btn secondary" href="{}" aria-label="{}">{}</a>',
            reverse("billing:quote_accept", args=[value]),
            _("Accept quote %(number)s") % {"number": record.display_number},
            _("Accept"),
        )


class UnpaidTable(tables.Table):
    """ACCT-3: unpaid invoices; the overdue rows carry the `overdue` class (shown in red)."""

    display_number = tables.Column(verbose_name=_("Number"), order_by=("display_number",))
    issue_date = DateColumn(verbose_name=_("Date"))
    source_reference = tables.Column(verbose_name=_("Reference"), default="")
    total_incl_vat = MoneyColumn(verbose_name=_("Amount incl. VAT"))
    amount_due = MoneyColumn(verbose_name=_("Amount due"))
    due_date = DateColumn(verbose_name=_("Due date"))
    state = tables.Column(verbose_name=_("Status"), accessor="due_date", orderable=False)
    # ORD-9: pay one invoice by card through the payment provider (not exported).
    pay = tables.TemplateColumn(
        template_name="billing/_pay_card_cell.html",
        verbose_name=_("Pay"),
        orderable=False,
        exclude_from_export=True,
    )

    class Meta:
        model = Document
        fields = [
            "display_number",
            "issue_date",
            "source_reference",
            "total_incl_vat",
            "amount_due",
            "due_date",
        ]
        sequence = (
            "display_number",
            "issue_date",
            "source_reference",
            "total_incl_vat",
            "amount_due",
            "due_date",
            "state",
            "pay",
        )
        order_by = ("due_date",)
        empty_text = _("No unpaid invoice.")
        attrs = {"class": "table unpaid"}
        row_attrs = {
            "class": lambda record: "overdue" if record.is_overdue else "",
            "data-number": lambda record: record.display_number,
        }

    def render_display_number(self, value: Any, record: Any) -> Any:
        return pdf_link(record.public_id, value)

    def value_display_number(self, value: Any) -> Any:
        return value

    def render_state(self, record: Any) -> Any:
        if record.is_overdue:
            return format_html('<span class="badge doc-overdue">{}</span>', _("Overdue"))
        return format_html('<span class="badge">{}</span>', _("Awaiting payment"))

    def value_state(self, record: Any) -> Any:
        return str(_("Overdue") if record.is_overdue else _("Awaiting payment"))


class TokenBalanceTable(tables.Table):
    """LEDG-2: one row per product: tokens bought, used and left."""

    product = tables.Column(verbose_name=_("Product"), accessor="product__name", order_by=("product__name",))
    bought = tables.Column(verbose_name=_("Bought"), attrs={"td": {"class": "num"}})
    used = tables.Column(verbose_name=_("Used"), attrs={"td": {"class": "num"}})
    balance = tables.Column(verbose_name=_("Balance"), attrs={"td": {"class": "num balance"}})

    class Meta:
        order_by = ("product",)
        empty_text = _("No token bought yet.")
        attrs = {"class": "table tokens"}

    def render_product(self, value: Any, record: Any) -> Any:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("account_info:statement_product", args=[record["product__code"]]),
            value,
        )

    def value_product(self, value: Any) -> Any:
        return value


def _document_cell(record: TokenMovement | EuroMovement) -> SafeString | str:
    document = record.document
    return pdf_link(document.public_id, document.display_number) if document else ""


class MovementTable(tables.Table):
    created_at = DateTimeColumn(verbose_name=_("Date"), order_by=("id",))
    kind = tables.Column(verbose_name=_("Operation"))
    reference = tables.Column(verbose_name=_("Reference"), default="")
    note = tables.Column(verbose_name=_("Note"), default="")
    document = tables.Column(
        verbose_name=_("Document"),
        accessor="document__display_number",
        default="",
        order_by=("document__display_number",),
    )

    def render_document(self, record: Any) -> Any:
        return _document_cell(record)

    def value_document(self, value: Any) -> Any:
        return value


class EuroStatementTable(MovementTable):
    """LEDG-2 current account: each movement with the balance after it."""

    amount = MoneyColumn(verbose_name=_("Amount"))
    balance_after = MoneyColumn(verbose_name=_("Balance after"), orderable=False)

    class Meta:
        model = EuroMovement
        fields = ["created_at", "kind", "reference", "note", "document", "amount", "balance_after"]
        order_by = ("-created_at",)
        empty_text = _("No movement yet.")
        attrs = {"class": "table statement"}


class TokenStatementTable(MovementTable):
    """LEDG-2 bulk purchase: each token movement with the product's balance after it."""

    product = tables.Column(verbose_name=_("Product"), accessor="product__name", order_by=("product__name",))
    quantity = SignedColumn(verbose_name=_("Tokens"))
    balance_after = tables.Column(
        verbose_name=_("Balance after"), orderable=False, attrs={"td": {"class": "num"}}
    )

    class Meta:
        model = TokenMovement
        fields = [
            "created_at",
            "product",
            "kind",
            "reference",
            "note",
            "document",
            "quantity",
            "balance_after",
        ]
        order_by = ("-created_at",)
        empty_text = _("No token movement yet.")
        attrs = {"class": "table statement"}
