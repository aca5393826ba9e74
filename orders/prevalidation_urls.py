"""Your orders › Pre-validation (AUTO-1), mounted at /orders/prevalidation/ (before the order
status pages' "<reference>/")."""

from django.urls import path

from .views import prevalidation

app_name = "prevalidation"
urlpatterns = [
    path("", prevalidation.prevalidation_list, name="list"),
    path("new/<slug:brand_code>/", prevalidation.prevalidation_new, name="new"),
    path("<str:public_id>/", prevalidation.prevalidation_detail, name="detail"),
]
