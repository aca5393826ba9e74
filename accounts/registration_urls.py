from django.urls import path

from . import views

app_name = "registration"
urlpatterns = [
    path("", views.register, name="register"),
    path("done/", views.register_done, name="done"),
]
