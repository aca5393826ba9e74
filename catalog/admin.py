"""Staff edit the catalogue at /staff/ (STAFF-3): brands, products and their priced periods."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, TypedDict

from django import forms
from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import (
    Brand,
    Chain,
    DcvMethod,
    News,
    Product,
    ProductPeriod,
    ProductSheet,
    ProductSheetAttachment,
)

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class _Counted(TypedDict):
    _product_count: int


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
    def product_count(self, brand: WithAnnotations[Brand, _Counted]) -> int:
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


# AUTO-5: what an attachment of a product sheet may be, by its first bytes and its extension.
_ATTACHMENT_MAGIC = {
    ".pdf": b"%PDF-",
    ".png": b"\x89PNG\r\n\x1a\n",
    ".jpg": b"\xff\xd8\xff",
    ".jpeg": b"\xff\xd8\xff",
}
MAX_ATTACHMENT_SIZE = 20 * 1024 * 1024


class ProductSheetAttachmentForm(forms.ModelForm):
    class Meta:
        model = ProductSheetAttachment
        fields = ["title", "file"]

    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if upload and hasattr(upload, "content_type"):  # a new upload
            magic = _ATTACHMENT_MAGIC.get(os.path.splitext(upload.name or "")[1].lower())
            if magic is None:
                raise forms.ValidationError(_("Attach a PDF, PNG or JPEG file."))
            if upload.size > MAX_ATTACHMENT_SIZE:
                raise forms.ValidationError(_("The file is larger than 20 MB."))
            upload.seek(0)
            head = upload.read(8)
            upload.seek(0)
            if not head.startswith(magic):
                raise forms.ValidationError(_("The file's content does not match its extension."))
        return upload


class ProductSheetAttachmentInline(admin.TabularInline):
    model = ProductSheetAttachment
    form = ProductSheetAttachmentForm
    extra = 1


@admin.register(ProductSheet)
class ProductSheetAdmin(admin.ModelAdmin):
    """AUTO-5: product sheets of the documentation space, per brand, with their files."""

    list_display = ["title", "brand", "language", "active", "updated_at"]
    list_filter = ["brand", "language", "active"]
    search_fields = ["title", "body"]
    filter_horizontal = ["products"]
    inlines = [ProductSheetAttachmentInline]

    def save_model(
        self, request: HttpRequest, obj: ProductSheet, form: forms.ModelForm, change: bool
    ) -> None:
        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)
