"""ORD-11 reissue: free, same order and reference; keep, revoke now or after a grace delay (the scheduled
task, idempotent); key compromise always revoked; names on multi-site only; never past the subscription
end (LIFE-9); refusals and rights."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from cryptography import x509
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, Right
from orders.ca.embedded import EmbeddedCA
from orders.csr import parse_csr
from orders.models import Certificate, OrderOrigin, OrderStatus
from orders.services.reissue import (
    ReissueRefused,
    ReissueRequest,
    reissuable_orders,
    reissue,
    revoke_scheduled,
)
from orders.tasks_reissue import revoke_scheduled_certificates
from tests.factories import make_csr, make_key, make_product, make_user
from tests.support.lifecycle import REAUTH_TIMEOUT, delivered_order, log_in, use_lifecycle_urls
from tests.support.orders import make_order

S = OrderStatus


@pytest.fixture(autouse=True)
def _urls(settings):
    use_lifecycle_urls(settings)
    settings.SITE_URL = "https://portal.example.test"


def url(order):
    return reverse("lifecycle:reissue", args=[order.reference])


def post_data(order, **overrides):
    data = {
        "reason": "lost",
        "replaced": order.certificates.get().serial,
        "old_certificate": "keep",
        "grace_days": "",
        "csr": make_csr(order.common_name, order.sans, key=make_key("p256")),
        "sans": "\n".join(order.sans),
        "server_software": "",
        "server_software_other": "",
    }
    data.update(overrides)
    return data


def crl_entry(certificate: Certificate):
    assert certificate.issuer is not None
    crl = x509.load_der_x509_crl(EmbeddedCA().crl_der(certificate.issuer))
    return crl.get_revoked_certificate_by_serial_number(int(certificate.serial, 16))


def reissued(order, **kwargs) -> Certificate:
    return order.certificates.exclude(reissue_reason="").get(**kwargs)


# ---------------------------------------------------------------- the keep / revoke options


@pytest.mark.django_db
def test_reissue_keeping_the_old_certificate(
    client, tech, account, product, mailoutbox, django_capture_on_commit_callbacks
):
    order = delivered_order(account, product)
    old = order.certificates.get()
    log_in(client, tech, seconds_ago=REAUTH_TIMEOUT + 60)  # keeping revokes nothing: no password asked
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(order), post_data(order, server_software="iis"))
    assert response.status_code == 302 and response["Location"] == reverse(
        "orders:detail", args=[order.reference]
    )
    order.refresh_from_db()
    new = reissued(order)
    assert order.status == S.DELIVERED_PAID and order.price_excl_vat == Decimal("120.00")  # free, same order
    assert new.reissue_reason == "lost" and new.issuer == old.issuer and new.serial != old.serial
    assert order.csr_public_key_sha256 == new.public_key_sha256 and order.server_software == "iis"
    old.refresh_from_db()
    assert old.state == Certificate.State.VALID and old.revoke_scheduled_at is None
    event = AuditEvent.objects.get(action="certificate.reissued")
    assert event.object_id == order.reference and event.details["replaces"] == old.serial
    assert [m.to for m in mailoutbox] == [[order.technical_contact.email]]
    assert new.serial in mailoutbox[0].body and "stays valid" in mailoutbox[0].body
    assert "was reissued" in mailoutbox[0].subject
    page = client.get(response["Location"]).content.decode()
    assert "The certificate is reissued" in page and new.serial in page and old.serial in page


@pytest.mark.django_db
def test_the_form_offers_the_reasons_and_delays(client, tech, account, product):
    order = delivered_order(account, product)
    client.force_login(tech)
    page = client.get(url(order)).content.decode()
    for label in (
        "Lost key or certificate",
        "Key compromise",
        "Hash algorithm change",
        "Key size change",
        "Names added on a multi-site certificate",
        "Reissue within a subscription",
        "Revoke it now",
        "Revoke it after a grace delay",
        "14 days",
        "30 days",
    ):
        assert label in page
    assert f'<option value="{order.certificates.get().serial}" selected>' in page


@pytest.mark.django_db
def test_the_form_offers_keybot_with_the_orders_subject(client, tech, account, product):
    """ORD-11 with ORD-7 (issue 8 point 5): KeyBot makes the new key and CSR in the browser, as on
    the order form; its subject is the order's common name and holder organisation, its DNS names
    the form's additional names."""
    order = delivered_order(account, product)
    client.force_login(tech)
    response = client.get(url(order))
    page = response.content.decode()
    assert 'id="keybot-panel"' in page and 'data-target="#id_csr"' in page
    assert "js/keybot.bundle." in page
    assert f'id="kb-reissue-cn" value="{order.common_name}"' in page
    assert f'id="kb-reissue-organisation" value="{order.organisation.public_id}"' in page
    context = response.context["keybot_context"]
    assert context["mode"] == "server"
    assert context["fields"]["sans"] == "#id_sans" and context["fields"]["common_name"] == "#kb-reissue-cn"
    assert context["organisations"] == {
        order.organisation.public_id: {
            "name": order.organisation.name,
            "city": order.organisation.city,
            "country": order.organisation.country,
        }
    }
    assert context["contacts"] == {}  # a server certificate: no holder email in the subject


