"""ORD-8 / LIFE-9 services: checks per domain, DNS/HTTP/email validation, CAA, reuse, method change,
manual validation by staff, the AWAITING_DCV status and the issuance gate, with loopback peers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from accounts.models import AuditEvent
from catalog.models import ProductType
from orders import dcv as pure
from orders.models import Certificate, DcvCheck, OrderStatus
from orders.services import IllegalTransition, issue_certificate
from orders.services.dcv import (
    CaaRefused,
    DcvError,
    DcvPending,
    change_method,
    confirm_email,
    refresh_order_dcv_state,
    run_check,
    start_dcv,
    validate_dcv_manually,
    validate_order_dcv_manually,
)
from orders.services.dcv_config import caa_problems
from tests.factories import make_product
from tests.support.dcv import DnsServer, HttpServer, use_peers
from tests.support.orders import make_order

S = OrderStatus
pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.support.urls_dcv")]


@pytest.fixture
def dns_server():
    with DnsServer() as server:
        yield server


@pytest.fixture
def web():
    with HttpServer() as server:
        yield server


@pytest.fixture
def peers(settings, dns_server, web):
    use_peers(settings, dns_server, web)
    return dns_server, web


@pytest.fixture
def order(account, product):
    return make_order(
        account,
        product,
        status=S.UNDER_VERIFICATION,
        paid=True,
        common_name="www.acme.test",
        sans=["acme.test", "*.acme.test"],
    )


def publish_txt(dns_server, check):
    dns_server.add(pure.dns_record_name(check.domain), "TXT", f'"{check.token}"')


def actions(order):
    return list(AuditEvent.objects.filter(object_id=order.reference).values_list("action", flat=True))


# Checks per domain


def test_start_makes_one_check_per_domain_with_a_30_day_random_value(order):
    checks = start_dcv(order)
    assert [c.domain for c in checks] == ["www.acme.test", "acme.test"]
    assert len({c.token for c in checks}) == 2
    for check in checks:
        assert check.method == "dns" and check.validated_at is None
        assert check.expires_at - check.created_at == timedelta(days=30)
    assert [c.pk for c in start_dcv(order)] == [c.pk for c in checks]
    assert actions(order).count("dcv.started") == 1


def test_non_server_orders_need_no_dcv(account, staff):
    signing = make_product("code-signing", product_type=ProductType.CODE_SIGNING, publicly_trusted_tls=False)
    order = make_order(
        account, signing, status=S.UNDER_VERIFICATION, paid=True, common_name="Acme Hosting", sans=[]
    )
    assert start_dcv(order) == []
    issue_certificate(order, user=staff)
    order.refresh_from_db()
    assert order.status == S.DELIVERED_PAID
    assert not DcvCheck.objects.filter(order=order).exists()


# DNS, HTTP and CAA through the services


def test_dns_validation_moves_the_order_back_to_under_verification(peers, order, tech):
    dns_server, _web = peers
    checks = start_dcv(order)
    refresh_order_dcv_state(order)
    order.refresh_from_db()
    assert order.status == S.AWAITING_DCV
    for check in checks:
        publish_txt(dns_server, check)
    run_check(checks[0], user=tech)
    order.refresh_from_db()
    assert order.status == S.AWAITING_DCV  # one domain still pending
    checked = run_check(checks[1], user=tech)
    assert checked.validated_at and checked.last_checked_at
    assert checked.token in checked.last_result and "CAA" in checked.last_result
    order.refresh_from_db()
    assert order.status == S.UNDER_VERIFICATION
    assert actions(order).count("dcv.validated") == 2


def test_a_missing_record_is_reported_and_keeps_the_check_pending(peers, order, tech):
    dns_server, _web = peers
    dns_server.add("acme.test", "A", "127.0.0.1")
    check = run_check(start_dcv(order)[1], user=tech)
    assert check.validated_at is None and check.last_checked_at
    assert "TXT _pki-validation.acme.test: none" in check.last_result


def test_dns_timeout_is_reported(peers, order, tech):
    dns_server, _web = peers
    dns_server.silent.add("_pki-validation.acme.test")
    check = run_check(start_dcv(order)[1], user=tech)
    assert check.validated_at is None and "timeout" in check.last_result


def test_an_expired_random_value_is_refused_without_looking(peers, order, tech):
    dns_server, _web = peers
    check = start_dcv(order)[1]
    publish_txt(dns_server, check)
    DcvCheck.objects.filter(pk=check.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    check.refresh_from_db()
    checked = run_check(check, user=tech)
    assert checked.validated_at is None
    assert "expired" in checked.last_result
    assert not [q for q in dns_server.queries if q[0].startswith("_pki-validation")]


def test_caa_forbidding_our_ca_fails_the_check(peers, order, tech):
    dns_server, _web = peers
    check = start_dcv(order)[1]
    publish_txt(dns_server, check)
    dns_server.add("acme.test", "CAA", '0 issue "tbs-certificats.com"', '0 issuewild "letsencrypt.org"')
    checked = run_check(check, user=tech)
    assert checked.validated_at is None  # *.acme.test: issuewild names another CA
    assert "does not authorise" in checked.last_result and "issuewild" in checked.last_result


def test_http_validation(peers, order, tech):
    _dns, web = peers
    dns_server = peers[0]
    dns_server.add("acme.test", "A", "127.0.0.1")
    check = change_method(start_dcv(order)[1], "http", user=tech)
    web.serve("/.well-known/pki-validation/" + pure.http_file_name(check.token), check.token)
    checked = run_check(check, user=tech)
    assert checked.validated_at
    assert "200 OK" in checked.last_result


def test_email_checks_are_not_checked_by_the_portal(
    order, tech, mailoutbox, django_capture_on_commit_callbacks
):
    check = start_dcv(order)[1]
    with django_capture_on_commit_callbacks(execute=True):
        check = change_method(check, "email", email_address="hostmaster@acme.test", user=tech)
    with pytest.raises(DcvError, match="confirms from its link"):
        run_check(check, user=tech)


# Reuse within the BR 4.2.1 period (LIFE-9)


def test_a_validation_is_reused_within_the_period_and_not_beyond(account, product, staff):
    june = datetime(2026, 6, 1, tzinfo=UTC)  # reuse period then: 200 days (SC-081)
    first = make_order(account, product, status=S.UNDER_VERIFICATION, paid=True, sans=["acme.test"])
    old = make_order(
        account, product, status=S.UNDER_VERIFICATION, paid=True, common_name="old.acme.test", sans=[]
    )
    validate_order_dcv_manually(first, by=staff, note="DNS looked up by hand", now=june - timedelta(days=150))
    validate_order_dcv_manually(old, by=staff, note="DNS looked up by hand", now=june - timedelta(days=201))

    later = make_order(
        account,
        product,
        status=S.UNDER_VERIFICATION,
        paid=True,
        common_name="old.acme.test",
        sans=["acme.test"],
    )
    by_domain = {c.domain: c for c in start_dcv(later, now=june)}
    reused = by_domain["acme.test"]
    assert reused.validated_at == june - timedelta(days=150)
    assert first.reference in reused.last_result
    assert by_domain["old.acme.test"].validated_at is None  # 201 days: beyond the period
    assert "dcv.reused" in actions(later)


def test_another_account_never_reuses_our_validation(account, other_account, product, staff):
    mine = make_order(account, product, status=S.UNDER_VERIFICATION, paid=True, sans=[])
    validate_order_dcv_manually(mine, by=staff, note="checked")
    theirs = make_order(other_account, product, status=S.UNDER_VERIFICATION, paid=True, sans=[])
    assert [c.validated_at for c in start_dcv(theirs)] == [None]


def test_a_validation_too_old_at_the_issue_date_is_refused(account, product, staff):
    june = datetime(2026, 6, 1, tzinfo=UTC)
    order = make_order(account, product, status=S.UNDER_VERIFICATION, paid=True, sans=[])
    validate_order_dcv_manually(order, by=staff, note="checked", now=june)
    # On 2027-04-01 the reuse period is 100 days: a validation of June 2026 no longer counts.
    with pytest.raises(DcvPending, match="www.acme.test"):
        issue_certificate(order, user=staff, now=datetime(2027, 4, 1, tzinfo=UTC))
    check = DcvCheck.objects.get(order=order)
    assert check.validated_at is None and "older than the 100 days" in check.last_result
    assert not Certificate.objects.filter(order=order).exists()


# Method change (until issuance)


def test_changing_the_method_drops_the_old_check_for_a_new_random_value(
    order, tech, mailoutbox, django_capture_on_commit_callbacks
):
    old = start_dcv(order)[1]
    with django_capture_on_commit_callbacks(execute=True):
        new = change_method(old, "email", email_address="webmaster@acme.test", user=tech)
    assert not DcvCheck.objects.filter(pk=old.pk).exists()
    assert new.token != old.token and new.method == "email" and new.email_address == "webmaster@acme.test"
    assert new.validated_at is None and new.expires_at > timezone.now() + timedelta(days=29)
    order.refresh_from_db()
    assert order.dcv_method == "email"
    assert [m.to for m in mailoutbox] == [["webmaster@acme.test"]]
    assert f"/dcv/confirm/{new.token}/" in mailoutbox[0].body
    event = AuditEvent.objects.get(object_id=order.reference, action="dcv.method_changed")
    assert event.details["from"] == "dns" and event.details["to"] == "email"


def test_method_change_refusals(order, tech, staff):
    check = start_dcv(order)[1]
    with pytest.raises(DcvError, match="approved addresses"):
        change_method(check, "email", email_address="someone@acme.test", user=tech)
    with pytest.raises(DcvError, match="not offered"):
        change_method(
            check, "email", email_address="admin@acme.test", user=tech, now=datetime(2028, 3, 16, tzinfo=UTC)
        )  # ballot SC-090
    passed = validate_dcv_manually(check, by=staff, note="checked")
    with pytest.raises(DcvError, match="already validated"):
        change_method(passed, "http", user=tech)


def test_no_method_change_after_issuance(order, tech, staff):
    checks = validate_order_dcv_manually(order, by=staff, note="checked")
    issue_certificate(order, user=staff)
    with pytest.raises(DcvError, match="can no longer change"):
        change_method(checks[0], "http", user=tech)


# Email (BR 3.2.2.4.4)


def test_email_confirmation_validates_once(peers, order, tech, django_capture_on_commit_callbacks):
    check = start_dcv(order)[1]
    with django_capture_on_commit_callbacks(execute=True):
        check = change_method(check, "email", email_address="admin@acme.test", user=tech)
    confirmed = confirm_email(check)
    assert confirmed.validated_at and "admin@acme.test" in confirmed.last_result
    event = AuditEvent.objects.get(object_id=order.reference, action="dcv.validated")
    assert event.actor_name == "admin@acme.test" and event.user is None
    assert confirm_email(confirmed).validated_at == confirmed.validated_at


def test_email_confirmation_after_expiry_is_refused(order, tech, django_capture_on_commit_callbacks):
    check = start_dcv(order)[1]
    with django_capture_on_commit_callbacks(execute=True):
        check = change_method(check, "email", email_address="admin@acme.test", user=tech)
    with pytest.raises(DcvError, match="expired"):
        confirm_email(check, now=check.expires_at + timedelta(seconds=1))


# Manual validation by the validation team (STAFF-2)


def test_manual_validation_is_staff_only_with_a_note_and_audited(order, tech, staff):
    check = start_dcv(order)[0]
    with pytest.raises(PermissionDenied):
        validate_dcv_manually(check, by=tech, note="trust me")
    with pytest.raises(DcvError):
        validate_dcv_manually(check, by=staff, note="  ")
    validated = validate_dcv_manually(check, by=staff, note="TXT seen with dig")
    assert validated.validated_at and "TXT seen with dig" in validated.last_result
    event = AuditEvent.objects.get(object_id=order.reference, action="dcv.validated_manually")
    assert event.is_staff_action and event.user == staff and event.details["domain"] == "www.acme.test"


# Status (LIFE-1) and the issuance gate


def test_awaiting_dcv_transitions(account, product, staff):
    order = make_order(account, product, status=S.UNDER_VERIFICATION, paid=True, sans=[])
    start_dcv(order)
    assert refresh_order_dcv_state(order).status == S.AWAITING_DCV
    assert refresh_order_dcv_state(order).status == S.AWAITING_DCV  # idempotent
    validate_order_dcv_manually(order, by=staff, note="checked")
    order.refresh_from_db()
    assert order.status == S.UNDER_VERIFICATION
    moves = AuditEvent.objects.filter(object_id=order.reference, action="order.status_changed")
    assert [(e.details["from"], e.details["to"]) for e in moves.order_by("pk")] == [
        (S.UNDER_VERIFICATION, S.AWAITING_DCV),
        (S.AWAITING_DCV, S.UNDER_VERIFICATION),
    ]

    unpaid = make_order(account, product, status=S.PROCESSING_AWAITING_PAYMENT, sans=[])
    start_dcv(unpaid)
    assert refresh_order_dcv_state(unpaid).status == S.PROCESSING_AWAITING_PAYMENT


def test_issuance_is_refused_while_a_domain_is_pending(order, staff):
    with pytest.raises(DcvPending) as refused:
        issue_certificate(order, user=staff)
    assert isinstance(refused.value, IllegalTransition)
    assert "www.acme.test, acme.test" in refused.value.message
    order.refresh_from_db()
    assert order.status == S.AWAITING_DCV
    assert DcvCheck.objects.filter(order=order).count() == 2  # made by the refused attempt, kept
    assert not Certificate.objects.filter(order=order).exists()

    checks = DcvCheck.objects.filter(order=order)
    validate_dcv_manually(checks.get(domain="www.acme.test"), by=staff, note="checked")
    with pytest.raises(DcvPending, match="acme.test"):
        issue_certificate(order, user=staff)
    validate_dcv_manually(checks.get(domain="acme.test"), by=staff, note="checked")
    certificate = issue_certificate(order, user=staff)
    order.refresh_from_db()
    assert order.status == S.DELIVERED_PAID and certificate.order == order


def test_caa_is_read_again_at_issuance_after_8_hours(peers, order, staff):
    dns_server, _web = peers
    now = timezone.now()
    validate_order_dcv_manually(order, by=staff, note="checked", now=now - timedelta(hours=9))
    dns_server.add("acme.test", "CAA", '0 issue "letsencrypt.org"')
    with pytest.raises(CaaRefused, match="does not authorise"):
        issue_certificate(order, user=staff, now=now)
    assert not Certificate.objects.filter(order=order).exists()

    dns_server.records.clear()
    issue_certificate(order, user=staff, now=now)
    order.refresh_from_db()
    assert order.is_delivered


def test_caa_read_within_8_hours_is_not_read_again(peers, order, staff):
    dns_server, _web = peers
    validate_order_dcv_manually(order, by=staff, note="checked, CAA allows us")
    dns_server.add("acme.test", "CAA", '0 issue "letsencrypt.org"')
    issue_certificate(order, user=staff)
    assert not [q for q in dns_server.queries if q[1] == "CAA"]


# CAA pre-check of the order form (ORD-8 [beyond])


def test_caa_pre_check_names_the_record_at_fault(peers, product):
    dns_server, _web = peers
    dns_server.add("acme.test", "CAA", '0 issue "letsencrypt.org"')
    dns_server.add("globex.test", "CAA", '0 issue "tbs-certificats.com"')
    problems = caa_problems(product, ["www.acme.test", "acme.test", "shop.globex.test"])
    assert len(problems) == 1 and "acme.test" in problems[0] and "letsencrypt.org" in problems[0]
    assert caa_problems(product, ["shop.globex.test", "free.test"]) == []
    signing = make_product("code-signing", product_type=ProductType.CODE_SIGNING)
    assert caa_problems(signing, ["www.acme.test"]) == []
