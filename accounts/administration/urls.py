"""Menu "Administration" (NAV-1), mounted at /administration/. Users are addressed by public id."""

from django.urls import path

from . import contacts, views

app_name = "administration"
urlpatterns = [
    path("users/", views.users, name="users"),
    path("users/add/", views.user_add, name="user_add"),
    path("users/<str:public_id>/", views.user_detail, name="user_detail"),
    path("users/<str:public_id>/suspend/", views.user_suspend, name="user_suspend"),
    path("users/<str:public_id>/reactivate/", views.user_reactivate, name="user_reactivate"),
    path("users/<str:public_id>/delete/", views.user_delete, name="user_delete"),
    path("users/<str:public_id>/unlock/", views.user_unlock, name="user_unlock"),
    path("api-users/", views.api_users, name="api_users"),
    path("api-users/add/", views.api_user_add, name="api_user_add"),
    path("api-users/new-token/", views.api_token_shown, name="api_token_shown"),
    path("api-users/<str:public_id>/tokens/new/", views.api_token_new, name="api_token_new"),
    path(
        "api-users/<str:public_id>/tokens/<str:prefix>/revoke/",
        views.api_token_revoke,
        name="api_token_revoke",
    ),
    path("contacts/", contacts.contacts, name="contacts"),
    path("contacts/add/", contacts.contact_add, name="contact_add"),
    path("contacts/<str:public_id>/", contacts.contact_edit, name="contact_edit"),
    path("contacts/<str:public_id>/delete/", contacts.contact_delete, name="contact_delete"),
    path("logs/", views.logs, name="logs"),
    path("logs/export.csv", views.logs_export, name="logs_export"),
]
