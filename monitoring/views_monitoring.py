"""Monitoring pages (MON-1..3): the dashboard with grades (filter, CSV), the settings, and one
certificate's monitoring settings with its history."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.access import get_for_account, right_required
from accounts.audit import log_action
from accounts.models import Right
from accounts.typing import AuthenticatedRequest
from orders.models import Order

from . import scanning
from .forms import EndpointForm, MonitoringSettingsForm
from .models import Grade

PER_PAGE = 50


@right_required(Right.TECHNICAL)
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    grade = request.GET.get("grade", "")
    if grade not in Grade.values:
        grade = ""
    rows = scanning.dashboard(request.user.account, grade)
    if request.GET.get("format") == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(
            [
                _("Our reference"),
                _("Names"),
                _("Port"),
                _("Grade"),
                _("Result"),
                _("Last scan"),
                _("Last change"),
                _("Enabled"),
            ]
        )
        for row in rows:
            writer.writerow(
                [
                    row.order.reference,
                    " ".join(row.name_list),
                    row.port,
                    row.last_grade,
                    row.get_last_result_display(),
                    row.last_scan_at.isoformat() if row.last_scan_at else "",
                    row.last_changed_at.isoformat() if row.last_changed_at else "",
                    _("yes") if row.enabled else _("no"),
                ]
            )
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="monitoring.csv"'
        return response
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request, "monitoring/dashboard.html", {"page": page, "grade": grade, "grades": Grade.choices}
    )


@right_required(Right.TECHNICAL)
@require_http_methods(["GET", "POST"])
def monitoring_settings(request: AuthenticatedRequest) -> HttpResponse:
    account = request.user.account
    instance = scanning.settings_for(account)
    form = MonitoringSettingsForm(request.POST or None, instance=instance, account=account)
    if request.method == "POST" and form.is_valid():
        form.save()
        changes: dict[str, Any] = {k: str(v) for k, v in form.cleaned_data.items()}
        log_action(
            "monitoring.settings_changed",
            account=account,
            user=request.user,
            request=request,
            **changes,
        )
        messages.success(request, _("Monitoring settings saved."))
        return redirect("monitoring:settings")
    return render(
        request,
        "monitoring/settings.html",
        {"form": form},
        status=400 if form.is_bound and form.errors else 200,
    )


@right_required(Right.TECHNICAL)
@require_http_methods(["GET", "POST"])
def endpoint(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    order = get_for_account(
        Order.objects.select_related("product__brand"), request.user.account, reference=reference
    )
    instance = scanning.endpoint_for(order)
    form = EndpointForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        if saved.enabled and (saved.next_scan_at is None or "frequency" in form.changed_data):
            from django.utils import timezone

            saved.next_scan_at = timezone.now()
        saved.save()
        log_action(
            "monitoring.endpoint_changed",
            obj=order,
            user=request.user,
            request=request,
            names=saved.name_list,
            port=saved.port,
            starttls=saved.starttls,
            enabled=saved.enabled,
            frequency=saved.frequency,
        )
        messages.success(request, _("Monitoring of this certificate saved."))
        return redirect("monitoring:endpoint", order.reference)
    results = scanning.history(instance) if instance.pk else []
    return render(
        request,
        "monitoring/endpoint.html",
        {"order": order, "endpoint": instance, "form": form, "results": results},
        status=400 if form.is_bound and form.errors else 200,
    )
