"""STAFF-1, ADM-5: staff assign an account to a processing office; the account's order pages and
the emails that name a handler show how to reach it; another account's office never shows."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Account, ProcessingOffice
from orders.models import OrderStatus
from tests.support.orders import make_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def lyon(db) -> ProcessingOffice:
    return ProcessingOffice.objects.create(
        name="Lyon office", email="lyon@portal.test", phone="+33 4 78 00 12 34", hours="Mon–Fri 9:00–18:00"
    )


def account_admin_data(response, office: ProcessingOffice | None) -> dict[str, object]:
    """The change form as the browser posts it back: its fields, the read-only inlines' management
    forms, and the office chosen."""
    data: dict[str, object] = {}
    form = response.context["adminform"].form
    data.update({name: value for name, value in form.initial.items() if value is not None})
    data = {name: value.pk if hasattr(value, "pk") else value for name, value in data.items()}
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        data.update({management.add_prefix(name): value for name, value in management.initial.items()})
    data["office"] = office.pk if office else ""
    return data


def test_staff_assign_an_account_to_an_office(client, staff, account, lyon):
    client.force_login(staff)
    url = reverse("admin:accounts_account_change", args=[account.pk])
    form_page = client.get(url)
    assert 'name="office"' in form_page.content.decode() and "Lyon office" in form_page.content.decode()
    response = client.post(url, account_admin_data(form_page, lyon))
    assert response.status_code == 302, response.context["adminform"].form.errors
    account.refresh_from_db()
    assert account.office == lyon
    listing = client.get(reverse("admin:accounts_processingoffice_changelist")).content.decode()
    assert "lyon@portal.test" in listing


def test_the_status_page_shows_the_accounts_office(client, tech, account, other_account, product, lyon):
    paris = ProcessingOffice.objects.create(name="Paris office", email="paris@portal.test")
    Account.objects.filter(pk=account.pk).update(office=lyon)
    Account.objects.filter(pk=other_account.pk).update(office=paris)
    order = make_order(account, product, status=OrderStatus.UNDER_VERIFICATION, paid=True)
    client.force_login(tech)
    page = client.get(reverse("orders:detail", args=[order.reference])).content.decode()
    assert 'data-testid="processing-office"' in page
    assert "Lyon office" in page and "lyon@portal.test" in page and "Mon–Fri 9:00–18:00" in page
    assert "Paris office" not in page


def test_an_account_without_office_shows_none(client, tech, account, product):
    order = make_order(account, product, status=OrderStatus.UNDER_VERIFICATION, paid=True)
    client.force_login(tech)
    page = client.get(reverse("orders:detail", args=[order.reference])).content.decode()
    assert 'data-testid="processing-office"' not in page


def test_the_documents_request_email_names_the_handler_and_the_office(
    client, staff, account, product, lyon, mailoutbox, django_capture_on_commit_callbacks
):
    Account.objects.filter(pk=account.pk).update(office=lyon)
    order = make_order(account, product, status=OrderStatus.UNDER_VERIFICATION, paid=True)
    client.force_login(staff)
    url = reverse("admin:orders_order_request_documents", args=[order.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"kinds": ["kbis"], "note": ""})
    [message] = mailoutbox
    assert f"Your file is handled by {staff.username}, Lyon office." in message.body
    assert "lyon@portal.test" in message.body and "+33 4 78 00 12 34" in message.body
    html = message.alternatives[0][0]
    assert "mailto:lyon@portal.test" in html


def test_non_staff_cannot_edit_offices(client, owner, lyon):
    client.force_login(owner)
    response = client.get(reverse("admin:accounts_processingoffice_change", args=[lyon.pk]))
    assert response.status_code == 302 and "/staff/login/" in response["Location"]
