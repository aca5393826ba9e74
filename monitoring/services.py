"""Installation test workflow (LIFE-4): who may run it how often, what is kept of each run."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from accounts.audit import log_action
from accounts.models import User
from orders.models import Certificate

from . import installation
from .models import InstallationCheck

RATE_WINDOW_SECONDS = 60
LAST_CHECKS_SHOWN = 10


def tests_per_minute() -> int:
    """settings.INSTALLATION_TEST_PER_MINUTE: each test opens a connection from our network."""
    return int(getattr(settings, "INSTALLATION_TEST_PER_MINUTE", 5))


def allow_test(user: User) -> bool:
    """Count one test of `user`; False beyond `tests_per_minute()` in the current window (LIFE-4)."""
    key = f"monitoring:installation-tests:{user.pk}"
    cache.add(key, 0, timeout=RATE_WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # the counter expired between add and incr
        cache.set(key, 1, timeout=RATE_WINDOW_SECONDS)
        count = 1
    return count <= tests_per_minute()


def default_host(certificate: Certificate) -> str:
    """The host the form proposes: the common name, "www." + domain for a wildcard (MON-2)."""
    name = certificate.common_name
    return f"www.{name[2:]}" if name.startswith("*.") else name


def run_installation_check(
    *,
    certificate: Certificate,
    user: User,
    host: str,
    port: int,
    starttls: str = "",
    request: HttpRequest | None = None,
) -> InstallationCheck:
    """LIFE-4: test the installation of `certificate` on host:port and keep the result.

    The test runs in the request: it is bounded by its timeout and by `allow_test`.
    """
    report = installation.test_installation(host, port, starttls=starttls or None, expected=certificate)
    check = InstallationCheck.objects.create(
        account_id=certificate.account_id,
        certificate=certificate,
        host=report.host,
        port=port,
        starttls=starttls,
        result=report.result,
        reasons=report.reasons_json,
        details=report.details,
        by=user,
    )
    log_action(
        "certificate.installation_tested",
        account=certificate.account,
        user=user,
        obj=certificate.order,
        request=request,
        serial=certificate.serial,
        host=report.host,
        port=port,
        starttls=starttls,
        result=report.result,
    )
    return check


def last_checks(certificate: Certificate) -> list[InstallationCheck]:
    return list(
        InstallationCheck.objects.filter(certificate=certificate)
        .select_related("by")
        .order_by("-checked_at", "-id")[:LAST_CHECKS_SHOWN]
    )
