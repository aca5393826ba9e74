"""The robots (issue 11): JOBS-1 reissue list, JOBS-2 automatic renewal, JOBS-3 installation check,
JOBS-5 expiry reminders, JOBS-6 Certigna acceptance, JOBS-8 quote expiry; each run is recorded,
and running a job twice changes nothing the second time."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import Account
from billing.services.ledger import credit_euros
from jobs.models import JobRun
from monitoring import installation
from monitoring.models import InstallationCheck
from monitoring.reasons import error
from monitoring.tasks import post_issuance_checks
from orders.models import (
    AutoRenewalFiling,
    Certificate,
    CertificateNotice,
    Order,
    OrderOrigin,
    ReissueRecommendation,
    RenewalSettings,
)
from orders.services import auto_renewal
from orders.tasks_robots import (
    certigna_acceptance,
    expiry_reminders,
    file_auto_renewals,
    rebuild_reissue_list,
)
from tests.factories import make_product, make_user
from tests.support.robots import dated_order


@pytest.fixture
def reissuable(db):
    return make_product("robot-ov", reissuable=True)


@pytest.fixture
def owner_user(account):
    return make_user(account, "robot-owner", superuser=True)


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run a task as the worker does: its emails leave when its transactions commit."""

    def go(task, *args):
        with django_capture_on_commit_callbacks(execute=True):
            return task(*args)

    return go


def runs(name_part: str) -> list[JobRun]:
    return list(JobRun.objects.filter(name__contains=name_part).order_by("pk"))


# JOBS-1 ------------------------------------------------------------------------------------------


def test_reissue_list_lists_certificates_due_and_emails_once(run, account, reissuable, mailoutbox):
    # 200-day certificate issued 150 days ago in a 12-month subscription: a third of its life is left.
    due = dated_order(
        account, reissuable, issued_days_ago=150, lifetime_days=200, common_name="due.acme.test"
    )
    dated_order(account, reissuable, issued_days_ago=10, lifetime_days=200, common_name="fresh.acme.test")
    # A certificate ending with its subscription needs a renewal, not a reissue.
    dated_order(
        account,
        reissuable,
        issued_days_ago=300,
        lifetime_days=370,
        ordered_days_ago=300,
        common_name="ends.acme.test",
    )

    run(rebuild_reissue_list)
    with scopes_disabled():
        rows = list(ReissueRecommendation.objects.all())
    assert [r.order_id for r in rows] == [due.pk]
    row = rows[0]
    assert row.reason == ReissueRecommendation.Reason.LIFETIME
    assert row.due_at < timezone.now() < row.certificate_end < row.subscription_end
    assert len(mailoutbox) == 1
    assert "due.acme.test" in mailoutbox[0].body and "reissue" in mailoutbox[0].subject
    assert set(mailoutbox[0].to) == {"tech@acme.test", "admin@acme.test"}

    run(rebuild_reissue_list)
    with scopes_disabled():
        assert ReissueRecommendation.objects.count() == 1
    assert len(mailoutbox) == 1
    first, second = runs("JOBS-1")
    assert first.status == second.status == JobRun.Status.SUCCEEDED
    assert first.items_done == second.items_done == 1 and first.finished_at is not None


def test_reissue_list_keeps_the_users_choices_and_drops_what_is_no_longer_due(
    run, account, reissuable, mailoutbox
):
    order = dated_order(account, reissuable, issued_days_ago=150, lifetime_days=200)
    RenewalSettings.objects.create(account=account, reissue_emails=False)
    run(rebuild_reissue_list)
    assert mailoutbox == []  # the account turned these emails off
    with scopes_disabled():
        ReissueRecommendation.objects.update(hidden=True)
        run(rebuild_reissue_list)
        assert ReissueRecommendation.objects.get().hidden is True
        Certificate.objects.filter(order=order).update(state=Certificate.State.REVOKED)
        run(rebuild_reissue_list)
        assert not ReissueRecommendation.objects.exists()


# JOBS-2 ------------------------------------------------------------------------------------------


def _auto(account, product, *, ends_in_days: int, **fields) -> Order:
    order = dated_order(account, product, issued_days_ago=365 - ends_in_days, lifetime_days=365, **fields)
    Order.objects.filter(pk=order.pk).update(auto_renew=True)
    order.refresh_from_db()
    return order


