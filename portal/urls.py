from django.contrib import admin
from django.urls import include, path

from orders import pki_views

from . import health, preferences, views

admin.site.site_header = "Certificate portal – back office"
admin.site.site_title = "Back office"

urlpatterns = [
    path("", views.root, name="root"),
    path("home/", views.home, name="home"),
    path("health/", health.ready, name="health"),
    path("health/live/", health.live, name="health_live"),
    path("register/", include("accounts.registration_urls")),
    path("", include("accounts.twofactor.urls")),
    path("", include("accounts.clientcert.urls")),
    path("accounts/", include("allauth.urls")),
    path("operations/", include("orders.operations_urls")),
    path("operations/", include("orders.renewal_urls")),
    path("orders/prevalidation/", include("orders.prevalidation_urls")),  # AUTO-1
    path("orders/", include("orders.urls")),
    path("administration/preferences/", preferences.preferences, name="administration_preferences"),
    path("administration/acme/", include("acmeserver.admin_urls")),  # AUTO-2
    path("administration/", include("accounts.administration.urls")),
    path("me/", include("accounts.me.urls")),
    path("api/v1/", include("api.urls")),  # AUTO-6
    path("pricing/", include("billing.pricing_urls")),
    path("account/", include("billing.account_urls")),
    path("accounting/", include("billing.urls")),
    path("payments/", include("billing.payment_urls")),  # ORD-9 card payments
    path("monitoring/", include("monitoring.urls")),
    path("contract/", include("contracts.urls")),  # CON-1, CON-2
    path("documentation/", include("portal.documentation_urls")),  # AUTO-5
    path("order-link/", include("orders.link_urls")),
    path("pki/", include("orders.pki_urls")),
    # AUTO-4 [beyond]: http-01 answers of the upstream ACME connector (RFC 8555 8.3).
    path(".well-known/acme-challenge/<str:token>", pki_views.acme_challenge, name="acme_challenge"),
    path("dcv/", include("orders.dcv_urls")),
    path("acme/", include("acmeserver.urls")),  # AUTO-2, RFC 8555
    path("i18n/", include("django.conf.urls.i18n")),
    path("staff/", admin.site.urls),
]
