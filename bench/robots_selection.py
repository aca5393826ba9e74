"""Benchmark: the nightly selections of the robots (JOBS-1 reissue list, JOBS-2 automatic renewal,
JOBS-5 expiry reminders) over many certificates on PostgreSQL (issue 11: 1,000,000, each <= 60 s,
query count independent of the number of certificates beyond batching).

Runs in a throw-away test database (never touches real data). The rows are written with one
INSERT ... SELECT generate_series per table (PostgreSQL only, bench only). Certificates are spread
over the last 400 days with 200- or 398-day lifetimes in 12- or 24-month subscriptions; one order
in ten is on automatic renewal. Emails are not sent (the email backend is the dummy one).

    DATABASE_URL=postgres://postgres@127.0.0.1/portal_bench .venv/bin/python bench/robots_selection.py [COUNT]
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from collections.abc import Callable  # noqa: E402

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django_scopes import scopes_disabled  # noqa: E402

from orders.models import Order  # noqa: E402
from orders.services import auto_renewal, reissue_list, reminders  # noqa: E402


def _order_columns(given: dict) -> tuple[list[str], list[str], list]:
    """Every NOT NULL column of orders_order: the given SQL, else the field's default as a parameter
    (so the bench follows the model when fields are added)."""
    columns, values, params = [], [], []
    for field in Order._meta.concrete_fields:
        if field.primary_key:
            continue
        column = str(field.column)
        if column in given:
            sql, extra = given[column]
        elif field.null:
            continue
        else:
            sql, extra = "%s", [field.get_db_prep_save(field.get_default(), connection)]
        columns.append(column)
        values.append(sql)
        params += extra
    return columns, values, params


def grow(total: int) -> None:
    from tests.factories import make_account, make_product, make_user

    account = make_account("Bench Robots", domain="bench.test")
    make_user(account, "bench-owner", superuser=True)
    product = make_product("bench-ov", reissuable=True, product_type="server_dv", validation="DV")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT o.id, a.id, t.id FROM accounts_organisation o, accounts_contact a, accounts_contact t "
            "WHERE o.account_id = %s AND a.account_id = %s AND t.account_id = %s AND a.email LIKE 'admin@%%' "
            "AND t.email LIKE 'tech@%%'",
            [account.pk] * 3,
        )
        org, admin, tech = cursor.fetchone()
        day = "now() - ((i %% 400) || ' days')::interval"
        given = {
            "account_id": ("%s", [account.pk]),
            "reference": ("'B' || lpad(i::text, 10, '0')", []),
            "product_id": ("%s", [product.pk]),
            "period_months": ("CASE WHEN i %% 2 = 0 THEN 12 ELSE 24 END", []),
            "price_excl_vat": ("100", []),
            "vat_rate": ("20", []),
            "status": ("'delivered_paid'", []),
            "organisation_id": ("%s", [org]),
            "admin_contact_id": ("%s", [admin]),
            "technical_contact_id": ("%s", [tech]),
            "server_software": ("'nginx'", []),
            "common_name": ("'h' || i || '.bench.test'", []),
            "dcv_method": ("'dns'", []),
            "created_at": (day, []),
            "paid_at": (day, []),
            "delivered_at": (day, []),
            "origin": ("'ordered'", []),
            "auto_renew": ("i %% 10 = 0", []),
        }
        columns, values, params = _order_columns(given)
        cursor.execute(
            # Column names come from the model, expressions from the literals above; values are parameters.
            f"INSERT INTO orders_order ({', '.join(columns)}) SELECT {', '.join(values)} "  # noqa: S608
            "FROM generate_series(1, %s) AS i",
            [*params, total],
        )
        cursor.execute(
            """
            INSERT INTO orders_certificate (account_id, order_id, issuer_id, issuer_name, serial, pem, common_name,
                not_before, not_after, hash_algorithm, fingerprint_sha256, public_key_sha256, state, note,
                created_at, imported, reissue_reason, revocation_reason, chain)
            SELECT o.account_id, o.id, NULL, 'Bench CA', 'S' || o.id, '', o.common_name, o.paid_at,
                o.paid_at + (CASE WHEN o.id %% 3 = 0 THEN 398 ELSE 200 END || ' days')::interval, 'sha256', '', md5(o.id::text) || md5(o.id::text),
                'valid', '', o.paid_at, false, '', '', ''
            FROM orders_order o WHERE o.account_id = %s
            """,
            [account.pk],
        )
        cursor.execute("ANALYZE")


def timed(label: str, work: Callable[[], object]) -> None:
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = work()
        seconds = time.perf_counter() - started
    print(f"{label:<42} {seconds:8.1f} s  {len(queries):6d} queries  -> {result}")


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    if connection.vendor != "postgresql":
        sys.exit("Run on PostgreSQL: set DATABASE_URL.")
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        with (
            scopes_disabled(),
            override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"),
        ):
            from orders.ca import get_connector
            from tests.factories import (
                make_csr,
                make_key,
                make_product,  # noqa: F401  (the factories need the database)
            )

            started = time.perf_counter()
            grow(total)
            # One real issuance so the embedded CA exists, then every certificate points at it.
            product = __import__("catalog.models", fromlist=["Product"]).Product.objects.get(code="bench-ov")
            get_connector(product.brand).issue(
                product=product,
                csr_pem=make_csr("x.bench.test", key=make_key("p256")),
                common_name="x.bench.test",
                names=[],
            )
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE orders_certificate SET issuer_id = (SELECT id FROM orders_certificateauthority WHERE kind = 'intermediate' LIMIT 1)"
                )
                cursor.execute("ANALYZE")
            print(
                f"{Order.objects.count():,} orders and certificates written in {time.perf_counter() - started:.0f} s"
            )
            from django.utils import timezone

            now = timezone.now()
            timed(
                "JOBS-1 selection (count due in 30 days)",
                lambda: reissue_list.due_certificates(now + reissue_list.HORIZON).count(),
            )
            timed("JOBS-1 rebuild (upsert the list)", lambda: reissue_list.rebuild(now).details)
            timed("JOBS-1 rebuild again (idempotent)", lambda: reissue_list.rebuild(now).details)
            timed("JOBS-2 selection (orders within 90 days)", lambda: auto_renewal.due_orders(now).count())
            timed("JOBS-5 selection (ending within 90 days)", lambda: reminders.expiring(now, 0, 90).count())
            timed(
                "JOBS-5 subscription filter (ids, batched)",
                lambda: sum(
                    1
                    for _ in reminders._ending_with_subscription(
                        reminders.expiring(now, 0, 90).order_by("pk")
                    )
                ),
            )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(f"database: {settings.DATABASES['default']['NAME']} (test copy, dropped)")


if __name__ == "__main__":
    main()
