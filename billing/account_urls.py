"""Account info menu URLs (LEDG-2, LEDG-3); the root urlconf mounts them with
path("account/", include("billing.account_urls"))."""

from django.urls import path

from .pages import consumption, statements

app_name = "account_info"

urlpatterns = [
    path("statements/", statements.statements, name="statements"),
    path("statements/euros/csv/", statements.statement_euros_csv, name="statement_euros_csv"),
    path("statements/tokens/csv/", statements.statement_tokens_csv, name="statement_tokens_csv"),
    path("statements/tokens/<slug:product_code>/", statements.statement_product, name="statement_product"),
    path("statements/tokens/<slug:product_code>/csv/", statements.statement_product_csv,
         name="statement_product_csv"),
    path("consumption/", consumption.consumption_page, name="consumption"),
    path("consumption/csv/", consumption.consumption_csv, name="consumption_csv"),
]
