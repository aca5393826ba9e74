"""Card payments (ORD-9); the root urlconf mounts them with path("payments/", include(...))."""

from django.urls import path

from .payments import views

app_name = "payments"

urlpatterns = [
    path("invoices/<str:public_id>/card/", views.card_start, name="card_start"),
    path("return/", views.card_return, name="return"),
    path("notify/", views.card_notify, name="notify"),
    path("test-provider/", views.test_provider, name="test_provider"),
    path("test-provider/pay/", views.test_provider_pay, name="test_provider_pay"),
    path("test-provider/decline/", views.test_provider_decline, name="test_provider_decline"),
]