def test_auto_renewal_files_once_paid_by_the_formula_with_the_early_discount(
    run, account, reissuable, owner_user, mailoutbox
):
    Account.objects.filter(pk=account.pk).update(formula=Account.Formula.CURRENT)
    account.refresh_from_db()
    credit_euros(account, Decimal("1000.00"), reference="TOPUP-1", user=None)
    source = _auto(account, reissuable, ends_in_days=64)
    not_yet = _auto(account, reissuable, ends_in_days=120, common_name="later.acme.test")

    run(file_auto_renewals)
    run(file_auto_renewals)

    with scopes_disabled():
        renewals = list(Order.objects.filter(origin=OrderOrigin.RENEWAL))
        filing = AutoRenewalFiling.objects.get()
    assert len(renewals) == 1
    renewal = renewals[0]
    assert renewal.source_order_id == source.pk and renewal.auto_renew  # enrolled again
    assert renewal.common_name == source.common_name and renewal.csr == source.csr
    assert renewal.options["payment"]["method"] == "balance"
    assert filing.status == AutoRenewalFiling.Status.FILED and filing.renewal_order_id == renewal.pk
    assert filing.early_discount > 0 and renewal.price_excl_vat < Decimal("100.00")
    assert not Order.objects.filter(source_order=not_yet).exists()
    assert any(renewal.reference in m.body for m in mailoutbox)  # the order confirmation
    first, second = runs("JOBS-2")
    assert (first.items_done, second.items_done) == (1, 0)


def test_auto_renewal_that_cannot_be_paid_orders_nothing_and_says_why(
    run, account, reissuable, owner_user, mailoutbox
):
    Account.objects.filter(pk=account.pk).update(formula=Account.Formula.BULK)
    source = _auto(account, reissuable, ends_in_days=30)
    run(file_auto_renewals)
    run(file_auto_renewals)  # the same day: no second attempt, no second email
    with scopes_disabled():
        filing = AutoRenewalFiling.objects.get()
        assert not Order.objects.filter(source_order=source).exists()
    assert filing.status == AutoRenewalFiling.Status.FAILED and "token" in filing.error
    failed = [m for m in mailoutbox if "Automatic renewal not placed" in m.subject]
    assert len(failed) == 1 and "token" in failed[0].body
    assert runs("JOBS-2")[0].errors == 1


def test_auto_renewal_respects_do_not_renew_and_the_account_setting(run, account, reissuable, owner_user):
    blocked = _auto(account, reissuable, ends_in_days=30)
    Order.objects.filter(pk=blocked.pk).update(do_not_renew=True)
    RenewalSettings.objects.create(account=account, auto_renewal_days=20)
    _auto(account, reissuable, ends_in_days=25, common_name="soon.acme.test")
    run(file_auto_renewals)
    with scopes_disabled():
        assert not Order.objects.filter(origin=OrderOrigin.RENEWAL).exists()


def test_auto_renewal_refuses_positivessl_and_other_kinds(account):
    positive = make_product("positivessl-dv-test", brand_code="positivessl")
    client_cert = make_product("robot-client", product_type="client")
    for product in (positive, client_cert):
        order = dated_order(account, product, issued_days_ago=10, lifetime_days=365)
        assert auto_renewal.refusal(order)


# JOBS-3 ------------------------------------------------------------------------------------------


def test_post_issuance_check_runs_once_and_emails_when_not_green(
    run, account, reissuable, mailoutbox, monkeypatch
):
    order = dated_order(account, reissuable, issued_days_ago=4, lifetime_days=200)
    dated_order(account, reissuable, issued_days_ago=1, lifetime_days=200, common_name="new.acme.test")
    calls = []

    def unreachable(host, port=443, **kwargs):
        calls.append(host)
        return installation._red(host, port, "", error("connection_refused", address="192.0.2.1", port=port))

    monkeypatch.setattr(installation, "test_installation", unreachable)
    run(post_issuance_checks)
    run(post_issuance_checks)
    assert calls == ["www.acme.test"]
    with scopes_disabled():
        check = InstallationCheck.objects.get()
    assert check.certificate.order_id == order.pk and check.result == "red" and check.by is None
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["tech@acme.test"]
    assert runs("JOBS-3")[0].items_done == 1


