"""Monitoring pages, mounted at /monitoring/ (namespace "monitoring")."""

from django.urls import path

from . import views, views_monitoring

app_name = "monitoring"
urlpatterns = [
    path("", views_monitoring.dashboard, name="dashboard"),
    path("settings/", views_monitoring.monitoring_settings, name="settings"),
    path("certificates/<str:reference>/", views_monitoring.endpoint, name="endpoint"),
    path("installation/<str:reference>/<str:serial>/", views.installation_test, name="installation"),
]
