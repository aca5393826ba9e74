"""The set-based SQL of the nightly robots (JOBS-1 reissue list, JOBS-5 expiry reminders) gives the
same answers on PostgreSQL and on SQLite, the demo's database (marked `sqlite`: run on both)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders.models import Certificate, CertificateNotice, Order, ReissueRecommendation
from orders.services import reissue_list
from orders.services.reissue import subscription_end_of
from orders.services.renewal_window import renewal_window
from orders.tasks_robots import expiry_reminders, rebuild_reissue_list
from tests.factories import make_product
from tests.support.robots import dated_order

pytestmark = pytest.mark.sqlite


@pytest.fixture
def reissuable(db):
    return make_product("setbased-ov", reissuable=True)


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    def go(task, *args):
        with django_capture_on_commit_callbacks(execute=True):
            return task(*args)

    return go


def close(a, b) -> bool:
    return abs(a - b) < timedelta(seconds=1)


def test_reissue_list_rows_computed_in_sql_match_the_window_and_the_subscription(run, account, reissuable):
    # 200-day certificate, 150 days gone, 12-month subscription: in its window, the subscription runs on.
    due = dated_order(
        account, reissuable, issued_days_ago=150, lifetime_days=200, common_name="due.acme.test"
    )
    # Window opens in 20 days: inside the 30-day horizon.
    soon = dated_order(
        account, reissuable, issued_days_ago=113, lifetime_days=200, common_name="soon.acme.test"
    )
    # Window opens in 40 days: beyond the horizon.
    later = dated_order(
        account, reissuable, issued_days_ago=93, lifetime_days=200, common_name="later.acme.test"
    )
    # Ends with its subscription: a renewal, not a reissue.
    ending = dated_order(
        account, reissuable, issued_days_ago=300, lifetime_days=365, common_name="end.acme.test"
    )
    # Ends on 31 March with a subscription from 31 January + 2 months: the month arithmetic clamps to
    # the end of March in SQL too, so the certificate ends with its subscription.
    clamped = dated_order(
        account, reissuable, issued_days_ago=40, lifetime_days=50, common_name="m.acme.test"
    )
    start = timezone.now().replace(month=1, day=31, hour=12, minute=0, second=0, microsecond=0)
    Order.objects.filter(pk=clamped.pk).update(paid_at=start, created_at=start, period_months=1)
    Certificate.objects.filter(order=clamped).update(
        not_before=start - timedelta(days=10), not_after=start.replace(month=2, day=28) - timedelta(days=1)
    )

    run(rebuild_reissue_list)

    rows = {row.order_id: row for row in ReissueRecommendation.objects.all()}
    assert set(rows) == {due.pk, soon.pk}
    for order in (due, soon):
        certificate = order.certificates.get()
        row = rows[order.pk]
        assert row.reason == ReissueRecommendation.Reason.LIFETIME
        assert close(row.due_at, renewal_window(certificate)[0])
        assert close(row.subscription_end, subscription_end_of(order))
        assert row.certificate_end == certificate.not_after
    assert later.pk not in rows and ending.pk not in rows


def test_reissue_list_rebuild_runs_a_constant_number_of_queries_and_twice_changes_nothing(
    account, reissuable
):
    def rebuild_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            reissue_list.rebuild()
        return len(queries)

    reissue_list.rebuild()  # the first run ever creates the job's lock row
    dated_order(account, reissuable, issued_days_ago=150, lifetime_days=200)
    one = rebuild_queries()
    ReissueRecommendation.objects.update(notify=False, hidden=True)
    for i in range(4):
        dated_order(
            account, reissuable, issued_days_ago=150, lifetime_days=200, common_name=f"n{i}.acme.test"
        )
    five = rebuild_queries()
    rows = sorted(ReissueRecommendation.objects.values_list("certificate_id", "due_at", "hidden", "notify"))

    again = rebuild_queries()

    assert one == five == again  # no query per certificate
    assert len(rows) == 5 and [(h, n) for *_, h, n in rows].count((True, False)) == 1  # choices kept
    assert (
        sorted(ReissueRecommendation.objects.values_list("certificate_id", "due_at", "hidden", "notify"))
        == rows
    )


def test_expiry_reminder_only_for_certificates_ending_with_their_subscription(
    run, account, reissuable, mailoutbox
):
    # 365-day certificate in a 12-month subscription, 25 days left: reminded.
    dated_order(account, reissuable, issued_days_ago=340, lifetime_days=365, common_name="soon.acme.test")
    # 200-day certificate ending in 25 days inside a 24-month subscription: reissued, not reminded.
    inside = dated_order(
        account, reissuable, issued_days_ago=175, lifetime_days=200, common_name="in.acme.test"
    )
    Order.objects.filter(pk=inside.pk).update(period_months=24)

    run(expiry_reminders)

    assert [m.subject for m in mailoutbox if "in.acme.test" in m.subject] == []
    assert ["soon.acme.test" in m.subject for m in mailoutbox] == [True]
    assert CertificateNotice.objects.filter(certificate__order=inside).count() == 0