@pytest.mark.django_db
def test_reissue_revoking_the_old_certificate_now(client, tech, account, product):
    order = delivered_order(account, product)
    old = order.certificates.get()
    log_in(client, tech)
    response = client.post(
        url(order), post_data(order, reason="software_change", old_certificate="revoke_now")
    )
    assert response.status_code == 302
    old.refresh_from_db()
    assert old.state == Certificate.State.REVOKED and old.revocation_reason == "superseded"
    entry = crl_entry(old)
    assert entry is not None
    assert (
        entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == x509.ReasonFlags.superseded
    )
    assert reissued(order).state == Certificate.State.VALID
    assert AuditEvent.objects.filter(action="certificate.revoked", details__serial=old.serial).count() == 1


@pytest.mark.django_db
def test_revocation_without_a_recent_password_goes_through_reauthentication(client, tech, account, product):
    order = delivered_order(account, product)
    log_in(client, tech, seconds_ago=REAUTH_TIMEOUT + 60)
    response = client.post(url(order), post_data(order, old_certificate="revoke_now"))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/reauthenticate/")
    assert not order.certificates.exclude(reissue_reason="").exists()
    assert order.certificates.get().state == Certificate.State.VALID


@pytest.mark.django_db
def test_reissue_revoking_after_a_grace_delay_and_the_idempotent_task(client, tech, account, product):
    order = delivered_order(account, product)
    old = order.certificates.get()
    log_in(client, tech)
    before = timezone.now()
    response = client.post(url(order), post_data(order, old_certificate="revoke_later", grace_days="7"))
    assert response.status_code == 302
    old.refresh_from_db()
    assert old.state == Certificate.State.VALID
    assert before + timedelta(days=7) <= old.revoke_scheduled_at <= timezone.now() + timedelta(days=7)
    assert revoke_scheduled(old.revoke_scheduled_at - timedelta(minutes=1)) == 0  # not due yet
    assert revoke_scheduled(old.revoke_scheduled_at + timedelta(minutes=1)) == 1
    assert revoke_scheduled(old.revoke_scheduled_at + timedelta(minutes=2)) == 0  # done once
    old.refresh_from_db()
    assert old.state == Certificate.State.REVOKED and old.revocation_reason == "superseded"
    assert crl_entry(old) is not None
    assert AuditEvent.objects.filter(action="certificate.revoked", details__serial=old.serial).count() == 1
    assert reissued(order).state == Certificate.State.VALID


