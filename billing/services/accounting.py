"""The customer's accounting lists (ACCT-1, ACCT-3): invoices and credit notes of a period,
unpaid invoices with what remains due, and a zip of selected PDFs.

List querysets never load the stored PDFs (`defer("pdf")`); only the zip reads them, one at a
time. Callers run inside the account's scope.
"""

from __future__ import annotations

import datetime
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import IO, Any

from django.db import connection, transaction
from django.db.models import Count, DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest, Least

from accounts import account_cache
from accounts.models import Account
from accounts.prepared import prepared_list

from ..models import Coupon, CouponState, Document, DocumentKind, DocumentStatus, Receipt

ZERO = Decimal("0.00")
ACCOUNTING_KINDS = (DocumentKind.INVOICE, DocumentKind.CREDIT_NOTE)
# A zip holds at most this many documents: a bigger selection is refused, not truncated.
MAX_ARCHIVE_DOCUMENTS = 500


def year_bounds(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first and last day of `today`'s year: the default period of the lists (ACCT-1)."""
    return datetime.date(today.year, 1, 1), datetime.date(today.year, 12, 31)


def _with_related_number(documents: QuerySet[Document]) -> QuerySet[Document]:
    return documents.annotate(related_number=F("related_document__display_number"))


def listed_documents(account_id: int, ids: list[int], fields: tuple[str, ...]) -> list[Document]:
    """The documents of a page of `accounting_documents` by id (with `related_number`), reading
    `fields`: SQL compiled once per process (issue 17, load)."""

    def rows(account_id: int, ids: tuple[int, ...]) -> QuerySet[Document]:
        return _with_related_number(Document.objects.filter(account_id=account_id, pk__in=ids)).only(*fields)

    return prepared_list(
        f"accounting-documents:{','.join(fields)}", Document, rows, account_id=account_id, ids=tuple(ids)
    )


def accounting_documents(
    account: Account,
    *,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    kind: str = "",
) -> QuerySet[Document]:
    """ACCT-1: the account's invoices and credit notes issued in [date_from, date_to] (inclusive).

    Each row carries `related_number`, the number of the invoice a credit note corrects.
    """
    documents = _with_related_number(
        Document.objects.filter(account=account, kind__in=ACCOUNTING_KINDS).defer("pdf")
    )
    if kind:
        documents = documents.filter(kind=kind)
    if date_from:
        documents = documents.filter(issue_date__gte=date_from)
    if date_to:
        documents = documents.filter(issue_date__lte=date_to)
    return documents.order_by("-issue_date", "-id")


def unpaid_invoices(account: Account) -> QuerySet[Document]:
    """ACCT-3: issued, unpaid invoices, each with `amount_due` (incl. VAT, less its credit notes, the
    deposit coupons applied to its order and the payments received so far): the figure of
    `billing.services.receipts.amount_due`, in SQL.

    The per-row subqueries cost only for the rows read: a list page reads its page's ids over the
    `document_unpaid_due` index without them (`accounts.lists.DeferredJoinData`), then its rows."""
    return with_amount_due(
        Document.objects.filter(account=account, kind=DocumentKind.INVOICE, status=DocumentStatus.ISSUED)
        .defer("pdf")
        .order_by("due_date", "id")
    )


def with_amount_due(documents: QuerySet[Document]) -> QuerySet[Document]:
    """The invoices of `documents` annotated with `amount_due` (three correlated subqueries)."""
    credited = (
        Document.objects.filter(kind=DocumentKind.CREDIT_NOTE, related_document=OuterRef("pk"))
        .order_by()
        .values("related_document")
        .annotate(total=Sum("total_incl_vat"))
        .values("total")
    )
    received = (
        Receipt.objects.filter(document=OuterRef("pk"))
        .order_by()
        .values("document")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    # ACCT-4: deposit coupons used for the invoiced order (booked under its reference).
    coupons = (
        Coupon.objects.filter(
            account_id=OuterRef("account_id"),
            state=CouponState.USED,
            used_reference=OuterRef("source_reference"),
        )
        .exclude(used_reference="")
        .order_by()
        .values("used_reference")
        .annotate(total=Sum("applied_amount"))
        .values("total")
    )
    money = DecimalField(max_digits=12, decimal_places=2)
    # Credit notes are negative: adding them leaves what is still due.
    return documents.annotate(
        amount_due=Greatest(
            F("total_incl_vat")
            + Coalesce(Subquery(credited, output_field=money), Value(ZERO), output_field=money)
            - Least(
                Coalesce(Subquery(coupons, output_field=money), Value(ZERO), output_field=money),
                F("total_incl_vat"),
                output_field=money,
            )
            # ACCT-3: a partial payment leaves the rest due.
            - Coalesce(Subquery(received, output_field=money), Value(ZERO), output_field=money),
            Value(ZERO),
            output_field=money,
        )
    )


@contextmanager
def without_jit() -> Iterator[None]:
    """Run the enclosed queries with PostgreSQL's JIT compilation off (in a transaction of their own).

    The unpaid totals' three correlated subqueries per invoice make the planner's estimate cross
    `jit_above_cost`: at 28,000 unpaid invoices, compiling took 1.7 s of the query's 1.9 s, the
    query itself 0.2 s (issue 17 bench). Elsewhere a no-op."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        yield


def unpaid_figures(account: Account, today: datetime.date) -> dict[str, Any]:
    """ACCT-3: the `count` of unpaid invoices, the `total` due and its `overdue` part on `today`,
    kept in the account's cache (issue 17: not summed over every unpaid invoice on each request).

    The key carries the date, as the overdue part moves with it. Writing a document, a receipt or a
    coupon of the account drops the figures (`billing.signals`), so a page after a payment, a credit
    note or a used deposit coupon shows the new ones at once."""

    def compute() -> dict[str, Any]:
        with without_jit():  # one query
            return (
                unpaid_invoices(account)
                .order_by()
                .aggregate(
                    count=Count("id"),
                    total=Coalesce(Sum("amount_due"), Value(ZERO)),
                    overdue=Coalesce(Sum("amount_due", filter=Q(due_date__lt=today)), Value(ZERO)),
                )
            )

    return account_cache.cached(account.pk, f"unpaid:{today.isoformat()}", compute)


def selected_documents(account: Account, public_ids: Iterable[str]) -> QuerySet[Document]:
    """ACCT-1: the account's invoices and credit notes among `public_ids`; any other id is ignored."""
    ids = {str(public_id).strip() for public_id in public_ids if str(public_id).strip()}
    return Document.objects.filter(account=account, kind__in=ACCOUNTING_KINDS, public_id__in=ids)


def write_archive(documents: QuerySet[Document]) -> tuple[IO[bytes], int]:
    """ACCT-1: a zip of the documents' stored PDFs, named by document number; returns (file, count).

    The PDFs are read one by one and the zip spools to disk past a few megabytes, so a large
    selection does not sit in memory. The file is positioned at its start.
    """
    archive = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (returned open)
    count = 0
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        rows = (
            documents.order_by("issue_date", "id")
            .values_list("display_number", "pdf")
            .iterator(chunk_size=20)
        )
        for number, pdf in rows:
            if pdf:
                zipped.writestr(f"{number}.pdf", bytes(pdf))
                count += 1
    archive.seek(0)
    return archive, count
