"""Demo data of the robots (issue 11): a few two-year subscriptions whose certificate must be
reissued soon (ORD-13: the recommended reissue list has entries), one order on automatic renewal
(ORD-14), and monitored certificates with recorded scan results and grades (MON-1..3).

No scan runs at load time: the results are recorded as a scan would have left them, and the next
scans are scheduled one frequency later (the demo's worker then scans them for real: the demo's
names do not resolve, which the dashboard will then say). Safe to run again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from catalog.models import Product
from monitoring.models import InstallationCheck, MonitoredEndpoint, MonitoringSettings, Result, ScanResult
from monitoring.scanning import enrol, next_scan
from orders.models import Certificate, Order, OrderStatus, RenewalSettings
from orders.services import reissue_list
from orders.services.ordering import find_submitted

from .demo_accounts import DemoAccount
from .demo_orders import DemoOrder, _Context, _place

S = OrderStatus
P, E = "partner-demo.test", "enterprise-demo.test"

# Two-year subscriptions issued under the 398-day rule: the certificate ends long before the
# subscription, a third of its lifetime remains: due for reissue (LIFE-9).
ROBOT_ORDERS = {
    P: [
        DemoOrder(S.DELIVERED_PAID, "tbs-x509-ssl-ov", 24, 0, (f"intranet.{P}",), 40),
        DemoOrder(S.DELIVERED_PAID, "sectigo-dv", 24, 1, (f"api.{P}",), 12),
    ],
    E: [DemoOrder(S.DELIVERED_PAID, "tbs-x509-ssl-ov", 24, 0, (f"portail.{E}",), 55)],
}

# Recorded results, cycled over the monitored endpoints: (grade, result, reasons).
RECORDED: list[tuple[str, str, list[tuple[str, str, dict[str, object]]]]] = [
    (
        "A+",
        "green",
        [
            ("hsts_ok", "ok", {"days": 365}),
            ("protocols_ok", "ok", {"protocols": "TLS 1.2, TLS 1.3"}),
            ("vulnerabilities_ok", "ok", {}),
        ],
    ),
    (
        "A",
        "green",
        [
            ("protocols_ok", "ok", {"protocols": "TLS 1.2, TLS 1.3"}),
            ("no_hsts", "warning", {}),
            ("ciphers_ok", "ok", {}),
        ],
    ),
    (
        "B",
        "orange",
        [
            ("protocol_legacy", "warning", {"protocols": "TLS 1.0, TLS 1.1"}),
            ("no_ocsp_stapling", "warning", {}),
        ],
    ),
    (
        "B",
        "orange",
        [
            ("intermediate_missing", "warning", {"missing": "the issuing CA"}),
            ("protocols_ok", "ok", {"protocols": "TLS 1.2, TLS 1.3"}),
        ],
    ),
    (
        "C",
        "orange",
        [
            ("cipher_insecure", "error", {"ciphers": "TLS_RSA_WITH_3DES_EDE_CBC_SHA"}),
            ("no_tls13", "warning", {}),
        ],
    ),
    ("F", "red", [("expired", "error", {"date": "2026-11-28"})]),
]


def ensure_robots(demos: list[DemoAccount], staff: User, now: datetime | None = None) -> None:
    now = now or timezone.now()
    for demo in demos:
        _orders(demo, staff, now)
        owner = next(u for u in demo.users.values() if u.is_account_superuser)
        MonitoringSettings.objects.get_or_create(account=demo.account, defaults={"manager": owner})
        RenewalSettings.objects.get_or_create(account=demo.account)
        first_delivered = (
            Order.objects.filter(
                account=demo.account, status=S.DELIVERED_PAID, product__brand__code="tbs-x509"
            )
            .order_by("created_at", "pk")
            .first()
        )
        if first_delivered is not None and not first_delivered.auto_renew:
            Order.objects.filter(pk=first_delivered.pk).update(auto_renew=True)
    reissue_list.rebuild(now)
    enrol(now)
    _record_results(now)
    for demo in demos:
        _record_installation_tests(demo, now)


def _orders(demo: DemoAccount, staff: User, now: datetime) -> None:
    specs = ROBOT_ORDERS.get(demo.spec.domain, [])
    products = {
        p.code: p for p in Product.objects.filter(code__in={s.product for s in specs}).select_related("brand")
    }
    ctx = _Context(demo, staff, products, now)
    for index, spec in enumerate(specs):
        if spec.product not in products or find_submitted(demo.account, spec.token) is not None:
            continue
        with transaction.atomic():
            _place(ctx, spec, 200 + index)


def _record_installation_tests(demo: DemoAccount, now: datetime) -> None:
    """LIFE-4: a passed installation test of the account's first valid certificates, so their
    status pages show one (the test itself connects to the server: the demo's do not exist)."""
    owner = next(u for u in demo.users.values() if u.is_account_superuser)
    certificates = (
        Certificate.objects.filter(account=demo.account, state=Certificate.State.VALID, not_after__gt=now)
        .select_related("order")
        .order_by("order__created_at", "pk")[:3]
    )
    for index, certificate in enumerate(certificates):
        if InstallationCheck.objects.filter(certificate=certificate).exists():
            continue
        name = certificate.order.common_name
        InstallationCheck.objects.create(
            account=demo.account,
            certificate=certificate,
            host=f"www.{name[2:]}" if name.startswith("*.") else name,
            port=443,
            result=Result.GREEN,
            checked_at=now - timedelta(days=2 + index),
            by=owner,
        )


def _record_results(now: datetime) -> None:
    endpoints = MonitoredEndpoint.objects.filter(last_grade="").select_related("order").order_by("pk")
    for index, endpoint in enumerate(endpoints):
        grade, result, reasons = RECORDED[index % len(RECORDED)]
        when = now - timedelta(hours=6 + index)
        ScanResult.objects.create(
            account_id=endpoint.account_id,
            endpoint=endpoint,
            name=endpoint.name_list[0],
            scanned_at=when,
            seconds=3.4,
            result=result,
            grade=grade,
            reasons=[{"code": code, "level": level, "params": params} for code, level, params in reasons],
        )
        endpoint.last_grade, endpoint.last_result = grade, result
        endpoint.last_scan_at = endpoint.last_changed_at = when
        endpoint.next_scan_at = next_scan(endpoint.frequency, now)
        endpoint.save(
            update_fields=["last_grade", "last_result", "last_scan_at", "last_changed_at", "next_scan_at"]
        )
