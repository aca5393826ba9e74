"""Benchmark: the order list page (LIST-1) with 5, 200 and 2,000 orders.

Prints the SQL query count and the median response time of the first page and of a sort.
Runs in a throw-away test database (never touches the demo data):

    DEBUG=1 .venv/bin/python bench/order_list.py            # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1/portal .venv/bin/python bench/order_list.py
"""

import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django_scopes import scopes_disabled  # noqa: E402

from accounts.models import Account, Contact, Organisation  # noqa: E402
from catalog.models import Product  # noqa: E402
from orders.models import Order, OrderStatus  # noqa: E402
from tests import factories  # noqa: E402


def grow(
    account: Account, product: Product, contacts: list[Contact], organisation: Organisation, total: int
) -> None:
    existing = Order.objects.filter(account=account).count()
    Order.objects.bulk_create(
        [
            Order(
                account=account,
                product=product,
                period_months=12,
                price_excl_vat=Decimal("120.00"),
                status=OrderStatus.AWAITING_PAYMENT,
                organisation=organisation,
                admin_contact=contacts[0],
                technical_contact=contacts[1],
                common_name=f"www{i}.acme.test",
            )
            for i in range(existing, total)
        ]
    )


def measure(client: Client, url: str, rounds: int = 7) -> tuple[int, float]:
    timings = []
    for _ in range(rounds):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - start)
        assert response.status_code == 200, response.status_code
    return len(queries), statistics.median(timings) * 1000


def main() -> None:
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        with scopes_disabled():
            account = factories.make_account("Bench Hosting", domain="acme.test")
            user = factories.make_user(account, "bench", superuser=True)
            product = factories.make_product("bench-ov")
            organisation = account.organisations.get()
            contacts = list(account.contacts.all())
        client = Client()
        client.force_login(user)
        print(f"database: {connection.vendor}")
        print(f"{'orders':>7} {'queries':>8} {'page ms':>8} {'sorted queries':>15} {'sorted ms':>10}")
        for total in (5, 200, 2000):
            with scopes_disabled():
                grow(account, product, contacts, organisation, total)
            q1, t1 = measure(client, "/orders/")
            q2, t2 = measure(
                client, "/orders/?sort=-common_name&page=2" if total > 25 else "/orders/?sort=-common_name"
            )
            print(f"{total:>7} {q1:>8} {t1:>8.1f} {q2:>15} {t2:>10.1f}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
