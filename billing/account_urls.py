"""Account info menu URLs (LEDG-2, LEDG-3); the root urlconf mounts them with
path("account/", include("billing.account_urls"))."""

from django.urls import path

from .pages import billing_address, consumption, sepa, statements, topup_renewals, topups  # LEDG-4/5, ADM-5
from .pages.rebates import rebates, rebates_invoice, rebates_promo_code  # LEDG-2 rebates

app_name = "account_info"

urlpatterns = [
    path("statements/", statements.statements, name="statements"),
    path("statements/euros/csv/", statements.statement_euros_csv, name="statement_euros_csv"),
    path("statements/tokens/csv/", statements.statement_tokens_csv, name="statement_tokens_csv"),
    path("statements/tokens/<slug:product_code>/", statements.statement_product, name="statement_product"),
    path(
        "statements/tokens/<slug:product_code>/csv/",
        statements.statement_product_csv,
        name="statement_product_csv",
    ),
    path("consumption/", consumption.consumption_page, name="consumption"),
    path("consumption/csv/", consumption.consumption_csv, name="consumption_csv"),
    # LEDG-2 rebates (Rebate formula).
    path("rebates/", rebates, name="rebates"),
    path("rebates/promo-code/", rebates_promo_code, name="rebates_promo_code"),
    path("rebates/invoice/", rebates_invoice, name="rebates_invoice"),
    # LEDG-4, LEDG-5 top-ups (h17).
    path("top-up/", topups.topup, name="topup"),
    path("top-up/add/", topups.topup_add, name="topup_add"),
    path("top-up/remove/<slug:product_code>/", topups.topup_remove, name="topup_remove"),
    path("top-up/euros/", topups.topup_euros, name="topup_euros"),
    path("top-up/payment/", topups.topup_payment, name="topup_payment"),
    path("top-up/review/", topups.topup_review, name="topup_review"),
    path("top-up/confirm/", topups.topup_confirm, name="topup_confirm"),
    path("top-up/renewals/", topup_renewals.topup_renewals, name="topup_renewals"),
    path("top-ups/", topups.topup_list, name="topup_list"),
    path("top-ups/<str:public_id>/", topups.topup_detail, name="topup_detail"),
    # ADM-5 SEPA direct debit mandate (h17).
    path("sepa/", sepa.sepa, name="sepa"),
    # ADM-5 default billing address (ORD-2: an order may give its own).
    path("billing-address/", billing_address.billing_address, name="billing_address"),
    path("sepa/<str:public_id>/pdf/", sepa.sepa_pdf, name="sepa_pdf"),
]
