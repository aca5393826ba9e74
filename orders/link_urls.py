"""The public page of an external order link (ORD-5), no login; mounted at /order-link/ by portal/urls.py."""

from django.urls import path

from .views import links

app_name = "order_link"
urlpatterns = [
    path("<str:token>/", links.public_form, name="form"),
    path("<str:token>/done/", links.public_done, name="done"),
]
