"""AUTO-3: the Domains list as a django-tables2 table (sorted by any column, paginated)."""

from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from .models import Domain
from .services.domain_registry import dcv_state


class DomainTable(tables.Table):
    name = tables.Column(verbose_name=_("Domain"))
    organisation = tables.Column(
        verbose_name=_("Organisation"),
        accessor="organisation__name",
        order_by=("organisation__name",),
        default="—",
    )
    dcv = tables.Column(verbose_name=_("Domain validation"), accessor="last_validated", empty_values=())
    until = tables.Column(verbose_name=_("Reusable until"), accessor="last_validated", empty_values=())
    order_count = tables.Column(verbose_name=_("Orders"), attrs={"td": {"class": "num"}})
    locked = tables.Column(verbose_name=_("Lock"), accessor="locked_at", empty_values=())
    created_at = tables.DateColumn(verbose_name=_("Added"), format="SHORT_DATE_FORMAT")

    class Meta:
        model = Domain
        fields = ["name", "organisation", "dcv", "until", "order_count", "locked", "created_at"]
        order_by = ("name",)
        attrs = {"class": "table domains"}
        empty_text = _("No domain yet: register one, or order a certificate.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.now = timezone.now()

    def render_name(self, record: Domain) -> SafeString:
        return format_html('<a href="{}">{}</a>', reverse("orders:domain", args=[record.name]), record.name)

    def render_dcv(self, record: Any) -> SafeString:
        state = dcv_state(record.last_validated, record.pending, self.now)
        return format_html('<span class="badge dcv-state-{}">{}</span>', state.code, state.label)

    def render_until(self, record: Any) -> str:
        state = dcv_state(record.last_validated, record.pending, self.now)
        return date_format(timezone.localtime(state.until), "SHORT_DATE_FORMAT") if state.until else "—"

    def render_locked(self, record: Domain) -> SafeString | str:
        if record.locked_at is None:
            return "—"
        return format_html('<span class="badge state-suspended">{}</span>', _("Locked"))
