"""Menu "Contracts" (NAV-1): the contract (CON-1) and data processing agreement (CON-2) pages,
mounted at /contract/."""

from django.urls import path

from . import views

app_name = "contracts"
urlpatterns = [
    path("", views.contract, name="contract"),
    path("document/<str:public_id>/", views.contract_document, name="document"),
    path("data-processing/", views.consent_list, name="consent"),
    path("data-processing/<slug:brand_code>/", views.consent_brand, name="consent_brand"),
    path("data-processing/<slug:brand_code>/accept/", views.consent_accept, name="consent_accept"),
    path("data-processing/<slug:brand_code>/decline/", views.consent_decline, name="consent_decline"),
    path("data-processing/<slug:brand_code>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
]
