"""Menu "Documentation" (NAV-1, AUTO-5), mounted at /documentation/."""

from django.urls import path

from . import documentation as views

app_name = "documentation"
urlpatterns = [
    path("", views.index, name="index"),
    path("sheets/<int:pk>/", views.sheet, name="sheet"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("newsletters/", views.newsletters, name="newsletters"),
    path("guide/", views.guide, name="guide_current"),
    path("guide/<str:language>/", views.guide, name="guide"),
    path("guide/<str:language>/pdf/", views.guide_pdf, name="guide_pdf"),
]
