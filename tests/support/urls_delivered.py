"""Test urlconf of the external order links' public page until portal/urls.py mounts it:
portal's own patterns plus `order-link/`."""

from django.urls import URLResolver, include, path

from portal.urls import urlpatterns as portal_patterns

urlpatterns = [
    path("order-link/", include("orders.link_urls")),
    *[p for p in portal_patterns if not (isinstance(p, URLResolver) and p.namespace == "order_link")],
]