@pytest.mark.django_db
def test_the_celery_task_revokes_due_certificates_of_every_account(
    account, other_account, product, mailoutbox, django_capture_on_commit_callbacks
):
    mine, theirs = (
        delivered_order(account, product),
        delivered_order(other_account, product, common_name="www.globex.test"),
    )
    Certificate.objects.filter(order__in=[mine, theirs]).update(
        revoke_scheduled_at=timezone.now() - timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert revoke_scheduled_certificates.delay().get() == 2
        assert revoke_scheduled_certificates.delay().get() == 0
    assert sorted(m.to[0] for m in mailoutbox) == [
        mine.technical_contact.email,
        theirs.technical_contact.email,
    ]
    assert set(Certificate.objects.values_list("state", flat=True)) == {Certificate.State.REVOKED}


@pytest.mark.django_db
def test_revoke_later_needs_a_delay(client, tech, account, product):
    order = delivered_order(account, product)
    log_in(client, tech)
    page = client.post(url(order), post_data(order, old_certificate="revoke_later")).content.decode()
    assert "Choose the delay before the revocation." in page
    assert order.certificates.count() == 1


# ---------------------------------------------------------------- key compromise


@pytest.mark.django_db
def test_key_compromise_always_revokes_now(client, tech, account, product):
    order = delivered_order(account, product)
    old = order.certificates.get()
    log_in(client, tech)
    response = client.post(url(order), post_data(order, reason="key_compromise", old_certificate="keep"))
    assert response.status_code == 302
    old.refresh_from_db()
    assert old.state == Certificate.State.REVOKED and old.revocation_reason == "key_compromise"
    entry = crl_entry(old)
    assert (
        entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
        == x509.ReasonFlags.key_compromise
    )
    assert AuditEvent.objects.get(action="certificate.reissued").details["old_certificate"] == "revoke_now"


@pytest.mark.django_db
def test_key_compromise_revokes_every_valid_certificate_of_that_key(account, product, tech):
    key = make_key("p256")
    order = delivered_order(account, product, key=key)
    first = order.certificates.get()
    same_key = parse_csr(make_csr(order.common_name, order.sans, key=key))
    second = reissue(
        order,
        ReissueRequest(reason="software_change", csr=same_key, sans=order.sans, replaced=first),
        user=tech,
    )
    assert {c.state for c in order.certificates.all()} == {Certificate.State.VALID}
    fresh = parse_csr(make_csr(order.common_name, order.sans, key=make_key("p256")))
    third = reissue(
        order,
        ReissueRequest(
            reason="key_compromise", csr=fresh, sans=order.sans, replaced=second, old_certificate="keep"
        ),
        user=tech,
    )
    states = dict(order.certificates.values_list("serial", "revocation_reason"))
    assert states == {first.serial: "key_compromise", second.serial: "key_compromise", third.serial: ""}


@pytest.mark.django_db
def test_key_compromise_refuses_the_same_key(client, tech, account, product):
    key = make_key("p256")
    order = delivered_order(account, product, key=key)
    log_in(client, tech)
    same_key = make_csr(order.common_name, order.sans, key=key)
    page = client.post(url(order), post_data(order, reason="key_compromise", csr=same_key)).content.decode()
    assert "uses the compromised key" in page
    assert order.certificates.get().state == Certificate.State.VALID


# ---------------------------------------------------------------- names and validity


def validated_elsewhere(account, domain):
    """A validation of `domain` passed on another order of the account, within the reuse period."""
    from datetime import timedelta

    from django.utils import timezone

    from orders.models import DcvCheck

    other = delivered_order(account, make_product(f"other-{domain}"), common_name=domain, sans=[])
    now = timezone.now()
    DcvCheck.objects.create(
        account=account,
        order=other,
        domain=domain,
        method="dns",
        token="t" * 32,
        expires_at=now + timedelta(days=30),
        validated_at=now - timedelta(days=1),
    )


@pytest.mark.django_db
def test_names_may_grow_on_a_multi_site_certificate_within_its_maximum(client, tech, account):
    multi = make_product("multi-ov", product_type="multi_domain", max_sans=3, included_sans=2)
    order = delivered_order(account, multi, sans=["acme.test"])
    log_in(client, tech)
    too_many = "acme.test\nshop.acme.test\nblog.example.org\nmail.example.org\nnews.example.org"
    page = client.post(url(order), post_data(order, reason="san_added", sans=too_many)).content.decode()
    assert "at most 3 additional names" in page
    # ORD-8: an added name must be validated like an ordered one (here, no validation yet: refused).
    page = client.post(url(order), post_data(order, reason="san_added", sans="acme.test\nshop.example.org"))
    assert "shop.example.org" in page.content.decode() and "not been validated" in page.content.decode()
    validated_elsewhere(account, "shop.example.org")
    response = client.post(
        url(order), post_data(order, reason="san_added", sans="acme.test\nshop.example.org")
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.sans == ["acme.test", "shop.example.org"]
    leaf = x509.load_pem_x509_certificate(reissued(order).pem.encode())
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName
    )
    assert set(names) == {"www.acme.test", "acme.test", "shop.example.org"}


@pytest.mark.django_db
def test_names_stay_the_same_otherwise(client, tech, account):
    single = make_product("single-ov", san_price=Decimal("0.00"), max_sans=1)
    order = delivered_order(account, single, sans=["acme.test"])
    log_in(client, tech)
    page = client.post(
        url(order), post_data(order, reason="lost", sans="acme.test\nother.acme.test")
    ).content.decode()
    assert "The names stay the same for this reason" in page
    page = client.post(url(order), post_data(order, reason="san_added")).content.decode()
    assert "Select a valid choice" in page  # a single-site product offers no "names added"
    assert order.certificates.count() == 1


@pytest.mark.django_db
def test_validity_never_goes_past_the_subscription_end(account, product, tech):
    order = delivered_order(account, product)
    end = timezone.now() + timedelta(days=20)
    order.subscription_ends_at = end
    order.save()
    info = parse_csr(make_csr(order.common_name, order.sans, key=make_key("p256")))
    certificate = reissue(
        order,
        ReissueRequest(reason="subscription", csr=info, sans=order.sans, replaced=order.certificates.get()),
        user=tech,
    )
    assert certificate.not_after <= end
    # A long subscription: the CA/B Forum schedule caps the certificate itself (LIFE-9, 199 days now).
    order.subscription_ends_at = timezone.now() + timedelta(days=3 * 365)
    order.save()
    info = parse_csr(make_csr(order.common_name, order.sans, key=make_key("p256")))
    longest = reissue(
        order,
        ReissueRequest(reason="subscription", csr=info, sans=order.sans, replaced=certificate),
        user=tech,
    )
    assert longest.not_after - longest.not_before <= timedelta(days=199, minutes=1)


@pytest.mark.django_db
def test_a_resubmitted_form_reissues_once(account, product, tech):
    order = delivered_order(account, product)
    info = parse_csr(make_csr(order.common_name, order.sans, key=make_key("p256")))
    data = ReissueRequest(reason="lost", csr=info, sans=order.sans, replaced=order.certificates.get())
    first = reissue(order, data, user=tech)
    assert reissue(order, data, user=tech) == first
    assert order.certificates.count() == 2


# ---------------------------------------------------------------- refusals and the list


@pytest.mark.django_db
def test_non_reissuable_product_is_refused(client, tech, account):
    fixed = make_product("not-reissuable", reissuable=False)
    order = delivered_order(account, fixed)
    log_in(client, tech)
    page = client.get(url(order)).content.decode()
    assert "cannot be reissued" in page and 'id="refusal"' in page and "<form" not in page.split("<main>")[1]
    client.post(url(order), post_data(order))
    assert order.certificates.count() == 1
    info = parse_csr(make_csr(order.common_name, order.sans, key=make_key("p256")))
    with pytest.raises(ReissueRefused):
        reissue(
            order,
            ReissueRequest(reason="lost", csr=info, sans=order.sans, replaced=order.certificates.get()),
            user=tech,
        )


@pytest.mark.django_db
def test_ended_subscription_and_revoked_certificates_are_refused(client, tech, account, product):
    ended = delivered_order(account, product, subscription_ends_at=timezone.now() - timedelta(days=1))
    revoked = delivered_order(account, product, common_name="revoked.acme.test")
    Certificate.objects.filter(order=revoked).update(state=Certificate.State.REVOKED)
    log_in(client, tech)
    assert "subscription of this order has ended" in client.get(url(ended)).content.decode()
    assert "no valid certificate left" in client.get(url(revoked)).content.decode()


@pytest.mark.django_db
def test_list_shows_the_reissuable_certificates_only(client, tech, account, other_account, product):
    good = delivered_order(account, product, common_name="good.acme.test")
    fixed = delivered_order(account, make_product("fixed", reissuable=False), common_name="fixed.acme.test")
    ended = delivered_order(
        account,
        product,
        common_name="ended.acme.test",
        subscription_ends_at=timezone.now() - timedelta(hours=1),
    )
    pending = make_order(account, product, common_name="pending.acme.test")
    imported = delivered_order(account, product, common_name="imported.acme.test")
    imported.origin = OrderOrigin.IMPORT
    imported.save()
    theirs = delivered_order(other_account, product, common_name="www.globex.test")
    assert list(reissuable_orders(account)) == [good]
    client.force_login(tech)
    page = client.get(reverse("lifecycle:reissue_list")).content.decode()
    assert reverse("lifecycle:reissue", args=[good.reference]) in page
    for other in (fixed, ended, pending, imported, theirs):
        assert other.reference not in page


@pytest.mark.sqlite
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("paid", "months", "end"),
    [
        ("2026-01-31 10:20:30", 1, "2026-02-28 10:20:30"),
        ("2024-01-31 23:59:59", 1, "2024-02-29 23:59:59"),
        ("2026-08-31 00:00:00", 3, "2026-11-30 00:00:00"),
        ("2025-03-15 08:00:00", 12, "2026-03-15 08:00:00"),
        ("2025-12-31 12:00:00", 2, "2026-02-28 12:00:00"),
    ],
)
def test_subscription_end_in_sql_clamps_like_python(account, product, paid, months, end):
    """The SQL form of the subscription end (lists filter and sort on it) agrees with
    `add_months` on every database, month ends included (SQLite has no interval type)."""
    from datetime import UTC, datetime

    from orders.services.lifecycle import add_months
    from orders.services.reissue import with_subscription_end

    paid_at = datetime.fromisoformat(paid).replace(tzinfo=UTC)
    order = delivered_order(account, product)
    type(order).objects.filter(pk=order.pk).update(
        paid_at=paid_at, period_months=months, subscription_ends_at=None
    )
    row = with_subscription_end(type(order).objects.filter(pk=order.pk)).get()
    expected = datetime.fromisoformat(end).replace(tzinfo=UTC)
    assert add_months(paid_at, months) == expected
    assert getattr(row, "subscription_end") == expected  # noqa: B009 (an annotation)


