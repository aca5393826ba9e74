"""The user menu (ACC-8), mounted at /me/."""

from django.urls import path

from . import views

app_name = "me"
urlpatterns = [
    path("", views.profile, name="profile"),
    path("email/", views.email, name="email"),
    path("personal-data/", views.personal_data, name="personal_data"),
    path("personal-data/purposes/", views.processing_purposes, name="processing_purposes"),
    path("personal-data/export.json", views.personal_data_export, name="personal_data_export"),
]
