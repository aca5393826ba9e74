"""JOBS-4 / MON-3: the due endpoints are scanned by sslyze several per process (its start-up is most
of a scan), and each result lands on its own endpoint. Real nginx on loopback, real sslyze."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from django_scopes import scopes_disabled

from catalog.models import ProductType
from monitoring import tls_scan
from monitoring.models import MonitoredEndpoint, ScanResult
from monitoring.tasks import scan_due
from tests.factories import make_product
from tests.support.robots import dated_order
from tests.support.tls_servers import NAME, nginx_binary, start_nginx

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not Path(django_settings.SSLYZE_BIN).exists(), reason="sslyze missing: make sslyze"),
]


@pytest.fixture(autouse=True)
def _loopback(settings):
    settings.INSTALLATION_TEST_ALLOW_PRIVATE = True
    settings.MONITORING_CONCURRENCY = 1
    settings.MONITORING_SSLYZE_BATCH = 8


@pytest.fixture
def product(db):
    return make_product("batch-dv", product_type=ProductType.SERVER_DV, validation="DV")


@pytest.fixture
def sites(tmp_path, product):
    if nginx_binary() is None:
        pytest.fail("nginx is missing: install the Debian package `nginx` (make test does)")
    running = start_nginx(tmp_path / "nginx", product)
    yield running
    running.stop()


def test_due_endpoints_share_one_sslyze_process_and_keep_their_own_results(
    sites, account, product, monkeypatch, django_capture_on_commit_callbacks
):
    labels = ("good", "tls10", "expired")
    orders = {
        label: dated_order(account, product, issued_days_ago=5, lifetime_days=200, common_name=NAME, sans=[])
        for label in labels
    }
    with django_capture_on_commit_callbacks(execute=True):
        scan_due()  # enrols the three orders
    with scopes_disabled():
        for label, order in orders.items():
            MonitoredEndpoint.objects.filter(order=order).update(
                port=sites.ports[label], next_scan_at=timezone.now() - timedelta(minutes=1)
            )
    started: list[list[str]] = []
    real_run = subprocess.run

    def counting_run(command, *args, **kwargs):
        if command and command[0] == django_settings.SSLYZE_BIN:
            started.append(command)
        return real_run(command, *args, **kwargs)

    monkeypatch.setattr(tls_scan.subprocess, "run", counting_run)

    with django_capture_on_commit_callbacks(execute=True):
        outcome = scan_due()

    assert outcome["scanned"] == 3 and outcome["failed"] == 0, outcome
    assert len(started) == 1  # one sslyze process for the three endpoints
    with scopes_disabled():
        latest = {
            label: ScanResult.objects.filter(endpoint__order=order).order_by("-scanned_at", "-id").first()
            for label, order in orders.items()
        }
    assert latest["good"].details["tls"]["protocols"] == ["TLS 1.2", "TLS 1.3"]
    assert "TLS 1.0" in latest["tls10"].details["tls"]["protocols"]
    assert latest["expired"].grade == "F"
    assert "TLS 1.0" not in latest["expired"].details["tls"]["protocols"]


def test_a_target_the_batch_could_not_reach_gets_the_scanners_reason(sites):
    found = tls_scan.run_sslyze_many([(NAME, "127.0.0.1", sites.ports["good"]), (NAME, "127.0.0.1", 9)])
    assert "tls_1_2_cipher_suites" in found[(NAME, "127.0.0.1", sites.ports["good"])]
    assert isinstance(found[(NAME, "127.0.0.1", 9)], RuntimeError)
