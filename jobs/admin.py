"""Staff see every run of every scheduled job (JOBS), read-only, at /staff/jobs/jobrun/."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import JobRun


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = ("name", "started_at", "finished_at", "status", "items_done", "errors")
    list_filter = ("status", "name")
    search_fields = ("name", "error_text")
    date_hierarchy = "started_at"
    readonly_fields = (
        "name",
        "started_at",
        "finished_at",
        "status",
        "items_done",
        "errors",
        "details",
        "error_text",
        "worker",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: JobRun | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: JobRun | None = None) -> bool:
        return False
