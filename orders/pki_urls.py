"""Public PKI URLs (no login), included at /pki/ by portal/urls.py."""

from django.urls import path

from . import pki_views

app_name = "pki"
urlpatterns = [
    path("<slug:slug>.crl", pki_views.crl, name="crl"),
    path("<slug:slug>.crt", pki_views.crt, name="crt"),
    path("<slug:slug>.pem", pki_views.pem, name="pem"),
]
