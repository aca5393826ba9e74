"""Accounting menu URLs (ACCT-1 to ACCT-3); the root urlconf mounts them with
path("accounting/", include("billing.urls"))."""

from django.urls import path

from . import views
from .pages import accounting
from .pages import coupons as coupon_pages  # ACCT-4, ACCT-5
from .pages import late_payments as late_payment_pages  # ACCT-6

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
    # ACCT-4 deposit coupons, ACCT-5 promo codes, ACCT-6 late-payment statements.
    path("coupons/", coupon_pages.coupons, name="coupons"),
    path("coupons/csv/", coupon_pages.coupons_csv, name="coupons_csv"),
    path("coupons/<str:public_id>/refund/", coupon_pages.coupon_refund, name="coupon_refund"),
    path("promo-codes/", coupon_pages.promo_codes, name="promo_codes"),
    path("promo-codes/csv/", coupon_pages.promo_codes_csv, name="promo_codes_csv"),
    path("late-payments/", late_payment_pages.late_payments, name="late_payments"),
    path("late-payments/csv/", late_payment_pages.late_payments_csv, name="late_payments_csv"),
    path("late-payments/<str:public_id>/pdf/", late_payment_pages.late_payment_pdf, name="late_payment_pdf"),
]
