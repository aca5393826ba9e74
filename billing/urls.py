"""Accounting menu URLs (ACCT-1 to ACCT-3); the root urlconf mounts them with
path("accounting/", include("billing.urls"))."""

from django.urls import path

from . import views
from .pages import accounting

app_name = "billing"

urlpatterns = [
    path("", accounting.documents, name="documents"),
    path("csv/", accounting.documents_csv, name="documents_csv"),
    path("zip/", accounting.documents_zip, name="documents_zip"),
    path("documents/<str:public_id>/pdf/", views.document_pdf, name="document_pdf"),
    path("quotes/", accounting.quotes, name="quotes"),
    path("quotes/csv/", accounting.quotes_csv, name="quotes_csv"),
    path("quotes/<str:public_id>/accept/", accounting.quote_accept, name="quote_accept"),
    path("unpaid/", accounting.unpaid, name="unpaid"),
    path("unpaid/csv/", accounting.unpaid_csv, name="unpaid_csv"),
]
