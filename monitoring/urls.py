"""Monitoring pages, mounted at /monitoring/ (namespace "monitoring")."""

from django.urls import path

from . import views

app_name = "monitoring"
urlpatterns = [
    path("installation/<str:reference>/<str:serial>/", views.installation_test, name="installation"),
]
