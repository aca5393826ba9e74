"""URLs of the certificate login (ACC-7) and of the certificate actions (ADM-3), included at the root
of portal/urls.py (their paths carry their section's prefix, as accounts.twofactor.urls do):

    path("", include("accounts.clientcert.urls")),

The login, re-authentication and enrolment link live under allauth's /accounts/ prefix (public
or the logged-in user's own); the user's page under /me/; the administrators' actions under
/administration/users/<public id>/certificate/ (Administrative right).
"""

from django.urls import path

from .views import admin, login, me

app_name = "clientcert"

urlpatterns = [
    path("accounts/certificate-login/", login.certificate_login, name="login"),
    path("accounts/certificate-reauthenticate/", login.reauthenticate, name="reauthenticate"),
    path("accounts/certificate-enrol/<str:token>/", login.enrol, name="enrol"),
    path("me/certificate/", me.mine, name="mine"),
    path("me/certificate/enrol/", me.self_enrol, name="self_enrol"),
    path("me/certificate/panic/", me.panic, name="panic"),
    path("administration/users/<str:public_id>/certificate/pkcs12/", admin.issue_pkcs12, name="issue_pkcs12"),
    path("administration/users/<str:public_id>/certificate/link/", admin.issue_link, name="issue_link"),
    path("administration/users/<str:public_id>/certificate/suspend/", admin.suspend, name="suspend"),
    path("administration/users/<str:public_id>/certificate/revoke/", admin.revoke, name="revoke"),
    path("administration/users/<str:public_id>/certificate/delete/", admin.delete, name="delete"),
]
