"""The ACME server (AUTO-2, RFC 8555), mounted at /acme/: one directory per endpoint."""

from django.urls import path

from . import views

app_name = "acme"
urlpatterns = [
    path("<str:endpoint_id>/directory", views.directory, name="directory"),
    path("<str:endpoint_id>/new-nonce", views.new_nonce_view, name="new_nonce"),
    path("<str:endpoint_id>/new-account", views.new_account, name="new_account"),
    path("<str:endpoint_id>/new-order", views.new_order, name="new_order"),
    path("<str:endpoint_id>/revoke-cert", views.revoke_cert, name="revoke_cert"),
    path("<str:endpoint_id>/key-change", views.key_change, name="key_change"),
    path("<str:endpoint_id>/renewal-info", views.renewal_info, name="renewal_info_base"),
    path("<str:endpoint_id>/renewal-info/<str:cert_id>", views.renewal_info, name="renewal_info"),
    path("<str:endpoint_id>/acct/<str:public_id>", views.account, name="account"),
    path("<str:endpoint_id>/acct/<str:public_id>/orders", views.account_orders, name="account_orders"),
    path("<str:endpoint_id>/order/<str:public_id>", views.order, name="order"),
    path("<str:endpoint_id>/order/<str:public_id>/finalize", views.finalize, name="finalize"),
    path("<str:endpoint_id>/authz/<str:public_id>", views.authorization, name="authorization"),
    path("<str:endpoint_id>/chall/<str:public_id>", views.challenge, name="challenge"),
    path("<str:endpoint_id>/cert/<str:public_id>", views.certificate, name="certificate"),
]
