"""The REST API (AUTO-6), mounted at /api/v1/; its OpenAPI schema at /api/v1/schema/."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from .views import MeView

app_name = "api"
urlpatterns = [
    path("me", MeView.as_view(), name="me"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
]
