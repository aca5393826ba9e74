"""MON-3 against real servers on loopback, scanned by sslyze (its own venv) and the installation test:
nginx with a good chain, a missing intermediate, an expired certificate, TLS 1.0 enabled, a weak cipher
suite; an SMTP server with STARTTLS (aiosmtpd). Each gets the grade and reasons a person would expect.
Kept few: an sslyze scan takes seconds."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from django_scopes import scopes_disabled

from catalog.models import ProductType
from jobs.models import JobRun
from monitoring.models import MonitoredEndpoint, MonitoringSettings, ScanResult
from monitoring.scanning import scan_name
from monitoring.tasks import scan_due
from orders.models import Certificate
from tests.factories import make_product, make_user
from tests.support.robots import dated_order
from tests.support.tls_servers import NAME, SmtpStartTls, nginx_binary, start_nginx

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not Path(django_settings.SSLYZE_BIN).exists(), reason="sslyze missing: make sslyze"),
]


@pytest.fixture(autouse=True)
def _loopback(settings):
    settings.INSTALLATION_TEST_ALLOW_PRIVATE = True
    settings.MONITORING_CONCURRENCY = 1


@pytest.fixture
def product(db):
    return make_product("mon-dv", product_type=ProductType.SERVER_DV, validation="DV")


@pytest.fixture
def sites(tmp_path, product):
    if nginx_binary() is None:
        pytest.fail("nginx is missing: install the Debian package `nginx` (make test does)")
    running = start_nginx(tmp_path / "nginx", product)
    yield running
    running.stop()


def codes(outcome, level=None) -> set[str]:
    return {r["code"] for r in outcome["reasons"] if level is None or r["level"] == level}


def test_nginx_configurations_get_the_grades_a_person_expects(sites):
    now = timezone.now()
    scanned = {label: scan_name(NAME, port, "", None, now) for label, port in sites.ports.items()}

    good = scanned["good"]
    assert (good["grade"], good["result"]) == ("A+", "green"), good["reasons"]
    assert {"trusted", "ciphers_ok", "vulnerabilities_ok", "hsts_ok"} <= codes(good)
    assert good["details"]["tls"]["protocols"] == ["TLS 1.2", "TLS 1.3"]

    missing = scanned["no_intermediate"]
    assert (missing["grade"], missing["result"]) == ("B", "orange")
    assert "intermediate_missing" in codes(missing, "warning")

    expired = scanned["expired"]
    assert (expired["grade"], expired["result"]) == ("F", "red") and "expired" in codes(expired, "error")

    legacy = scanned["tls10"]
    assert (legacy["grade"], legacy["result"]) == ("B", "orange")
    assert (
        "protocol_legacy" in codes(legacy, "warning") and "TLS 1.0" in legacy["details"]["tls"]["protocols"]
    )

    weak = scanned["weak_cipher"]
    assert weak["result"] == "orange" and weak["grade"] in ("B", "C")
    assert "cipher_no_forward_secrecy" in codes(weak) and "no_tls13" in codes(weak)


def test_smtp_starttls_endpoint_through_the_job_emails_the_manager_on_change(
    tmp_path, product, account, mailoutbox, django_capture_on_commit_callbacks
):
    from tests.support.tls_servers import issue

    leaf = issue(product)
    order = dated_order(account, product, issued_days_ago=5, lifetime_days=200, common_name=NAME, sans=[])
    Certificate.objects.filter(order=order).delete()
    Certificate.objects.create(account=account, order=order, **leaf.issued.certificate_fields())
    manager = make_user(account, "mon-manager", superuser=True)
    MonitoringSettings.objects.create(account=account, manager=manager, email_format="plain")
    with SmtpStartTls(tmp_path / "smtp", leaf) as smtp:
        with django_capture_on_commit_callbacks(execute=True):
            scan_due()  # enrols the order (port 443 by default, nothing listens: red)
        with scopes_disabled():
            endpoint = MonitoredEndpoint.objects.get(order=order)
        assert endpoint.last_result == "red" and endpoint.last_grade == "F"
        MonitoredEndpoint.objects.filter(pk=endpoint.pk).update(
            port=smtp.port, starttls="smtp", next_scan_at=timezone.now() - timedelta(minutes=1)
        )
        with django_capture_on_commit_callbacks(execute=True):
            scan_due()
    endpoint.refresh_from_db()
    latest = ScanResult.objects.filter(endpoint=endpoint).order_by("-scanned_at", "-id").first()
    assert endpoint.last_result == "green", latest.reasons
    assert endpoint.last_grade in ("A", "A-") and "expected_ok" in {r["code"] for r in latest.reasons}
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [manager.email]
    assert "F" in mailoutbox[0].body and mailoutbox[0].alternatives == []  # plain text as chosen
    assert JobRun.objects.filter(name__contains="JOBS-4").count() == 2