@pytest.mark.sqlite
@pytest.mark.django_db
def test_reissue_list_answers_on_every_database(client, tech, account, product):
    """Operations > Reissue answered 500 on the demo's SQLite (PostgreSQL-only interval SQL)."""
    order = delivered_order(account, product, common_name="listed.acme.test")
    client.force_login(tech)
    response = client.get(reverse("lifecycle:reissue_list"))
    assert response.status_code == 200
    assert reverse("lifecycle:reissue", args=[order.reference]) in response.content.decode()


@pytest.mark.django_db
def test_list_queries_do_not_grow(client, tech, account, product):
    client.force_login(tech)
    list_url = reverse("lifecycle:reissue_list")
    delivered_order(account, product, common_name="h0.acme.test")
    client.get(list_url)
    with CaptureQueriesContext(connection) as small:
        client.get(list_url)
    for i in range(1, 6):
        delivered_order(account, product, common_name=f"h{i}.acme.test", paid=i % 2 == 0)
    client.get(list_url)  # the writes dropped the account's cached badges: counted again once
    with CaptureQueriesContext(connection) as big:
        page = client.get(list_url).content.decode()
    assert page.count('class="btn" href="/operations/reissue/') == 6
    assert len(big.captured_queries) == len(small.captured_queries)


# ---------------------------------------------------------------- rights


@pytest.mark.django_db
def test_commercial_only_user_is_refused(client, account, product):
    order = delivered_order(account, product)
    log_in(client, make_user(account, "sales", rights=[Right.COMMERCIAL]))
    assert client.get(reverse("lifecycle:reissue_list")).status_code == 403
    assert client.get(url(order)).status_code == 403
    assert client.post(url(order), post_data(order)).status_code == 403
    assert order.certificates.count() == 1


@pytest.mark.django_db
def test_other_account_gets_404(client, outsider, account, product):
    order = delivered_order(account, product)
    log_in(client, outsider)
    assert client.get(url(order)).status_code == 404
    assert client.post(url(order), post_data(order)).status_code == 404
    assert order.certificates.count() == 1
