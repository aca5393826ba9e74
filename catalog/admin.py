"""Staff edit the catalogue at /staff/ (STAFF-3): brands, products and their priced periods."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import Brand, Chain, DcvMethod, News, Product, ProductPeriod


class BrandForm(forms.ModelForm):
    """STAFF-3: the DCV methods as checkboxes; at least one, kept in the order of DcvMethod."""

    dcv_methods = forms.MultipleChoiceField(
        label=_("Domain validation methods"),
        choices=DcvMethod.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The methods the order form, the DCV page and external order links offer."),
    )

    class Meta:
        model = Brand
        fields = ["code", "name", "active", "delivery_time", "position", "dcv_methods"]

    def clean_dcv_methods(self) -> list[str]:
        chosen = set(self.cleaned_data["dcv_methods"])
        return [method.value for method in DcvMethod if method.value in chosen]


class ChainInline(admin.TabularInline):
    """ORD-2, STAFF-3: the chains the order form offers for the brand's server certificates."""

    model = Chain
    extra = 0
    fields = ["code", "label", "cross_signed", "recommended", "active", "position"]


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    form = BrandForm
    inlines = [ChainInline]
    list_display = ["name", "code", "active", "delivery_time", "position", "product_count"]
    list_editable = ["active", "delivery_time", "position"]
    list_filter = ["active"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}
    ordering = ["position", "name"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Brand]:
        # One query for the list: the count comes from an annotation, not one query per row.
        return super().get_queryset(request).annotate(_product_count=Count("products"))

    @admin.display(description=_("products"), ordering="_product_count")
    def product_count(self, brand: Brand) -> int:
        return brand._product_count


class ProductPeriodInline(admin.TabularInline):
    model = ProductPeriod
    extra = 1
    fields = ["months", "price"]
    ordering = ["months"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "brand", "product_type", "validation", "active", "reissuable", "is_test"]
    list_filter = ["brand", "product_type", "validation", "active", "reissuable", "is_test"]
    list_select_related = ["brand"]
    search_fields = ["name", "code", "description", "brand__name"]
    prepopulated_fields = {"code": ["name"]}
    autocomplete_fields = ["replacement"]
    inlines = [ProductPeriodInline]
    fieldsets = [
        (
            None,
            {"fields": ["brand", "code", "name", "product_type", "validation", "description", "position"]},
        ),
        (
            _("Names"),
            {"fields": ["wildcard", "included_sans", "max_sans", "san_price", "wildcard_san_price"]},
        ),
        (_("Behaviour"), {"fields": ["publicly_trusted_tls", "requires_csr", "reissuable", "is_test"]}),
        (_("Sale"), {"fields": ["active", "replacement"]}),
    ]


@admin.register(News)
class NewsAdmin(admin.ModelAdmin):
    list_display = ("title", "language", "published_at", "active")
    list_filter = ("active", "language")
    search_fields = ("title", "body")
    date_hierarchy = "published_at"
