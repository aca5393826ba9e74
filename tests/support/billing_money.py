"""Helpers shared by the coupon, promo code, late-payment and billing job tests (h16)."""

from __future__ import annotations

import datetime
import threading
from contextlib import contextmanager
from unittest import mock

from django.db import connection
from django.utils import timezone

from accounts.models import Account, Contact


@contextmanager
def on(day: datetime.date):
    """Run as if on `day` at noon (the services date things with timezone.now/localdate)."""
    moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def fake_pdf(document) -> bytes:
    return f"%PDF-1.4 {document.display_number}".encode()


def set_administrative_contact(account: Account) -> Contact:
    contact = Contact.objects.filter(account=account, first_name="Alice").get()
    account.administrative_contact = contact
    account.save(update_fields=["administrative_contact"])
    return contact


def set_formula(account: Account, formula: str) -> Account:
    account.formula = formula
    account.save(update_fields=["formula"])
    return account


def run_together(work, count: int) -> list:
    """Run work(i) in `count` threads released at once, each on its own connection."""
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
