"""Administration › ACME (AUTO-2), mounted at /administration/acme/."""

from django.urls import path

from . import views_admin as views

app_name = "acme_admin"
urlpatterns = [
    path("", views.endpoints, name="endpoints"),
    path("add/", views.endpoint_add, name="endpoint_add"),
    path("new-key/", views.key_shown, name="key_shown"),
    path("<str:public_id>/disable/", views.endpoint_disable, name="endpoint_disable"),
    path("<str:public_id>/enable/", views.endpoint_enable, name="endpoint_enable"),
    path("<str:public_id>/revoke/", views.endpoint_revoke, name="endpoint_revoke"),
]
