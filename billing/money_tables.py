"""Tables of the deposit coupon, promo code and late-payment statement pages (ACCT-4 to ACCT-6),
with django-tables2 (PLAT-5); the column helpers are those of billing.tables."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import django_tables2 as tables
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from .models import Coupon, CouponState, LatePaymentStatement, PromoCode, PromoKind
from .tables import DateColumn, DateTimeColumn, MoneyColumn
from .templatetags.billing_format import money, rate

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _badge(prefix: str, state: str, label: StrOrPromise) -> SafeString:
    return format_html('<span class="badge {}-{}">{}</span>', prefix, state, label)


class CouponTable(tables.Table):
    """ACCT-4: number, origin, where used, amount, state; the refund request of a valid coupon."""

    number = tables.Column(verbose_name=_("Number"))
    created_at = DateTimeColumn(verbose_name=_("Created"))
    origin_reference = tables.Column(verbose_name=_("Origin"))
    used_reference = tables.Column(verbose_name=_("Used for"), default="")
    used_at = DateTimeColumn(verbose_name=_("Used on"), default="")
    amount = MoneyColumn(verbose_name=_("Amount incl. VAT"))
    applied_amount = MoneyColumn(verbose_name=_("Amount applied"), default="")
    expires_on = DateColumn(verbose_name=_("Valid until"), default="")
    state = tables.Column(verbose_name=_("State"))
    refund = tables.Column(
        verbose_name=_("Refund"),
        orderable=False,
        exclude_from_export=True,
        accessor="public_id",
        empty_values=(),
    )

    class Meta:
        model = Coupon
        fields = [
            "number",
            "created_at",
            "origin_reference",
            "used_reference",
            "used_at",
            "amount",
            "applied_amount",
            "expires_on",
            "state",
            "refund",
        ]
        order_by = ("-created_at",)
        empty_text = _("You have no deposit coupon.")
        attrs = {"class": "table coupons"}
        row_attrs = {"data-number": lambda record: record.number}

    def render_origin_reference(self, value: Any, record: Any) -> Any:
        if record.parent_id:
            return format_html(
                '{}<br><span class="muted">{}</span>',
                value,
                _("remainder of %(number)s") % {"number": record.parent.number},
            )
        return value

    def value_origin_reference(self, value: Any) -> Any:
        return value

    def render_applied_amount(self, value: Any) -> Any:
        return money(value)

    def render_refund(self, value: Any, record: Any) -> Any:
        # Rendered here rather than by a template column: a template per cell would run the context
        # processors (menu badges) once per row.
        if record.state == CouponState.VALID:
            return format_html(
                '<form method="post" action="{}" class="inline"><input type="hidden" name="csrfmiddlewaretoken" '
                'value="{}"><button type="submit" class="btn secondary" aria-label="{}">{}</button></form>',
                reverse("billing:coupon_refund", args=[record.public_id]),
                get_token(self.request),
                _("Request the refund of coupon %(number)s") % {"number": record.number},
                _("Request a refund"),
            )
        if record.state == CouponState.BEING_REFUNDED and record.refund_requested_at:
            return format_html(
                '<span class="muted">{}</span>',
                _("Requested on %(date)s")
                % {
                    "date": formats.date_format(
                        timezone.localtime(record.refund_requested_at), "SHORT_DATE_FORMAT"
                    )
                },
            )
        return ""

    def render_state(self, value: Any, record: Any) -> Any:
        return _badge("coupon", record.state, value)

    def value_state(self, value: Any) -> Any:
        return value


class PromoCodeTable(tables.Table):
    """ACCT-5: codes with their value, validity, state, and where and when each was used."""

    code = tables.Column(verbose_name=_("Code"))
    value = tables.Column(verbose_name=_("Value"), attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    origin = tables.Column(verbose_name=_("Origin"))
    created_at = DateTimeColumn(verbose_name=_("Issued"))
    valid_until = DateColumn(verbose_name=_("Valid until"))
    state = tables.Column(verbose_name=_("State"))
    used_reference = tables.Column(verbose_name=_("Used for"), default="")
    used_at = DateTimeColumn(verbose_name=_("Used on"), default="")
    discount = MoneyColumn(verbose_name=_("Discount given"), default="")

    class Meta:
        model = PromoCode
        fields = [
            "code",
            "value",
            "origin",
            "created_at",
            "valid_until",
            "state",
            "used_reference",
            "used_at",
            "discount",
        ]
        order_by = ("-created_at",)
        empty_text = _("You have no promo code.")
        attrs = {"class": "table promo-codes"}
        row_attrs = {"data-code": lambda record: record.code}

    def render_value(self, value: Any, record: Any) -> Any:
        if record.kind == PromoKind.PERCENT:
            return rate(value)
        return format_html("{} {}", money(value), _("excl. VAT"))

    def value_value(self, value: Any, record: Any) -> Any:
        return f"{value} %" if record.kind == PromoKind.PERCENT else value

    def render_discount(self, value: Any) -> Any:
        return money(value)

    def render_state(self, value: Any, record: Any) -> Any:
        return _badge("promo", record.state, value)

    def value_state(self, value: Any) -> Any:
        return value


class StatementTable(tables.Table):
    """ACCT-6: late-payment statements; the number downloads the PDF."""

    display_number = tables.Column(verbose_name=_("Number"))
    issue_date = DateColumn(verbose_name=_("Date"))
    invoice = tables.Column(
        verbose_name=_("Invoice"), accessor="invoice__display_number", order_by=("invoice__display_number",)
    )
    invoice_due_date = DateColumn(verbose_name=_("Invoice due date"))
    days_late = tables.Column(
        verbose_name=_("Days late"), attrs={"td": {"class": "num"}, "th": {"class": "num"}}
    )
    amount_due = MoneyColumn(verbose_name=_("Invoice amount due"))
    penalties = MoneyColumn(verbose_name=_("Penalties"))
    indemnity = MoneyColumn(verbose_name=_("Indemnity"))
    total = MoneyColumn(verbose_name=_("Total due"))
    status = tables.Column(verbose_name=_("Status"))

    class Meta:
        model = LatePaymentStatement
        fields = [
            "display_number",
            "issue_date",
            "invoice",
            "invoice_due_date",
            "days_late",
            "amount_due",
            "penalties",
            "indemnity",
            "total",
            "status",
        ]
        order_by = ("-issue_date",)
        empty_text = _("No late-payment statement.")
        attrs = {"class": "table late-payments"}
        row_attrs = {"data-number": lambda record: record.display_number}

    def render_display_number(self, value: Any, record: Any) -> Any:
        return format_html(
            '<a href="{}" aria-label="{}">{}</a>',
            reverse("billing:late_payment_pdf", args=[record.public_id]),
            _("Download the PDF of %(number)s") % {"number": value},
            value,
        )

    def value_display_number(self, value: Any) -> Any:
        return value

    def render_status(self, value: Any, record: Any) -> Any:
        return _badge("rir", record.status, value)

    def value_status(self, value: Any) -> Any:
        return value
