"""Staff edit the catalogue at /staff/ (STAFF-3): brands, products and their priced periods."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from .models import Brand, News, Product, ProductPeriod


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "active", "delivery_time", "position", "product_count"]
    list_editable = ["active", "delivery_time", "position"]
    list_filter = ["active"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}
    ordering = ["position", "name"]

    def get_queryset(self, request):
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
