"""LIFE-9 / RFC 9773: the renewal window shared by the reissue list (JOBS-1) and ACME renewalInfo."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from orders.models import BlockedKey, Certificate, ReissueRecommendation, RevocationReason
from orders.services.renewal_window import IMMEDIATE, renewal_window, with_renewal_window
from orders.tasks_robots import rebuild_reissue_list
from tests.factories import make_product
from tests.support.robots import dated_order

pytestmark = pytest.mark.sqlite


@pytest.fixture
def reissuable(db):
    return make_product("window-ov", reissuable=True)


def certificate_of(order) -> Certificate:
    return order.certificates.get()


@pytest.mark.parametrize("lifetime_days", [398, 200, 100, 47])
def test_window_opens_when_a_third_of_the_lifetime_remains(account, reissuable, lifetime_days):
    certificate = certificate_of(
        dated_order(account, reissuable, issued_days_ago=1, lifetime_days=lifetime_days)
    )
    lifetime = certificate.not_after - certificate.not_before

    start, end = renewal_window(certificate)

    assert start == certificate.not_after - lifetime / 3
    assert end == certificate.not_after - lifetime / 4
    # Never before half of the lifetime has passed; it closes before the certificate ends.
    assert certificate.not_before + lifetime / 2 < start < end < certificate.not_after


def test_window_does_not_depend_on_when_it_is_asked(account, reissuable):
    certificate = certificate_of(dated_order(account, reissuable, issued_days_ago=150, lifetime_days=200))
    assert renewal_window(certificate) == renewal_window(certificate)


def test_revoked_certificate_is_renewed_at_once(account, reissuable):
    certificate = certificate_of(dated_order(account, reissuable, issued_days_ago=10, lifetime_days=200))
    revoked_at = timezone.now() - timedelta(hours=2)
    Certificate.objects.filter(pk=certificate.pk).update(
        state=Certificate.State.REVOKED, revoked_at=revoked_at, revocation_reason=RevocationReason.SUPERSEDED
    )
    certificate.refresh_from_db()

    assert renewal_window(certificate) == (revoked_at, revoked_at + IMMEDIATE)


def test_key_compromised_on_another_account_makes_renewal_immediate(account, other_account, reissuable):
    mine = certificate_of(dated_order(account, reissuable, issued_days_ago=10, lifetime_days=200))
    theirs = certificate_of(dated_order(other_account, reissuable, issued_days_ago=20, lifetime_days=200))
    compromised_at = timezone.now() - timedelta(days=1)
    Certificate.objects.filter(pk=theirs.pk).update(
        public_key_sha256=mine.public_key_sha256,
        state=Certificate.State.REVOKED,
        revoked_at=compromised_at,
        revocation_reason=RevocationReason.KEY_COMPROMISE,
    )

    start, end = renewal_window(mine)

    assert (start, end) == (compromised_at, compromised_at + IMMEDIATE)
    assert end < timezone.now()  # a window in the past: renew now (RFC 9773 section 4.2)


def test_revocation_for_another_reason_of_the_same_key_changes_nothing(account, reissuable):
    mine = certificate_of(dated_order(account, reissuable, issued_days_ago=10, lifetime_days=200))
    other = certificate_of(dated_order(account, reissuable, issued_days_ago=20, lifetime_days=200))
    Certificate.objects.filter(pk=other.pk).update(
        public_key_sha256=mine.public_key_sha256,
        state=Certificate.State.REVOKED,
        revoked_at=timezone.now(),
        revocation_reason=RevocationReason.SUPERSEDED,
    )
    assert renewal_window(mine)[0] == mine.not_after - (mine.not_after - mine.not_before) / 3


def test_blocked_key_makes_renewal_immediate(account, reissuable):
    certificate = certificate_of(dated_order(account, reissuable, issued_days_ago=10, lifetime_days=200))
    blocked = BlockedKey.objects.create(
        sha256=certificate.public_key_sha256, reason=BlockedKey.Reason.PUBLISHED
    )

    assert renewal_window(certificate) == (blocked.created_at, blocked.created_at + IMMEDIATE)


def test_sql_form_gives_the_same_start(account, reissuable):
    normal = certificate_of(dated_order(account, reissuable, issued_days_ago=3, lifetime_days=100))
    blocked = certificate_of(dated_order(account, reissuable, issued_days_ago=5, lifetime_days=200))
    key = BlockedKey.objects.create(sha256=blocked.public_key_sha256, reason=BlockedKey.Reason.DEBIAN)

    rows = {c.pk: c for c in with_renewal_window(Certificate.objects.filter(pk__in=[normal.pk, blocked.pk]))}

    assert rows[normal.pk].replace_since is None
    assert abs(rows[normal.pk].renewal_start - renewal_window(normal)[0]) < timedelta(seconds=1)
    assert rows[blocked.pk].replace_since == key.created_at
    assert rows[blocked.pk].renewal_start == key.created_at


def test_reissue_list_lists_a_compromised_key_at_once(
    account, reissuable, django_capture_on_commit_callbacks
):
    # Issued yesterday: far from its lifetime window, but its key was revoked for compromise elsewhere.
    order = dated_order(account, reissuable, issued_days_ago=1, lifetime_days=200, ordered_days_ago=1)
    fresh = certificate_of(dated_order(account, reissuable, issued_days_ago=1, lifetime_days=200))
    mine = certificate_of(order)
    twin = certificate_of(dated_order(account, reissuable, issued_days_ago=30, lifetime_days=200))
    Certificate.objects.filter(pk=twin.pk).update(
        public_key_sha256=mine.public_key_sha256,
        state=Certificate.State.REVOKED,
        revoked_at=timezone.now() - timedelta(hours=1),
        revocation_reason=RevocationReason.KEY_COMPROMISE,
    )

    with django_capture_on_commit_callbacks(execute=True):
        rebuild_reissue_list()

    rows = list(ReissueRecommendation.objects.all())
    assert [row.certificate_id for row in rows] == [mine.pk]
    assert rows[0].reason == ReissueRecommendation.Reason.REPLACE
    assert rows[0].due_at == renewal_window(mine)[0]
    assert fresh.pk not in [row.certificate_id for row in rows]
