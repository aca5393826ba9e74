"""MON-1..3 and JOBS-4: which certificates are monitored, scanning them, and telling the manager.

A scan of an endpoint tests each of its names: the installation test (LIFE-4: the served chain
matches the certificate, is complete and trusted, covers the name, is not expiring) and sslyze
(monitoring.tls_scan: protocols, cipher suites, vulnerabilities, OCSP stapling, HSTS). Each name
gets a ScanResult with its result and grade; the endpoint keeps the worst. When the result or
the grade changes, the monitoring manager (MON-1) is emailed, in HTML or plain text as chosen.

Private and loopback addresses are refused (monitoring.network) unless
settings.INSTALLATION_TEST_ALLOW_PRIVATE (the tests, a laptop demo).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django_scopes import scopes_disabled

from accounts.mail import send_mail_on_commit
from accounts.models import Account
from catalog.models import SERVER_TYPES
from jobs.recorder import Outcome
from orders.models import DELIVERED, Certificate, Order, OrderOrigin

from . import installation, network, tls_scan
from .models import FREQUENCY_DAYS, Frequency, MonitoredEndpoint, MonitoringSettings, Result, ScanResult
from .reasons import sort_reasons

GRADE_ORDER = ("A+", "A", "A-", "B", "C", "F")
RESULT_ORDER = (Result.GREEN, Result.ORANGE, Result.RED)
CLAIM_BATCH = 50


def settings_for(account: Account) -> MonitoringSettings:
    row = MonitoringSettings.objects.filter(account=account).first()
    return row or MonitoringSettings(account=account)


def default_names(order: Order) -> str:
    """MON-2: the common name, "sub." + domain for a wildcard."""
    name = order.common_name
    return f"sub.{name[2:]}" if name.startswith("*.") else name


def next_scan(frequency: str, now: datetime) -> datetime | None:
    days = FREQUENCY_DAYS.get(frequency)
    return now + timedelta(days=days) if days else None


def enrol(now: datetime | None = None) -> int:
    """MON-1: create the endpoints of delivered server certificates on accounts monitoring "all"
    by default (imported ones if chosen); set-based, idempotent (one row per order)."""
    now = now or timezone.now()
    existing = MonitoredEndpoint.objects.filter(order=OuterRef("pk"))
    opted_out = MonitoringSettings.objects.filter(account=OuterRef("account")).filter(
        Q(enabled_by_default=False) | Q(scope=MonitoringSettings.Scope.SELECTION)
    )
    no_imports = MonitoringSettings.objects.filter(account=OuterRef("account"), include_imported=False)
    orders = (
        Order.objects.filter(status__in=DELIVERED, product__product_type__in=SERVER_TYPES)
        .filter(~Exists(existing), ~Exists(opted_out))
        .exclude(Q(origin=OrderOrigin.IMPORT) & Exists(no_imports))
        .values_list("pk", "account_id", "common_name")
    )
    frequencies = dict(MonitoringSettings.objects.values_list("account_id", "default_frequency"))
    created = 0
    batch: list[MonitoredEndpoint] = []
    for pk, account_id, common_name in orders.iterator(chunk_size=2000):
        frequency = frequencies.get(account_id, Frequency.WEEKLY)
        name = f"sub.{common_name[2:]}" if common_name.startswith("*.") else common_name
        batch.append(
            MonitoredEndpoint(
                account_id=account_id, order_id=pk, names=name, frequency=frequency, next_scan_at=now
            )
        )
        if len(batch) >= 2000:
            created += len(MonitoredEndpoint.objects.bulk_create(batch, ignore_conflicts=True))
            batch = []
    if batch:
        created += len(MonitoredEndpoint.objects.bulk_create(batch, ignore_conflicts=True))
    return created


def claim_due(now: datetime, limit: int) -> list[int]:
    """Take up to `limit` due endpoints for this worker: locked with SKIP LOCKED and their next scan
    moved on in the same transaction, so another worker (or the next run) does not take them too."""
    with transaction.atomic():
        due = list(
            MonitoredEndpoint.objects.select_for_update(skip_locked=True)
            .filter(enabled=True, next_scan_at__lte=now)
            .exclude(frequency=Frequency.NEVER)
            .order_by("next_scan_at", "pk")
            .values_list("pk", "frequency")[:limit]
        )
        for pk, frequency in due:
            MonitoredEndpoint.objects.filter(pk=pk).update(next_scan_at=next_scan(frequency, now))
    return [pk for pk, _ in due]


def scan_due(now: datetime | None = None, limit: int | None = None) -> Outcome:
    """JOBS-4: enrol new certificates, then scan the due endpoints, `concurrency` at a time."""
    now = now or timezone.now()
    limit = limit or int(getattr(settings, "MONITORING_SCANS_PER_RUN", 200))
    concurrency = int(getattr(settings, "MONITORING_CONCURRENCY", 4))
    counts = {"enrolled": 0, "scanned": 0, "changed": 0, "failed": 0}
    with scopes_disabled():
        counts["enrolled"] = enrol(now)
        pks = claim_due(now, limit)

    with scopes_disabled():
        endpoints = list(MonitoredEndpoint.objects.filter(pk__in=pks).only("names", "port", "starttls"))
    prefetched = prefetch_sslyze(endpoints, concurrency)

    def work(pk: int) -> bool | None:
        try:
            with scopes_disabled():
                return scan_endpoint(MonitoredEndpoint.objects.get(pk=pk), now=now, prefetched=prefetched)
        except Exception:  # noqa: BLE001 (one endpoint's failure must not stop the others; counted)
            return None
        finally:
            connection.close()

    if concurrency > 1 and len(pks) > 1 and connection.vendor != "sqlite":
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            outcomes = list(pool.map(work, pks))
    else:
        outcomes = []
        for pk in pks:
            with scopes_disabled():
                outcomes.append(
                    scan_endpoint(MonitoredEndpoint.objects.get(pk=pk), now=now, prefetched=prefetched)
                )
    counts["scanned"] = sum(o is not None for o in outcomes)
    counts["changed"] = sum(bool(o) for o in outcomes)
    counts["failed"] = sum(o is None for o in outcomes)
    return Outcome(done=counts["scanned"], errors=counts["failed"], details=counts)


Prefetched = dict[tls_scan.Target, dict | RuntimeError]


def prefetch_sslyze(endpoints: list[MonitoredEndpoint], concurrency: int) -> Prefetched:
    """The sslyze half of the scans of `endpoints`, run before their installation tests: the names'
    checked addresses grouped by StartTLS, `MONITORING_SSLYZE_BATCH` targets per sslyze process,
    `concurrency` processes at a time. `scan_name` uses a result when its address matches and scans
    on its own otherwise (a refused or unresolved name is left to it)."""
    size = max(1, int(getattr(settings, "MONITORING_SSLYZE_BATCH", 8)))
    groups: dict[str, list[tls_scan.Target]] = {}
    for endpoint in endpoints:
        for name in endpoint.name_list:
            try:
                address = network.resolve_target(name, endpoint.port)[0]
            except network.TargetRefused:
                continue
            groups.setdefault(endpoint.starttls, []).append((name, address, endpoint.port))
    chunks = [
        (starttls, targets[i : i + size])
        for starttls, targets in groups.items()
        for i in range(0, len(targets), size)
    ]
    results: Prefetched = {}
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        for found in pool.map(lambda chunk: tls_scan.run_sslyze_many(chunk[1], chunk[0]), chunks):
            results.update(found)
    return results


def _latest_certificate(order: Order) -> Certificate | None:
    valid = [c for c in order.certificates.all() if c.state == Certificate.State.VALID]
    return max(valid, key=lambda c: (c.not_after, c.pk)) if valid else None


def scan_name(
    name: str,
    port: int,
    starttls: str,
    expected: Certificate | None,
    now: datetime,
    prefetched: Prefetched | None = None,
) -> dict:
    """One name: the installation test, then sslyze on the address that test checked."""
    started = time.monotonic()
    report = installation.test_installation(name, port, starttls=starttls or None, expected=expected, now=now)
    reasons = list(report.reasons)
    details = dict(report.details)
    found = tls_scan.TlsFindings()
    reached = not any(
        r.code
        in {
            "unresolved",
            "address_refused",
            "port_refused",
            "connection_refused",
            "timeout",
            "connection_failed",
            "handshake_failed",
            "starttls_failed",
        }
        for r in reasons
    )
    if reached:
        try:
            address = network.resolve_target(name, port)[0]
            scan = (prefetched or {}).get((name.lower(), address, port))
            if isinstance(scan, RuntimeError):
                raise scan
            if scan is None:
                scan = tls_scan.run_sslyze(name, address, port, starttls)
            found = tls_scan.assess(scan, https=not starttls)
            reasons += found.reasons
            details["tls"] = found.details
        except network.TargetRefused as refused:
            reasons.append(refused.reason)
        except RuntimeError as error:
            from . import reasons as codes

            reasons.append(codes.warning("scanner_failed", error=str(error)[:200]))
    grade = tls_scan.grade(report.result, report.reasons, found) if reached else "F"
    result = tls_scan.status_of(grade, report.result)
    return {
        "name": name,
        "result": result,
        "grade": grade,
        "reasons": [r.as_json() for r in sort_reasons(reasons)],
        "details": details,
        "seconds": round(time.monotonic() - started, 2),
    }


def scan_endpoint(
    endpoint: MonitoredEndpoint, now: datetime | None = None, prefetched: Prefetched | None = None
) -> bool:
    """MON-3: scan every name of `endpoint`, keep the results, email the manager on change.
    Returns whether the endpoint's result or grade changed."""
    now = now or timezone.now()
    order = Order.objects.select_related("account").prefetch_related("certificates").get(pk=endpoint.order_id)
    expected = _latest_certificate(order)
    outcomes = [
        scan_name(name, endpoint.port, endpoint.starttls, expected, now, prefetched)
        for name in endpoint.name_list
    ]
    if not outcomes:
        return False
    with transaction.atomic():
        ScanResult.objects.bulk_create(
            [
                ScanResult(
                    account_id=endpoint.account_id,
                    endpoint=endpoint,
                    name=o["name"],
                    scanned_at=now,
                    seconds=o["seconds"],
                    result=o["result"],
                    grade=o["grade"],
                    reasons=o["reasons"],
                    details=o["details"],
                )
                for o in outcomes
            ]
        )
        worst_grade = max((o["grade"] for o in outcomes), key=GRADE_ORDER.index)
        worst_result = max((o["result"] for o in outcomes), key=RESULT_ORDER.index)
        locked = MonitoredEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        changed = bool(locked.last_grade) and (locked.last_grade, locked.last_result) != (
            worst_grade,
            worst_result,
        )
        previous = (locked.last_grade, locked.last_result)
        locked.last_scan_at = now
        if changed or not locked.last_grade:
            locked.last_changed_at = now
        locked.last_grade, locked.last_result = worst_grade, worst_result
        locked.save(update_fields=["last_scan_at", "last_changed_at", "last_grade", "last_result"])
        if changed:
            _email_change(locked, order, previous, outcomes)
    return changed


