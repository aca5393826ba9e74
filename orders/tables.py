"""Order lists as django-tables2 tables (PLAT-5, LIST-1)."""

from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext, pgettext_lazy

from .models import Order


class OrderTable(tables.Table):
    reference = tables.Column(verbose_name=_("Our reference"))
    customer_reference = tables.Column(verbose_name=_("Your reference"))
    common_name = tables.Column(verbose_name=_("Common name"))
    product = tables.Column(verbose_name=_("Product"), accessor="product__name", order_by=("product__name",))
    brand = tables.Column(
        verbose_name=_("Brand"), accessor="product__brand__name", order_by=("product__brand__name",)
    )
    status = tables.Column(verbose_name=_("Status"))
    created_at = tables.DateColumn(
        verbose_name=pgettext_lazy("order date", "Ordered"), format="SHORT_DATE_FORMAT"
    )
    valid_until = tables.DateColumn(verbose_name=_("Valid until"), format="SHORT_DATE_FORMAT", default="—")

    class Meta:
        model = Order
        fields = [
            "reference",
            "customer_reference",
            "common_name",
            "product",
            "brand",
            "status",
            "created_at",
            "valid_until",
        ]
        order_by = "-created_at"
        empty_text = _("No order yet.")
        attrs = {"class": "table orders"}

    def render_reference(self, value: Any, record: Any) -> Any:
        return format_html('<a href="{}">{}</a>', reverse("orders:detail", args=[value]), value)

    def render_status(self, value: str, record: Order) -> str:
        if getattr(record, "all_revoked", False):
            # Every certificate of the order is revoked: none of them is usable, whatever the status says.
            return format_html('<span class="badge status-revoked">{}</span>', pgettext("order", "Revoked"))
        return format_html('<span class="badge status-{}">{}</span>', record.status, value)
