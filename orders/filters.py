"""LIST-4: the order list's filters (django-filter), all carried in the URL's query string.

A keyword is looked for in one chosen field; a period applies to one chosen date; product, brand,
status and the user who ordered narrow the list further. The choice lists are the catalogue's and
the account's users: small, and the same size whatever the number of orders.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, User
from accounts.widgets import FastSelect
from catalog.models import Product

from .models import Order, OrderStatus
from .services import listing


def _unchanged(queryset: QuerySet[Order], name: str, value: Any) -> QuerySet[Order]:
    """Fields read together in `OrderFilter.filter_queryset` (a keyword needs its field)."""
    return queryset


class OrderFilter(django_filters.FilterSet):
    field = django_filters.ChoiceFilter(
        label=_("Search in"),
        choices=list(listing.SEARCH_FIELDS.items()),
        method=_unchanged,
        empty_label=None,
        widget=FastSelect,
    )
    q = django_filters.CharFilter(label=_("Keyword"), method=_unchanged)
    dates = django_filters.ChoiceFilter(
        label=_("Date"),
        choices=list(listing.DATE_FIELDS.items()),
        method=_unchanged,
        empty_label=None,
        widget=FastSelect,
    )
    date_from = django_filters.DateFilter(
        label=_("From"), method=_unchanged, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = django_filters.DateFilter(
        label=_("To"), method=_unchanged, widget=forms.DateInput(attrs={"type": "date"})
    )
    # Plain choices built from one query of the catalogue (products with their brands).
    # FastSelect: the same HTML as Django's Select, without a template per option (issue 17).
    product = django_filters.TypedChoiceFilter(
        label=_("Product"), field_name="product_id", coerce=int, widget=FastSelect
    )
    brand = django_filters.TypedChoiceFilter(
        label=_("Brand"), field_name="product__brand_id", coerce=int, widget=FastSelect
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=OrderStatus.choices, empty_label=_("Any status"), widget=FastSelect
    )
    ordered_by = django_filters.ModelChoiceFilter(
        label=_("Ordered by"),
        field_name="created_by",
        queryset=User.objects.none(),
        empty_label=_("Anyone"),
        widget=FastSelect,
    )

    class Meta:
        model = Order
        fields: list[str] = []

    def __init__(
        self, data: Any = None, queryset: QuerySet[Order] | None = None, *, account: Account
    ) -> None:
        super().__init__(data, queryset)
        self.account = account
        form_fields = self.form.fields
        form_fields["field"].choices = listing.search_fields(account)
        products = list(Product.objects.select_related("brand").order_by("brand__name", "name"))
        form_fields["product"].choices = [("", _("Any product"))] + [(p.pk, str(p)) for p in products]
        brands = sorted({(p.brand_id, p.brand.name) for p in products}, key=lambda b: b[1])
        form_fields["brand"].choices = [("", _("Any brand")), *brands]
        form_fields["ordered_by"].queryset = User.objects.filter(account=account).order_by("username")

    def filter_queryset(self, queryset: QuerySet[Order]) -> QuerySet[Order]:
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        queryset = listing.search(queryset, data.get("field") or "names", data.get("q") or "")
        return listing.in_period(
            queryset, data.get("dates") or "created_at", data.get("date_from"), data.get("date_to")
        )

    @property
    def date_sort(self) -> str | None:
        """The sort that follows the date filter (`listing.date_sort`), None without one."""
        if not (self.is_bound and self.form.is_valid()):
            return None
        data = self.form.cleaned_data
        return listing.date_sort(
            data.get("dates") or "created_at", data.get("date_from"), data.get("date_to")
        )

    @property
    def searching(self) -> bool:
        return (
            self.is_bound and self.form.is_valid() and bool((self.form.cleaned_data.get("q") or "").strip())
        )
