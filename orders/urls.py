"""Menu "Your orders" (NAV-1): lists, status pages and downloads, mounted at /orders/."""

from django.urls import path

from .views import downloads, lists, status

app_name = "orders"
urlpatterns = [
    path("", lists.order_list, name="list"),
    path("<str:reference>/", status.detail, name="detail"),
    path("<str:reference>/certificates/<str:serial>/<str:fmt>/", downloads.download, name="download"),
]
