"""MON-1 settings, MON-2 per-certificate settings and history, the dashboard (grade filter, CSV),
the link from the status page; refusals: wrong right, other tenant, bad input."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import Right
from monitoring.models import MonitoredEndpoint, MonitoringSettings, ScanResult
from monitoring.scanning import enrol
from tests.factories import make_product, make_user
from tests.support.robots import dated_order


@pytest.fixture
def order(account, db):
    return dated_order(account, make_product("monpage-ov"), issued_days_ago=5, lifetime_days=200)


@pytest.fixture
def scanned(order, account):
    with scopes_disabled():
        enrol()
        endpoint = MonitoredEndpoint.objects.get(order=order)
    endpoint.last_grade, endpoint.last_result, endpoint.last_scan_at = "B", "orange", timezone.now()
    endpoint.save()
    ScanResult.objects.create(
        account=account,
        endpoint=endpoint,
        name=order.common_name,
        result="orange",
        grade="B",
        reasons=[{"code": "protocol_legacy", "level": "warning", "params": {"protocols": "TLS 1.0"}}],
    )
    return endpoint


def test_dashboard_lists_grades_filters_and_exports(client, tech, scanned, order):
    client.force_login(tech)
    url = reverse("monitoring:dashboard")
    page = client.get(url).content.decode()
    assert order.reference in page and ">B<" in page
    assert order.reference not in client.get(url + "?grade=A").content.decode()
    assert order.reference in client.get(url + "?grade=B").content.decode()
    csv = client.get(url + "?format=csv")
    assert csv["Content-Type"].startswith("text/csv") and order.reference in csv.content.decode()
    status = client.get(reverse("orders:detail", args=[order.reference])).content.decode()
    assert reverse("monitoring:endpoint", args=[order.reference]) in status


def test_endpoint_page_shows_history_and_saves_settings(client, tech, scanned, order):
    client.force_login(tech)
    url = reverse("monitoring:endpoint", args=[order.reference])
    page = client.get(url).content.decode()
    assert "TLS 1.0" in page and "deprecated" in page
    response = client.post(
        url,
        {
            "names": "www.acme.test\nmail.acme.test",
            "port": "587",
            "starttls": "smtp",
            "enabled": "on",
            "frequency": "daily",
        },
    )
    assert response.status_code == 302
    scanned.refresh_from_db()
    assert scanned.name_list == ["www.acme.test", "mail.acme.test"] and scanned.starttls == "smtp"
    assert client.post(url, {"names": "bad name!", "port": "22", "frequency": "daily"}).status_code == 400


def test_wildcard_defaults_to_sub_domain(account, db):
    order = dated_order(
        account, make_product("monpage-wc"), issued_days_ago=5, lifetime_days=200, common_name="*.acme.test"
    )
    with scopes_disabled():
        enrol()
        assert MonitoredEndpoint.objects.get(order=order).names == "sub.acme.test"


def test_settings_page_saves_and_selection_scope_stops_enrolment(client, tech, account, order):
    client.force_login(tech)
    manager = make_user(account, "mon-boss", rights=[Right.TECHNICAL])
    response = client.post(
        reverse("monitoring:settings"),
        {
            "default_frequency": "monthly",
            "manager": manager.pk,
            "email_format": "plain",
            "scope": "selection",
        },
    )
    assert response.status_code == 302
    saved = MonitoringSettings.objects.get(account=account)
    assert saved.manager == manager and saved.scope == "selection" and not saved.enabled_by_default
    with scopes_disabled():
        assert enrol() == 0


def test_monitoring_refusals(client, account, scanned, order, billing, outsider, other_account):
    client.force_login(billing)
    assert client.get(reverse("monitoring:dashboard")).status_code == 403
    assert client.get(reverse("monitoring:settings")).status_code == 403
    client.force_login(outsider)
    assert client.get(reverse("monitoring:endpoint", args=[order.reference])).status_code == 404
    assert order.reference not in client.get(reverse("monitoring:dashboard")).content.decode()
    foreign_user = make_user(account, "someone-here", rights=[Right.TECHNICAL])
    response = client.post(
        reverse("monitoring:settings"),
        {"default_frequency": "weekly", "manager": foreign_user.pk, "email_format": "html", "scope": "all"},
    )
    assert response.status_code == 400  # a manager from another account is not a choice
