"""AUTO-1: pre-validation — request (Technical right, CON-2 consent), list and detail (tenant
scoped), staff decision in the back office (audit, email), BR 4.2.1 reuse period, and the
OV callback step of an order covered by a valid pre-validation."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, Contact, Organisation, Right
from catalog.models import ProductType
from orders.models import OrderStatus, PreValidation
from orders.services.prevalidation import (
    PreValidationError,
    covering_order,
    request_prevalidation,
    validate_prevalidation,
)
from tests import factories
from tests.support.contracts import publish_terms
from tests.support.orders import contacts_of, make_order

P = PreValidation.State
LIST = "/orders/prevalidation/"


@pytest.fixture
def ov(db):
    return factories.make_product("ssl-ov-pv", validation="OV")


@pytest.fixture
def ev(ov):
    return factories.make_product("ssl-ev-pv", validation="EV", product_type=ProductType.SERVER_EV)


def new_url(brand):
    return reverse("prevalidation:new", args=[brand.code])


def post_data(account, kind="OV"):
    holder, admin, _tech = contacts_of(account)
    return {"validation_type": kind, "organisation": holder.public_id, "contact": admin.public_id}


def requested(account, user, product, kind="OV"):
    holder, admin, _tech = contacts_of(account)
    return request_prevalidation(
        account, brand=product.brand, validation_type=kind, organisation=holder, contact=admin, by=user
    )


# --- request ------------------------------------------------------------------------------------


def test_a_technical_user_asks_for_a_pre_validation(client, account, tech, ov):
    client.force_login(tech)
    page = client.get(LIST).content.decode()
    assert new_url(ov.brand) in page  # one button per authority (guide 6.7.1)
    form = client.get(new_url(ov.brand))
    assert form.status_code == 200
    response = client.post(new_url(ov.brand), post_data(account))
    prevalidation = PreValidation.objects.get(account=account)
    assert response.status_code == 302
    assert response["Location"] == reverse("prevalidation:detail", args=[prevalidation.public_id])
    assert prevalidation.state == P.REQUESTED and prevalidation.requested_by == tech
    assert prevalidation.brand == ov.brand and prevalidation.validation_type == "OV"
    assert AuditEvent.objects.filter(action="prevalidation.requested", account=account).exists()
    listing = client.get(LIST).content.decode()
    assert "Requested" in listing and prevalidation.public_id in listing


def test_the_type_list_is_the_authoritys(client, account, tech, ov):
    """The brand sells OV only: EV is not offered and a forged EV is refused."""
    client.force_login(tech)
    choices = dict(client.get(new_url(ov.brand)).context["form"].fields["validation_type"].choices)
    assert "OV" in choices and "EV" not in choices
    response = client.post(new_url(ov.brand), post_data(account, "EV"))
    assert response.status_code == 200
    assert response.context["form"].errors["validation_type"]
    assert not PreValidation.objects.exists()


def test_without_the_brands_consent_it_is_refused_with_a_link(client, account, tech, ov):
    publish_terms(ov.brand)
    client.force_login(tech)
    consent_url = reverse("contracts:consent_brand", args=[ov.brand.code])
    page = client.get(new_url(ov.brand))
    assert page.status_code == 403
    text = page.content.decode()
    assert "has not accepted the data processing terms" in text and consent_url in text
    response = client.post(new_url(ov.brand), post_data(account))
    assert response.status_code == 403
    assert not PreValidation.objects.exists()
    with pytest.raises(PreValidationError) as refused:
        requested(account, tech, ov)
    assert refused.value.url == consent_url


def test_bad_input_shows_field_errors_and_keeps_what_was_typed(client, account, tech, ov):
    client.force_login(tech)
    data = post_data(account)
    data["validation_type"] = ""
    response = client.post(new_url(ov.brand), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["validation_type"] and "organisation" not in form.errors
    assert f'value="{data["organisation"]}" selected' in response.content.decode()
    assert PreValidationError.__name__ not in response.content.decode()
    assert not PreValidation.objects.exists()


def test_the_contact_must_belong_to_the_organisation(client, account, tech, ov):
    other = Organisation.objects.create(
        account=account,
        name="Branch",
        registration_number="123456789",
        address="x",
        postal_code="1",
        city="y",
    )
    stranger = Contact.objects.create(
        account=account, organisation=other, first_name="B", last_name="C", email="b@acme.test"
    )
    client.force_login(tech)
    data = post_data(account)
    data["contact"] = stranger.public_id
    response = client.post(new_url(ov.brand), data)
    assert response.status_code == 200 and response.context["form"].errors["contact"]
    assert not PreValidation.objects.exists()


def test_a_second_request_while_one_is_pending_is_refused(account, tech, ov):
    requested(account, tech, ov)
    with pytest.raises(PreValidationError):
        requested(account, tech, ov)


def test_another_accounts_organisation_is_refused(client, account, other_account, tech, ov):
    client.force_login(tech)
    response = client.post(new_url(ov.brand), post_data(other_account))
    assert response.status_code == 200 and response.context["form"].errors["organisation"]
    assert not PreValidation.objects.exists()


# --- rights and tenant ----------------------------------------------------------------------------


def test_a_commercial_user_sees_the_list_but_cannot_ask(client, account, tech, ov):
    prevalidation = requested(account, tech, ov)
    commercial = factories.make_user(account, "sales", rights=[Right.COMMERCIAL])
    client.force_login(commercial)
    page = client.get(LIST)
    assert page.status_code == 200 and new_url(ov.brand) not in page.content.decode()
    assert client.get(reverse("prevalidation:detail", args=[prevalidation.public_id])).status_code == 200
    assert client.get(new_url(ov.brand)).status_code == 403
    assert client.post(new_url(ov.brand), post_data(account)).status_code == 403
    assert PreValidation.objects.count() == 1


@pytest.mark.parametrize("right", [Right.BILLING, Right.ADMINISTRATIVE, Right.APPROVAL])
def test_other_rights_are_refused(client, account, tech, ov, right):
    prevalidation = requested(account, tech, ov)
    client.force_login(factories.make_user(account, "someone", rights=[right]))
    assert client.get(LIST).status_code == 403
    assert client.get(reverse("prevalidation:detail", args=[prevalidation.public_id])).status_code == 403
    with pytest.raises(PreValidationError):
        requested(account, factories.make_user(account, "other", rights=[right]), ov)


def test_another_accounts_pre_validation_is_not_found(client, account, other_account, tech, outsider, ov):
    prevalidation = requested(account, tech, ov)
    client.force_login(factories.make_user(other_account, "rival", rights=[Right.TECHNICAL]))
    assert client.get(reverse("prevalidation:detail", args=[prevalidation.public_id])).status_code == 404
    assert prevalidation.public_id not in client.get(LIST).content.decode()


# --- staff decision ---------------------------------------------------------------------------------


def admin_url(name, prevalidation):
    return reverse(f"admin:orders_prevalidation_{name}", args=[prevalidation.pk])


def test_staff_validate_it_in_the_back_office(
    client, account, tech, staff, ov, mailoutbox, django_capture_on_commit_callbacks
):
    prevalidation = requested(account, tech, ov)
    client.force_login(staff)
    change = client.get(admin_url("change", prevalidation)).content.decode()
    assert admin_url("validate", prevalidation) in change
    assert client.get(admin_url("validate", prevalidation)).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(admin_url("validate", prevalidation))
    assert response.status_code == 302
    prevalidation.refresh_from_db()
    assert prevalidation.state == P.VALIDATED and prevalidation.decided_by == staff
    # BR 4.2.1: OV organisation data is reused for 825 days.
    assert prevalidation.expires_at - prevalidation.validated_at == datetime.timedelta(days=825)
    event = AuditEvent.objects.get(action="prevalidation.validated", account=account)
    assert event.is_staff_action and event.details["type"] == "OV"
    _holder, admin, _t = contacts_of(account)
    assert [m for m in mailoutbox if admin.email in m.to and "validated" in m.subject]
    # Validated: a second POST changes nothing and sends nothing.
    sent = len(mailoutbox)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(admin_url("validate", prevalidation))
    assert len(mailoutbox) == sent


def test_staff_reject_it_with_a_reason(
    client, account, tech, staff, ov, mailoutbox, django_capture_on_commit_callbacks
):
    prevalidation = requested(account, tech, ov)
    client.force_login(staff)
    response = client.post(admin_url("reject", prevalidation), {"reason": " "})
    assert response.status_code == 200 and response.context["form"].errors["reason"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(admin_url("reject", prevalidation), {"reason": "Registry number unknown"})
    prevalidation.refresh_from_db()
    assert prevalidation.state == P.REJECTED and prevalidation.expires_at is None
    assert AuditEvent.objects.filter(action="prevalidation.rejected", account=account).exists()
    assert any("Registry number unknown" in m.body for m in mailoutbox)
    client.force_login(tech)
    detail = client.get(reverse("prevalidation:detail", args=[prevalidation.public_id])).content.decode()
    assert "Registry number unknown" in detail and "Rejected" in detail


def test_an_account_user_cannot_reach_the_back_office(client, account, owner, tech, ov):
    prevalidation = requested(account, tech, ov)
    client.force_login(owner)
    client.post(admin_url("validate", prevalidation))
    prevalidation.refresh_from_db()
    assert prevalidation.state == P.REQUESTED


def test_ev_is_reused_for_398_days(account, tech, staff, ev):
    prevalidation = requested(account, tech, ev, "EV")
    assert validate_prevalidation(prevalidation, by=staff)
    assert prevalidation.expires_at - prevalidation.validated_at == datetime.timedelta(days=398)


# --- effect on orders -------------------------------------------------------------------------------


def test_a_valid_pre_validation_covers_the_ov_callback_step(client, account, tech, staff, ov):
    order = make_order(account, ov, status=OrderStatus.UNDER_VERIFICATION)
    client.force_login(tech)
    detail = reverse("orders:detail", args=[order.reference])
    assert "Covered by the OV pre-validation" not in client.get(detail).content.decode()
    validate_prevalidation(requested(account, tech, ov), by=staff)
    page = client.get(detail).content.decode()
    assert "Covered by the OV pre-validation" in page
    step = next(s for s in client.get(detail).context["steps"] if s.label == "OV callback")
    assert step.state == "done"


def test_an_expired_pre_validation_no_longer_covers(client, account, tech, staff, ov):
    order = make_order(account, ov, status=OrderStatus.UNDER_VERIFICATION)
    long_ago = timezone.now() - datetime.timedelta(days=826)
    prevalidation = requested(account, tech, ov)
    validate_prevalidation(prevalidation, by=staff, now=long_ago)
    assert covering_order(order) is None
    client.force_login(tech)
    step = next(
        s
        for s in client.get(reverse("orders:detail", args=[order.reference])).context["steps"]
        if s.label == "OV callback"
    )
    assert step.state == "awaiting"
    listing = client.get(LIST).content.decode()
    assert "Expired" in listing
    requested(account, tech, ov)  # an expired one does not block a new request


def test_an_ev_pre_validation_does_not_cover_an_ov_order_of_another_brand(account, tech, staff, ov):
    other = factories.make_product("other-ov", validation="OV", brand_code="globalsign")
    validate_prevalidation(requested(account, tech, ov), by=staff)
    assert covering_order(make_order(account, ov, status=OrderStatus.UNDER_VERIFICATION)) is not None
    assert covering_order(make_order(account, other, status=OrderStatus.UNDER_VERIFICATION)) is None


def test_the_back_office_order_page_names_the_covering_pre_validation(client, account, tech, staff, ov):
    order = make_order(account, ov, status=OrderStatus.UNDER_VERIFICATION)
    client.force_login(staff)
    url = reverse("admin:orders_order_change", args=[order.pk])
    assert "Covered by the OV pre-validation" not in client.get(url).content.decode()
    validate_prevalidation(requested(account, tech, ov), by=staff)
    assert "Covered by the OV pre-validation" in client.get(url).content.decode()


def test_pages_and_email_read_french(
    client, account, tech, staff, ov, mailoutbox, django_capture_on_commit_callbacks
):
    type(account).objects.filter(pk=account.pk).update(language="fr")
    prevalidation = requested(account, tech, ov)
    with django_capture_on_commit_callbacks(execute=True):
        validate_prevalidation(prevalidation, by=staff)
    assert any("validée" in m.subject and "Pré-validation" in m.subject for m in mailoutbox)
    client.force_login(tech)
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    listing = client.get(LIST).content.decode()
    assert "Pré-validation" in listing and "Validée" in listing
    order = make_order(account, ov, status=OrderStatus.UNDER_VERIFICATION)
    page = client.get(reverse("orders:detail", args=[order.reference])).content.decode()
    assert "Couvert par la pré-validation OV" in page