# JOBS-5 ------------------------------------------------------------------------------------------


def test_expiry_reminders_once_per_threshold_not_for_automatic_or_do_not_renew(
    run, account, reissuable, mailoutbox
):
    dated_order(account, reissuable, issued_days_ago=340, lifetime_days=365, common_name="soon.acme.test")
    auto = dated_order(
        account, reissuable, issued_days_ago=340, lifetime_days=365, common_name="auto.acme.test"
    )
    dropped = dated_order(
        account, reissuable, issued_days_ago=340, lifetime_days=365, common_name="drop.acme.test"
    )
    Order.objects.filter(pk=auto.pk).update(auto_renew=True)
    Order.objects.filter(pk=dropped.pk).update(do_not_renew=True)
    run(expiry_reminders)
    run(expiry_reminders)
    assert len(mailoutbox) == 1
    assert "soon.acme.test" in mailoutbox[0].subject and "25 days" in mailoutbox[0].subject
    with scopes_disabled():
        assert list(CertificateNotice.objects.values_list("kind", flat=True)) == ["expiry_30"]


def test_expiry_reminders_in_the_accounts_language(run, account, reissuable, mailoutbox):
    Account.objects.filter(pk=account.pk).update(language="fr")
    dated_order(account, reissuable, issued_days_ago=360, lifetime_days=365)
    run(expiry_reminders)
    assert len(mailoutbox) == 1 and "expire" in mailoutbox[0].subject and "jours" in mailoutbox[0].subject


# JOBS-6 ------------------------------------------------------------------------------------------


def test_certigna_acceptance_warns_then_revokes_what_was_not_accepted(run, account, mailoutbox):
    certigna = make_product("certigna-ssl-test", brand_code="certigna")
    warned = dated_order(
        account, certigna, issued_days_ago=21, lifetime_days=365, common_name="warn.acme.test"
    )
    late = dated_order(account, certigna, issued_days_ago=31, lifetime_days=365, common_name="late.acme.test")
    accepted = dated_order(
        account, certigna, issued_days_ago=31, lifetime_days=365, common_name="ok.acme.test"
    )
    Certificate.objects.filter(order=accepted).update(accepted_at=timezone.now())
    run(certigna_acceptance)
    run(certigna_acceptance)
    with scopes_disabled():
        assert warned.certificates.get().state == Certificate.State.VALID
        assert late.certificates.get().state == Certificate.State.REVOKED
        assert accepted.certificates.get().state == Certificate.State.VALID
    subjects = [m.subject for m in mailoutbox]
    assert sum("Accept certificate warn.acme.test" in s for s in subjects) == 1
    assert sum("revoked" in s.lower() and "late.acme.test" in s for s in subjects) == 1
    assert len(mailoutbox) == 2


# JOBS-8 and the back office -----------------------------------------------------------------------


def test_quote_expiry_is_recorded_and_staff_see_every_run(run, client, staff, account):
    from billing.tasks import expire_open_quotes

    assert expire_open_quotes() == 0
    client.force_login(staff)
    response = client.get("/staff/jobs/jobrun/")
    assert response.status_code == 200
    assert "JOBS-8 quote expiry" in response.content.decode()


def test_job_runs_are_hidden_from_account_users(client, owner_user):
    client.force_login(owner_user)
    response = client.get("/staff/jobs/jobrun/")
    assert response.status_code in (302, 403)


def test_a_failing_job_is_recorded_as_failed(run, monkeypatch, db):
    from orders.services import reminders

    def broken(now=None):
        raise RuntimeError("database gone")

    monkeypatch.setattr(reminders, "send_expiry_reminders", broken)
    with pytest.raises(RuntimeError):
        run(expiry_reminders)
    run = runs("JOBS-5")[0]
    assert run.status == JobRun.Status.FAILED and "database gone" in run.error_text and run.finished_at


def test_every_robot_is_in_the_beat_schedule(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "orders.tasks_robots.reissue_list",
        "orders.tasks_robots.auto_renewals",
        "monitoring.tasks.post_issuance_checks",
        "orders.tasks_robots.expiry_reminders",
        "orders.tasks_robots.acceptance",
        "billing.tasks.expire_open_quotes",
    } <= tasks
