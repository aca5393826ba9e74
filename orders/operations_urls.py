"""Menu "Operations" (NAV-1): placing orders, mounted at /operations/."""

from django.urls import path

from .views import new_order, order_form

app_name = "operations"
urlpatterns = [
    path("new/", new_order.new_order, name="new"),
    path("new/<slug:product_code>/", order_form.order_form, name="order"),
    path("review/<str:token>/", order_form.review, name="review"),
    path("review/<str:token>/confirm/", order_form.confirm, name="confirm"),
    path("confirmation/<str:reference>/", order_form.confirmation, name="confirmation"),
]
