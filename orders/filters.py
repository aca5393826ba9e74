"""LIST-4: the order list's filters (django-filter), all carried in the URL's query string.

A keyword is looked for in one chosen field; a period applies to one chosen date; product, brand,
status and the user who ordered narrow the list further. The choice lists are the catalogue's and
the account's users: small, and the same size whatever the number of orders.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.core.cache import cache
from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, User
from accounts.widgets import FastSelect
from catalog.models import Product

from .models import Order, OrderStatus
from .services import listing

# Issue 17 (load): the catalogue's choices are kept in the cache, dropped when a product or a brand
# is saved or deleted (orders.signals), 5 minutes at most otherwise; reading 226 products with
# their brands cost every list request a tenth of its CPU.
CATALOGUE_CHOICES_KEY = "orders:filter-catalogue"
CATALOGUE_CHOICES_TTL = 300


def catalogue_choices() -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(products, brands) as (id, name) pairs: products by brand and name, brands by name."""
    kept = cache.get(CATALOGUE_CHOICES_KEY)
    if kept is None:
        products = list(Product.objects.select_related("brand").order_by("brand__name", "name"))
        brands = sorted({(p.brand_id, p.brand.name) for p in products}, key=lambda b: b[1])
        kept = ([(p.pk, str(p)) for p in products], brands)
        cache.set(CATALOGUE_CHOICES_KEY, kept, CATALOGUE_CHOICES_TTL)
    return kept


def forget_catalogue_choices(sender: type[Model], **kwargs: Any) -> None:
    cache.delete(CATALOGUE_CHOICES_KEY)


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
    # The account's users as plain choices (one values query): a model choice field read them
    # through a server-side cursor on every request (issue 17).
    ordered_by = django_filters.TypedChoiceFilter(
        label=_("Ordered by"), field_name="created_by_id", coerce=int, widget=FastSelect
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
        products, brands = catalogue_choices()
        form_fields["product"].choices = [("", _("Any product")), *products]
        form_fields["brand"].choices = [("", _("Any brand")), *brands]
        users = User.objects.filter(account=account).order_by("username").values_list("pk", "username")
        form_fields["ordered_by"].choices = [("", _("Anyone")), *users]

    def get_form_class(self) -> type[forms.Form]:
        """The form class, built once per process (issue 17): django-filter builds a class, and a
        form field per filter, on every request. The fields it holds are the declared ones; each
        form copies them (Django's `base_fields`), and `__init__` sets the account's choices on
        that copy only."""
        form_class: type[forms.Form] | None = type(self).__dict__.get("_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            type(self)._form_class = form_class
        return form_class

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
