"""Pricing menu URLs (PRICE-1); the root urlconf mounts them with
path("pricing/", include("billing.pricing_urls"))."""

from django.urls import path

from .pages import pricing

app_name = "pricing"

urlpatterns = [
    path("", pricing.pricing, name="pricing"),
    path("csv/", pricing.pricing_csv, name="csv"),
    path("pdf/", pricing.pricing_pdf, name="pdf"),
]
