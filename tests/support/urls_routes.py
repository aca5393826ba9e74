"""Test urlconf of the Administration section, the user menu and the API until portal/urls.py
mounts them: portal's own patterns plus ours, under the prefixes NAV-1 gives them."""

from django.urls import URLResolver, include, path

from portal.urls import urlpatterns as portal_patterns

OURS = {"administration", "me", "api"}

urlpatterns = [
    path("administration/", include("accounts.administration.urls")),
    path("me/", include("accounts.me.urls")),
    path("api/v1/", include("api.urls")),
    *[p for p in portal_patterns if not (isinstance(p, URLResolver) and p.namespace in OURS)],
]
