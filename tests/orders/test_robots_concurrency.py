"""Two workers running the same robot at the same moment, on PostgreSQL (each thread its own
connection): an automatic renewal is filed once, a reminder emailed once, the reissue list built once."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django_scopes import scopes_disabled

from accounts.models import Account
from billing.services.ledger import credit_euros
from jobs.models import JobRun
from orders.models import AutoRenewalFiling, CertificateNotice, Order, OrderOrigin, ReissueRecommendation
from orders.tasks_robots import expiry_reminders, file_auto_renewals, rebuild_reissue_list
from tests.factories import make_product, make_user
from tests.support.billing_money import run_together
from tests.support.robots import dated_order

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")


@pytest.mark.django_db(transaction=True)
def test_two_workers_file_one_automatic_renewal(account):
    product = make_product("conc-ov", reissuable=True)
    make_user(account, "conc-owner", superuser=True)
    Account.objects.filter(pk=account.pk).update(formula=Account.Formula.CURRENT)
    account.refresh_from_db()
    credit_euros(account, Decimal("1000.00"), reference="TOPUP-C", user=None)
    sources = [
        dated_order(account, product, issued_days_ago=320, lifetime_days=365, common_name=f"c{i}.acme.test")
        for i in range(3)
    ]
    Order.objects.filter(pk__in=[o.pk for o in sources]).update(auto_renew=True)

    results = run_together(lambda i: file_auto_renewals(), 2)

    assert not any(isinstance(r, Exception) for r in results), results
    with scopes_disabled():
        assert Order.objects.filter(origin=OrderOrigin.RENEWAL).count() == 3
        assert AutoRenewalFiling.objects.filter(status="filed").count() == 3
        for source in sources:
            assert Order.objects.filter(source_order=source).count() == 1
    assert sum(r["done"] for r in results) == 3
    assert JobRun.objects.filter(name__contains="JOBS-2", status="succeeded").count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_workers_send_each_reminder_once_and_build_the_list_once(account):
    product = make_product("conc-ov2", reissuable=True)
    for i in range(4):
        dated_order(account, product, issued_days_ago=340, lifetime_days=365, common_name=f"r{i}.acme.test")
    dated_order(account, product, issued_days_ago=150, lifetime_days=200, common_name="due.acme.test")
    mail.outbox = []

    run_together(lambda i: expiry_reminders(), 2)
    run_together(lambda i: rebuild_reissue_list(), 2)

    with scopes_disabled():
        assert CertificateNotice.objects.filter(kind="expiry_30", done_at__isnull=False).count() == 4
        assert ReissueRecommendation.objects.count() == 1
    reminders = [m for m in mail.outbox if "expires in" in m.subject]
    assert len(reminders) == 4
    assert sum("reissue" in m.subject for m in mail.outbox) == 1
