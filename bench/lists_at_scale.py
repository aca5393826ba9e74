"""Benchmark (issue 17): every list page, home, a status page and the accounting pages of an account
with 100,000 orders next to one with 1,000, in one run, on PostgreSQL.

For each page: the median server time (Django test client, in-process) and the number of queries at
both sizes, the ratio large/small, and each time as a multiple of a bare-SQL baseline measured in
the same run (the list's own first-page SELECT run directly). Also: the CSV export of the whole
large list (time to first byte, total, peak memory of the process) and the two beat jobs with a
backlog of 1,000 rows (query count). Not a test: nothing here asserts a time.

    make bench                      # or:
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench .venv/bin/python bench/lists_at_scale.py

The data (bulk, in the app's real shape: orders with organisation, contacts, products, names,
references, custom fields; certificates for the delivered ones, some expired or revoked) is made
once in its own database and kept for the next run (`--rebuild` makes it again).
"""

from __future__ import annotations

import html
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DEBUG", "1")
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_bench")
)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import StreamingHttpResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_scopes import scopes_disabled  # noqa: E402

from accounts.models import Account, User  # noqa: E402
from billing.models import Document, DocumentKind, DocumentStatus  # noqa: E402
from catalog.models import Product  # noqa: E402
from orders.models import Certificate, Order, OrderStatus, refresh_certificate_ends  # noqa: E402
from orders.tables import OrderTable  # noqa: E402
from tests import factories  # noqa: E402

S = OrderStatus
SIZES = tuple(int(n) for n in os.environ.get("BENCH_SIZES", "1000,100000").split(","))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
ONLY = [part for part in os.environ.get("BENCH_PAGES", "").split(",") if part]
BATCH = 5_000
STATUSES = [S.DELIVERED_PAID] * 6 + [S.DELIVERED_NOT_PAID, S.AWAITING_PAYMENT, S.AWAITING_DCV, S.CANCELLED]


def settled() -> None:
    """The tables as autovacuum leaves them in production: statistics current and the visibility
    map set. Right after a bulk load or a migration that rewrote every row, PostgreSQL has neither,
    plans with stale row counts and reads the heap for every index entry (an index-only OFFSET over
    50,000 orders took 128 ms instead of 28 ms), which would measure the load, not the pages."""
    if connection.vendor != "postgresql":
        return
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    print(f"VACUUM (ANALYZE) in {time.perf_counter() - start:.1f}s", flush=True)


