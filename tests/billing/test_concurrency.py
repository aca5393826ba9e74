"""Concurrency on PostgreSQL: each thread has its own connection and transaction (LEDG-2, ACCT-1).

Twenty threads start together behind a barrier. Debits of one account are serialised by the lock
on its billing profile: the balance ends exact, never negative, each reference debited once.
Invoice numbers come from a locked sequence row: 1..20, no gap, no duplicate.
"""

from __future__ import annotations

import threading
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_scopes import scope

from billing.models import Document, EuroMovement, NumberSequence, TokenMovement
from billing.services.documents import LineInput, issue_invoice
from billing.services.ledger import (
    InsufficientBalance,
    credit_euros,
    credit_tokens,
    debit_euros,
    debit_tokens,
    euro_balance,
    lock_account,
    token_balance,
)

THREADS = 20


def run_together(work, count: int = THREADS) -> list:
    """Run work(i) in `count` threads released at once; each closes its own connection."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def target(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except Exception as error:  # noqa: BLE001 (the test inspects what each thread got)
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_token_debits_leave_an_exact_balance(account, product):
    credit_tokens(account, product, 15, reference="TOP-1")

    def debit(i: int):
        with scope(account=account.pk):
            return debit_tokens(account, product, 1, reference=f"CP{i:04d}")

    results = run_together(debit)
    done = [r for r in results if isinstance(r, TokenMovement)]
    refused = [r for r in results if isinstance(r, InsufficientBalance)]
    assert (len(done), len(refused)) == (15, 5), results
    assert token_balance(account, product) == 0
    references = [m.reference for m in TokenMovement.objects.filter(kind="consumption")]
    assert len(references) == len(set(references)) == 15


@pytest.mark.django_db(transaction=True)
def test_concurrent_euro_debits_never_go_negative(account):
    credit_euros(account, Decimal("100.00"), reference="TOP-1")

    def debit(i: int):
        with scope(account=account.pk):
            return debit_euros(account, Decimal("7.50"), reference=f"CP{i:04d}")

    results = run_together(debit)
    done = [r for r in results if isinstance(r, EuroMovement)]
    refused = [r for r in results if isinstance(r, InsufficientBalance)]
    assert (len(done), len(refused)) == (13, 7), results  # 13 × 7.50 = 97.50
    assert euro_balance(account) == Decimal("2.50")


@pytest.mark.django_db(transaction=True)
def test_the_same_reference_debited_by_many_threads_is_debited_once(account, product):
    credit_tokens(account, product, 50, reference="TOP-1")

    def debit(i: int):
        with scope(account=account.pk):
            return debit_tokens(account, product, 2, reference="CP-SAME")

    results = run_together(debit)
    assert all(isinstance(r, TokenMovement) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert token_balance(account, product) == 48


@pytest.mark.django_db(transaction=True)
def test_concurrent_invoices_are_numbered_without_gap_nor_duplicate(account):
    def issue(i: int):
        with scope(account=account.pk):
            return issue_invoice(
                account, [LineInput(f"Line {i}", 1, Decimal("10.00"))], reference=f"CP{i:04d}"
            )

    results = run_together(issue)
    assert all(isinstance(r, Document) for r in results), results
    numbers = sorted(r.number for r in results)
    assert numbers == list(range(1, THREADS + 1))
    year = timezone.localdate().year
    assert Counter(r.display_number for r in results).most_common(1)[0][1] == 1
    assert NumberSequence.objects.get(series="F", year=year).last_number == THREADS
    # Numbers follow the order of creation.
    by_creation = list(Document.objects.order_by("created_at", "id").values_list("number", flat=True))
    assert by_creation == sorted(by_creation)


@pytest.mark.django_db(transaction=True)
def test_locks_need_a_transaction(account):
    with pytest.raises(RuntimeError):
        lock_account(account)
    with transaction.atomic():
        assert lock_account(account).account == account
