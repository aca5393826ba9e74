"""ORD-8 domain control validation pages, mounted at /dcv/ (namespace "dcv").

`order/<reference>/...` are the customer's pages (rights checked); `confirm/<token>/` is the
public page the DCV email links to.
"""

from django.urls import path

from .views import dcv

app_name = "dcv"
urlpatterns = [
    path("order/<str:reference>/", dcv.order_checks, name="order"),
    path("order/<str:reference>/<int:pk>/check/", dcv.check_now, name="check"),
    path("order/<str:reference>/<int:pk>/resend/", dcv.resend, name="resend"),
    path("order/<str:reference>/<int:pk>/method/", dcv.change, name="change"),
    path("confirm/<str:token>/", dcv.confirm, name="confirm"),
]