def peak_rss_mb() -> float:
    """The process's own peak resident memory (VmHWM, reset by exec). `ru_maxrss` is not: Linux
    carries it across execve, so the export's fresh process would report the peak of the process
    that started it (413 MB in one run, the parent's size after building the data)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ensure_database() -> None:
    from django.db.utils import OperationalError

    try:
        connection.ensure_connection()
    except OperationalError:
        import psycopg

        name = connection.settings_dict["NAME"]
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    call_command("migrate", verbosity=0)


def one_certificate_pem(product: Product) -> str:
    from orders.ca import get_connector
    from portal.management.demo_orders import make_csr

    issued = get_connector(product.brand).issue(
        product=product,
        csr_pem=make_csr(("bench.example.test",), "Bench"),
        common_name="bench.example.test",
        names=["bench.example.test"],
    )
    return issued.pem


def build(size: int, product: Product, pem: str) -> tuple[Account, User]:
    name = f"Bench {size}"
    account = Account.objects.filter(name=name).first()
    if account is not None and Order.objects.filter(account=account).count() == size:
        return account, User.objects.get(account=account, is_account_superuser=True)
    if account is not None:
        Certificate.objects.filter(account=account).delete()
        Order.objects.filter(account=account).delete()
    else:
        account = factories.make_account(name, domain=f"b{size}.test")
        factories.make_user(account, f"bench{size}", superuser=True)
    account.custom_label_1 = "Cost centre"
    account.save()
    user = User.objects.get(account=account, is_account_superuser=True)
    organisation = account.organisations.get()
    contacts = list(account.contacts.all())
    now = timezone.now()
    start = time.perf_counter()
    for first in range(0, size, BATCH):
        orders = []
        for i in range(first, min(size, first + BATCH)):
            created = now - timedelta(minutes=i * (600_000 // size) + i % 7)  # ~14 months
            orders.append(
                Order(
                    account=account,
                    product=product,
                    period_months=12,
                    price_excl_vat=Decimal("120.00"),
                    status=STATUSES[i % len(STATUSES)],
                    organisation=organisation,
                    admin_contact=contacts[0],
                    technical_contact=contacts[-1],
                    common_name=f"host{i}.b{size}.test",
                    sans=[f"alt{i}.b{size}.test"] if i % 2 else [],
                    customer_reference=f"PO-{i:06d}",
                    created_by=user,
                    created_at=created,
                    delivered_at=created + timedelta(days=1),
                    custom_1=f"CC-{i % 40}",
                )
            )
        Order.objects.bulk_create(orders, batch_size=1000)
        delivered = [o for o in orders if o.status in (S.DELIVERED_PAID, S.DELIVERED_NOT_PAID)]
        Certificate.objects.bulk_create(
            [
                Certificate(
                    account=account,
                    order=order,
                    serial=f"{size:x}{order.pk:014x}",
                    pem=pem,
                    common_name=order.common_name,
                    not_before=order.created_at,
                    not_after=order.created_at + timedelta(days=397),
                    hash_algorithm="sha256",
                    fingerprint_sha256="0" * 64,
                    public_key_sha256="0" * 64,
                    state=(
                        Certificate.State.EXPIRED
                        if order.created_at + timedelta(days=397) < now
                        else Certificate.State.REVOKED
                        if order.pk % 23 == 0
                        else Certificate.State.VALID
                    ),
                    created_at=order.created_at + timedelta(days=1),
                )
                for order in delivered
            ],
            batch_size=1000,
        )
    # bulk_create sends no signal: the orders' stored certificate ends in one UPDATE (issue 17).
    refresh_certificate_ends(Order.objects.filter(account=account).values("pk"))
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE orders_order")
        cursor.execute("VACUUM ANALYZE orders_certificate")
    print(f"built {size} orders in {time.perf_counter() - start:.1f}s", flush=True)
    return account, user


INVOICES_PER_ORDER = 83_952 / 100_000  # the shape of the account measured in issue 17


def build_invoices(account: Account, size: int) -> None:
    """`size` × 0.84 invoices (a third of them unpaid), copied in bulk from one issued the real way."""
    from billing.models import Document, DocumentStatus, NumberSequence
    from billing.services import documents as document_services
    from billing.services.documents import LineInput, issue_invoice

    wanted = round(size * INVOICES_PER_ORDER)
    if Document.objects.filter(account=account).count() >= wanted:
        return
    start = time.perf_counter()
    document_services.render_document_pdf = lambda document: b"%PDF-1.4 bench"
    model = issue_invoice(account, [LineInput("SSL DV - 1 year", 1, Decimal("100.00"))], due_days=30)
    skip = {"id", "public_id", "number", "display_number"}
    fields = {
        f.attname: getattr(model, f.attname) for f in Document._meta.concrete_fields if f.attname not in skip
    }
    series, year = model.series, model.year
    base = (
        Document.objects.filter(series=series, year=year)
        .order_by("-number")
        .values_list("number", flat=True)[0]
    )
    today = timezone.localdate()
    for first in range(1, wanted, BATCH):
        rows = []
        for i in range(first, min(wanted, first + BATCH)):
            number = base + i
            rows.append(
                Document(
                    **{
                        **fields,
                        "number": number,
                        "display_number": f"B{size}-{number:07d}",
                        "public_id": f"b{size:x}{number:09x}"[:16],
                        "issue_date": today - timedelta(days=i * 400 // wanted),
                        "due_date": today - timedelta(days=i * 400 // wanted) + timedelta(days=30),
                        "status": DocumentStatus.ISSUED if i % 3 == 0 else DocumentStatus.PAID,
                    }
                )
            )
        Document.objects.bulk_create(rows, batch_size=1000)
    NumberSequence.objects.filter(series=series, year=year).update(last_number=base + wanted)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE billing_document")
    print(f"built {wanted} invoices in {time.perf_counter() - start:.1f}s", flush=True)


def measure(client: Client, url: str) -> tuple[float, int]:
    client.get(url)  # warm
    times, count = [], 0
    for _ in range(ROUNDS):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            response = client.get(url)
            if isinstance(response, StreamingHttpResponse):
                b"".join(response.streaming_content)
            times.append(time.perf_counter() - start)
        if response.status_code not in (200, 302):
            print(f"  {url} answered {response.status_code}", flush=True)
        count = len(ctx.captured_queries)
    return statistics.median(times) * 1000, count


def baseline(account: Account) -> float:
    """The bare SQL of a list's first page, run directly (ms, median)."""
    sql = (
        "SELECT id, reference, common_name, status, created_at FROM orders_order "
        "WHERE account_id = %s ORDER BY created_at DESC, id DESC LIMIT 25"
    )
    times = []
    with connection.cursor() as cursor:
        for _ in range(ROUNDS * 3):
            start = time.perf_counter()
            cursor.execute(sql, [account.pk])
            cursor.fetchall()
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def pages(size: int, account: Account) -> dict[str, str]:
    last = (size + 24) // 25
    with scopes_disabled():
        order = Order.objects.filter(account=account).order_by("created_at").first()
        today = timezone.localdate()
        documents = Document.objects.filter(
            account=account,
            kind__in=(DocumentKind.INVOICE, DocumentKind.CREDIT_NOTE),
            issue_date__year=today.year,
        ).count()
        unpaid = Document.objects.filter(
            account=account, kind=DocumentKind.INVOICE, status=DocumentStatus.ISSUED
        ).count()
    assert order is not None, "the benchmark account has orders"
    middle_documents, middle_unpaid = max((documents + 24) // 25 // 2, 1), max((unpaid + 24) // 25 // 2, 1)
    urls = {
        "home": "/home/",
        "orders first page": "/orders/",
        "orders middle page": f"/orders/?page={last // 2}",
        "orders middle page by link": f"link:/orders/?page={last // 2}",
        "orders last page": f"/orders/?page={last}",
        "orders valid tab": "/orders/?group=valid",
        "orders in progress": "/orders/?group=in_progress",
        "search CN fragment": "/orders/?field=names&q=host12",
        "search custom field": "/orders/?field=custom_1&q=CC-3",
        "date filter (ordered)": f"/orders/?dates=created_at&date_from={timezone.localdate() - timedelta(days=30)}",
        "date filter (expires)": f"/orders/?dates=expires&date_from={timezone.localdate()}&date_to={timezone.localdate() + timedelta(days=30)}",
        "status page": f"/orders/{order.reference}/",
        "approval list": "/orders/approval/",
        "to accept": "/orders/to-accept/",
        "renewals": "/operations/renewals/",
        "reissue list": "/operations/reissue/",
        "accounting invoices": "/accounting/",
        "accounting invoices, middle page": f"/accounting/?page={middle_documents}",
        "accounting invoices, middle by link": f"link:/accounting/?page={middle_documents}",
        "accounting invoices, last page": "/accounting/?page=999999",
        "accounting unpaid": "/accounting/unpaid/",
        "accounting unpaid, middle page": f"/accounting/unpaid/?page={middle_unpaid}",
        "accounting unpaid, middle by link": f"link:/accounting/unpaid/?page={middle_unpaid}",
        "accounting unpaid, last page": "/accounting/unpaid/?page=999999",
        "accounting quotes": "/accounting/quotes/",
        "account statements": "/account/statements/",
        "account statements, middle page": f"/account/statements/?page={middle_documents}",
        "account statements, middle by link": f"link:/account/statements/?page={middle_documents}",
        "account consumption": "/account/consumption/",
    }
    for column in OrderTable.base_columns:
        urls[f"sorted by {column}"] = f"/orders/?sort={column}"
        urls[f"sorted by -{column}, last page"] = f"/orders/?sort=-{column}&page=999999"
    return urls


NEXT_LINK = re.compile(r'<li class="next page-item">\s*<a href="([^"]*)"')


def resolve(client: Client, url: str) -> str:
    """The URL to measure: `link:/list/?page=N` is page N as a user reaches it, by the "Next" link
    of page N - 1 (which carries that page's cursor: keyset pagination, accounts.lists)."""
    if not url.startswith("link:"):
        return url
    path, _, query = url.removeprefix("link:").partition("?page=")
    response = client.get(f"{path}?page={int(query) - 1}")
    found = NEXT_LINK.search(response.content.decode())
    assert found, f"{path} page {int(query) - 1} has a next link"
    return path + html.unescape(found.group(1))


def export_figures(client: Client) -> tuple[float, float, float]:
    """First byte and total of the CSV of the whole large list, and the peak RSS (MB)."""
    start = time.perf_counter()
    response = client.get("/orders/export.csv")
    assert isinstance(response, StreamingHttpResponse), response.status_code
    stream = iter(response.streaming_content)
    next(stream)
    next(stream)  # the BOM, then the header line: the first row follows
    next(stream)
    first = time.perf_counter() - start
    rows = sum(1 for _ in stream)
    total = time.perf_counter() - start
    peak = peak_rss_mb()
    print(f"CSV export of {rows + 1} rows: first row {first * 1000:.0f} ms, total {total:.1f} s")
    return first, total, peak


def jobs() -> None:
    """The beat jobs with a backlog of 1,000 rows: queries (constant) and time."""
    from orders.services.reissue import revoke_scheduled
    from orders.tasks import mark_expired_certificates

    with scopes_disabled():
        account = Account.objects.get(name=f"Bench {SIZES[0]}")
        ids = list(Certificate.objects.filter(account=account).values_list("pk", flat=True)[:1000])
        past = timezone.now() - timedelta(days=1)
        Certificate.objects.filter(pk__in=ids).update(state=Certificate.State.VALID, not_after=past)
    for name, job in (("mark_expired", mark_expired_certificates),):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            done = job()
            elapsed = time.perf_counter() - start
        print(f"{name}: {done} rows, {len(ctx.captured_queries)} queries, {elapsed * 1000:.0f} ms")
    with scopes_disabled():
        Certificate.objects.filter(pk__in=ids).update(
            state=Certificate.State.VALID, not_after=past + timedelta(days=400), revoke_scheduled_at=past
        )
        issuer = Certificate.objects.exclude(issuer=None).values_list("issuer", flat=True).first()
        if issuer is None:
            from orders.ca.embedded import EmbeddedCA

            product = Product.objects.select_related("brand").first()
            assert product is not None, "the catalogue is loaded"
            issuer = EmbeddedCA().authorities(product.brand)[1].pk
        Certificate.objects.filter(pk__in=ids).update(issuer_id=issuer)
    with CaptureQueriesContext(connection) as ctx:
        start = time.perf_counter()
        done = revoke_scheduled()
        elapsed = time.perf_counter() - start
    print(f"revoke_scheduled: {done} rows, {len(ctx.captured_queries)} queries, {elapsed * 1000:.0f} ms")
    with scopes_disabled():
        Certificate.objects.filter(pk__in=ids).update(issuer=None, revoke_scheduled_at=None)


def main() -> None:
    setup_test_environment()
    ensure_database()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["testserver"]
    with scopes_disabled():
        call_command("load_catalog", verbosity=0)
        product = (
            Product.objects.filter(product_type="server_dv", active=True).select_related("brand").first()
        )
        assert product is not None, "load_catalog has a DV server product"
        pem = one_certificate_pem(product)
        built = {size: build(size, product, pem) for size in SIZES}
        for size, (account, _user) in built.items():
            build_invoices(account, size)
    settled()
    clients = {}
    for size, (_account, user) in built.items():
        clients[size] = Client()
        clients[size].force_login(user)
    base = {size: baseline(account) for size, (account, _u) in built.items()}
    print(
        f"database: {connection.vendor}; rounds: {ROUNDS}; bare SQL baseline (ms): "
        + ", ".join(f"{size}: {ms:.2f}" for size, ms in base.items())
    )
    small, large = SIZES
    head = f"{'page':<28} {'ms ' + str(small):>9} {'ms ' + str(large):>10} {'ratio':>6} {'q small':>8} {'q large':>8} {'x base S':>9} {'x base L':>9}"
    print(head)
    print("-" * len(head))
    names = pages(small, built[small][0])
    names_large = pages(large, built[large][0])
    if ONLY:  # BENCH_PAGES=renewals,reissue,valid_until: a trial run of some pages
        names = {name: url for name, url in names.items() if any(part in name for part in ONLY)}
    for name in names:
        t_small, q_small = measure(clients[small], resolve(clients[small], names[name]))
        t_large, q_large = measure(clients[large], resolve(clients[large], names_large[name]))
        print(
            f"{name:<28} {t_small:>9.1f} {t_large:>10.1f} {t_large / t_small:>6.2f} {q_small:>8} {q_large:>8}"
            f" {t_small / base[small]:>9.0f} {t_large / base[large]:>9.0f}",
            flush=True,
        )
    if os.environ.get("BENCH_EXPORT", "1") == "0":  # the pages alone (no export, no beat jobs)
        return
    # The export in a fresh process, so its peak memory is its own, not the data generation's.
    subprocess.run([sys.executable, __file__, "--export", str(built[large][1].pk)], check=True)  # noqa: S603
    jobs()


def export_only(user_pk: int, xlsx_only: bool = False) -> None:
    setup_test_environment()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["testserver"]
    client = Client()
    client.force_login(User.objects.get(pk=user_pk))
    client.get("/home/")  # imports and caches warmed: the export's own memory is what is traced
    before = peak_rss_mb()
    if not xlsx_only:  # `--export PK xlsx`: the XLSX alone, its peak RSS its own
        csv_figures(client, before)
    xlsx_figures(client, before)


def csv_figures(client: Client, before: float) -> None:
    import tracemalloc

    # Timed without tracing (tracemalloc slows every allocation), then again traced for memory.
    first, total, peak = export_figures(client)
    tracemalloc.start()
    export_figures(client)
    _current, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"CSV export: first byte {first * 1000:.0f} ms, total {total:.1f} s, peak RSS of the process"
        f" {peak:.0f} MB ({before:.0f} MB before the export), peak Python allocations during the export"
        f" {traced / 2**20:.1f} MB"
    )


def xlsx_figures(client: Client, before: float) -> None:
    # The XLSX of the same list, after the CSV in the same process unless `xlsx` (its RSS peak then
    # includes the CSV's), untraced: its first bytes (the zip's static parts, before any query), its first rows (the
    # next bytes the compressor gives), the whole file.
    start = time.perf_counter()
    response = client.get("/orders/export.xlsx")
    assert isinstance(response, StreamingHttpResponse), response.status_code
    stream = iter(response.streaming_content)
    size = len(next(stream))
    first = time.perf_counter() - start
    size += len(next(stream, b""))
    rows = time.perf_counter() - start
    size += sum(len(part) for part in stream)
    total = time.perf_counter() - start
    peak = peak_rss_mb()
    print(
        f"XLSX export: {size / 2**20:.1f} MB file, first byte {first * 1000:.0f} ms, first rows"
        f" {rows * 1000:.0f} ms, total {total:.1f} s, peak RSS of the process {peak:.0f} MB"
        f" ({before:.0f} MB before the exports)"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--export"]:
        export_only(int(sys.argv[2]), xlsx_only=sys.argv[3:4] == ["xlsx"])
    else:
        main()
