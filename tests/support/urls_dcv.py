"""Test urlconf of the DCV pages (h14) until portal/urls.py mounts them: portal's own patterns plus
`dcv/`, and the back office rebuilt after orders.dcv_admin registered its ModelAdmin."""

from django.contrib import admin
from django.urls import URLResolver, include, path

import orders.dcv_admin  # noqa: F401 (registers DcvCheckAdmin before admin.site.urls is read below)
from portal.urls import urlpatterns as portal_patterns

urlpatterns = [
    path("dcv/", include("orders.dcv_urls")),
    path("staff/", admin.site.urls),
    *[p for p in portal_patterns if not (isinstance(p, URLResolver) and p.namespace in {"dcv", "admin"})],
]
