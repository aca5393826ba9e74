"""Menu "Operations" (NAV-1): placing orders, mounted at /operations/."""

from django.urls import path

from .views import invitation, new_order, order_form

app_name = "operations"
urlpatterns = [
    path("new/", new_order.new_order, name="new"),
    path("new/<slug:product_code>/", order_form.order_form, name="order"),
    path("review/<str:token>/", order_form.review, name="review"),
    path("review/<str:token>/confirm/", order_form.confirm, name="confirm"),
    path("confirmation/<str:reference>/", order_form.confirmation, name="confirmation"),
    # ORD-4: the holder's public page (no login) and the reminder from the status page.
    path("invitation/<str:token>/", invitation.invitation, name="invitation"),
    path("invitation-reminder/<str:reference>/", invitation.remind, name="invitation_remind"),
]