def _email_change(
    endpoint: MonitoredEndpoint, order: Order, previous: tuple[str, str], outcomes: list[dict]
) -> None:
    options = settings_for(order.account)
    manager = options.manager
    if manager is None or not manager.email:
        return
    language = getattr(manager, "language", "") or order.account.language
    with translation.override(language):
        from .reasons import Reason

        context = {
            "common_name": order.common_name,
            "reference": order.reference,
            "previous_grade": previous[0],
            "previous_result": str(Result(previous[1]).label) if previous[1] else "",
            "grade": endpoint.last_grade,
            "result": str(Result(endpoint.last_result).label),
            "names": [
                {
                    "name": o["name"],
                    "grade": o["grade"],
                    "reasons": [r.message for r in Reason.from_json_list(o["reasons"]) if r.level != "ok"],
                }
                for o in outcomes
            ],
            "url": settings.SITE_URL + reverse("monitoring:endpoint", args=[order.reference]),
            "plain_text_only": options.email_format == MonitoringSettings.EmailFormat.PLAIN,
        }
    send_mail_on_commit("monitoring_changed", [manager.email], context, language, account=order.account)


# Pages ------------------------------------------------------------------------------------------


def dashboard(account: Account, grade: str = "") -> QuerySet[MonitoredEndpoint]:
    rows = MonitoredEndpoint.objects.filter(account=account).select_related("order__product__brand")
    if grade:
        rows = rows.filter(last_grade=grade)
    return rows.order_by("order__common_name", "pk")


def history(endpoint: MonitoredEndpoint, limit: int = 50) -> list[ScanResult]:
    return list(endpoint.results.order_by("-scanned_at", "-id")[:limit])


def endpoint_for(order: Order) -> MonitoredEndpoint:
    """The order's endpoint, or an unsaved one with the account's defaults (MON-1, MON-2)."""
    existing = MonitoredEndpoint.objects.filter(order=order).first()
    if existing:
        return existing
    options = settings_for(order.account)
    return MonitoredEndpoint(
        account=order.account,
        order=order,
        names=default_names(order),
        frequency=options.default_frequency,
        enabled=options.enabled_by_default and options.scope == MonitoringSettings.Scope.ALL,
    )
