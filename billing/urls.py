"""Billing URLs; the root urlconf mounts them with path("accounting/", include("billing.urls"))."""

from django.urls import path

from . import views

app_name = "billing"

urlpatterns = [
    path("documents/<str:public_id>/pdf/", views.document_pdf, name="document_pdf"),
]
