"""LEDG-4, LEDG-5: the token cart, the current account top-up, payment, review and confirmation with
the document emailed, crediting on payment (once), pre-filled and renewal top-ups, the list."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Account, AuditEvent, Contact
from billing.models import (
    BillingProfile,
    DiscountGrid,
    Document,
    DocumentKind,
    DocumentStatus,
    EuroMovement,
    MandateKind,
    PaymentMode,
    SepaMandate,
    TokenMovement,
    TopUp,
    TopUpStatus,
)
from billing.services import documents as document_services
from billing.services.ledger import euro_balance, token_balance
from billing.services.sepa import validate_mandate
from billing.services.topups import TopUpError, cancel_topup, confirm_topup, euro_amounts
from billing.topups import prefill_cart, prefill_url
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.billing.test_pricing")]

D = Decimal
F = Account.Formula
CART = "/account/top-up/"
PAYMENT = "/account/top-up/payment/"
REVIEW = "/account/top-up/review/"
CONFIRM = "/account/top-up/confirm/"
EUROS = "/account/top-up/euros/"
LIST = "/account/top-ups/"


@pytest.fixture(autouse=True)
def fast_pdf(monkeypatch):
    """Each document gets a small PDF of its own (WeasyPrint is tested in test_billing_pdf)."""
    monkeypatch.setattr(
        document_services,
        "render_document_pdf",
        lambda document: f"%PDF-1.4 {document.display_number}".encode(),
    )


def use_formula(account: Account, formula: str) -> Account:
    account.formula = formula
    account.administrative_contact = Contact.objects.get(account=account, first_name="Alice")
    account.save(update_fields=["formula", "administrative_contact"])
    return account


@pytest.fixture
def bulk(account):
    return use_formula(account, F.BULK)


@pytest.fixture
def grid(db):
    DiscountGrid.objects.create(formula=F.BULK, min_quantity=1, max_quantity=5, discount=D("10"))
    DiscountGrid.objects.create(formula=F.BULK, min_quantity=6, max_quantity=None, discount=D("20"))


@pytest.fixture
def dv(db):
    return factories.make_product("ssl-dv", price=D("40.00"), name="SSL DV", validation="DV")


@pytest.fixture
def as_billing(client, billing):
    client.force_login(billing)
    return client


def tom(account) -> Contact:
    return Contact.objects.get(account=account, first_name="Tom")


def add(client, product, quantity):
    return client.post(CART + "add/", {"product": product.code, "quantity": quantity})


def pay(client, account, mode=PaymentMode.TRANSFER, as_quote=False):
    data = {"payment_mode": mode, "billing_contact": tom(account).public_id}
    if as_quote:
        data["as_quote"] = "on"
    return client.post(PAYMENT, data)


def draft_key(client) -> str:
    page = client.get(REVIEW).content.decode()
    match = re.search(r'name="draft" value="([0-9a-f]+)"', page)
    assert match, page
    return match.group(1)


def confirm(client, capture) -> TopUp:
    key = draft_key(client)
    with capture(execute=True):
        response = client.post(CONFIRM, {"draft": key})
    assert response.status_code == 302, response.content.decode()[:2000]
    return TopUp.objects.get(draft_key=key)


# The cart -----------------------------------------------------------------------------------------


class TestCart:
    def test_add_merge_and_remove_lines(self, as_billing, bulk, product, dv, grid):
        assert add(as_billing, product, 2).status_code == 302
        add(as_billing, product, 4)  # same product: one line of 6, the 6+ tier
        add(as_billing, dv, 1)
        page = " ".join(as_billing.get(CART).content.decode().split())
        assert 'data-product="ssl-ov"' in page and 'data-product="ssl-dv"' in page
        assert "96.00 €" in page and "576.00 €" in page  # 6 × (120 less 20 %)
        assert "36.00 €" in page and "612.00 €" in page  # 40 less 10 %; total excl. VAT
        assert as_billing.post(CART + "remove/ssl-ov/").status_code == 302
        page = as_billing.get(CART).content.decode()
        assert 'data-product="ssl-ov"' not in page and 'data-product="ssl-dv"' in page

    def test_a_refused_line_shows_its_error_and_keeps_the_input(self, as_billing, bulk, product):
        response = add(as_billing, product, 0)
        assert response.status_code == 400
        page = response.content.decode()
        assert 'id="field-quantity"' in page and "greater than or equal to 1" in page
        assert f'<option value="{product.code}" selected>' in page
        assert add(as_billing, type(product)(code="nope"), 1).status_code == 400

    def test_test_products_and_inactive_ones_cannot_be_bought(self, as_billing, bulk, product):
        factories.make_product("free-test", is_test=True)
        assert add(as_billing, type(product)(code="free-test"), 1).status_code == 400
        product.active = False
        product.save()
        assert add(as_billing, product, 1).status_code == 400

    def test_empty_cart_cannot_go_on(self, as_billing, bulk):
        assert "empty-cart" in as_billing.get(CART).content.decode()
        assert as_billing.get(PAYMENT)["Location"] == CART
        assert as_billing.get(REVIEW)["Location"] == CART


# Payment, review, confirmation --------------------------------------------------------------------


class TestConfirmation:
    def test_invoice_issued_and_emailed_nothing_credited_yet(
        self, as_billing, bulk, billing, product, grid, mailoutbox, django_capture_on_commit_callbacks
    ):
        add(as_billing, product, 3)
        assert pay(as_billing, bulk).status_code == 302
        review = " ".join(as_billing.get(REVIEW).content.decode().split())
        assert "324.00 €" in review and "64.80 €" in review and "388.80 €" in review  # 3 × 108, VAT 20 %
        assert "Bank transfer" in review and "Tom Tech" in review and "An invoice" in review
        topup = confirm(as_billing, django_capture_on_commit_callbacks)
        assert topup.status == TopUpStatus.PENDING and topup.created_by == billing
        assert topup.amount_excl_vat == D("324.00") and topup.amount_incl_vat == D("388.80")
        invoice = topup.document
        assert invoice.kind == DocumentKind.INVOICE and invoice.status == DocumentStatus.ISSUED
        assert invoice.source_reference == topup.public_id and topup.invoice == invoice
        assert invoice.total_incl_vat == D("388.80")
        line = invoice.lines.get()
        assert line.description == "Tokens: TBS-X509 SSL-OV (12 months)" and line.quantity == 3
        assert token_balance(bulk, product) == 0  # credited on payment only
        assert len(mailoutbox) == 1
        mail = mailoutbox[0]
        assert mail.to == ["admin@acme.test"] and mail.cc == ["tech@acme.test"]
        assert invoice.display_number in mail.subject
        assert mail.attachments == [(invoice.pdf_filename, bytes(invoice.pdf), "application/pdf")]
        assert mail.alternatives and invoice.display_number in mail.alternatives[0][0]
        assert AuditEvent.objects.filter(action="billing.topup_created", user=billing).exists()
        detail = as_billing.get(reverse("account_info:topup_detail", args=[topup.public_id])).content.decode()
        assert invoice.display_number in detail and "Awaiting payment" in detail
        assert as_billing.get(CART).content.decode().count("data-product=") == 0  # the cart is emptied

    def test_quote_instead_of_invoice(
        self, as_billing, bulk, product, grid, mailoutbox, django_capture_on_commit_callbacks, staff
    ):
        add(as_billing, product, 6)
        pay(as_billing, bulk, as_quote=True)
        assert "A quote, to sign" in as_billing.get(REVIEW).content.decode()
        topup = confirm(as_billing, django_capture_on_commit_callbacks)
        quote = topup.document
        assert quote.kind == DocumentKind.QUOTE and topup.invoice is None
        assert mailoutbox[0].attachments[0][0] == quote.pdf_filename and "Quote" in mailoutbox[0].subject
        confirm_topup(topup, staff)
        topup.refresh_from_db()
        invoice = topup.invoice
        assert invoice.kind == DocumentKind.INVOICE and invoice.status == DocumentStatus.PAID
        assert invoice.total_incl_vat == quote.total_incl_vat and invoice.source_reference == topup.public_id
        assert token_balance(bulk, product) == 6

    def test_double_confirmation_makes_one_top_up(
        self, as_billing, bulk, product, grid, django_capture_on_commit_callbacks
    ):
        add(as_billing, product, 1)
        pay(as_billing, bulk)
        key = draft_key(as_billing)
        with django_capture_on_commit_callbacks(execute=True):
            first = as_billing.post(CONFIRM, {"draft": key})
            second = as_billing.post(CONFIRM, {"draft": key})
        assert first["Location"] == second["Location"]
        assert TopUp.objects.count() == 1 and Document.objects.count() == 1

    def test_a_stale_review_is_refused(self, as_billing, bulk, product, dv, grid):
        add(as_billing, product, 1)
        pay(as_billing, bulk)
        key = draft_key(as_billing)
        add(as_billing, dv, 1)  # the cart changed after the review
        response = as_billing.post(CONFIRM, {"draft": key})
        assert response.status_code == 302 and response["Location"] == REVIEW
        assert not TopUp.objects.exists()

    def test_direct_debit_needs_a_validated_mandate(
        self, as_billing, bulk, product, staff, grid, django_capture_on_commit_callbacks
    ):
        add(as_billing, product, 1)
        response = pay(as_billing, bulk, mode=PaymentMode.DIRECT_DEBIT)
        assert response.status_code == 400 and "no validated SEPA mandate" in response.content.decode()
        mandate = SepaMandate.objects.create(
            account=bulk,
            reference="RUM-TEST-1",
            kind=MandateKind.RECURRING,
            holder_name="Acme",
            iban="FR7630006000011234567890189",
            bic="AGRIFRPP",
            holder_address="1 rue",
            holder_postal_code="75002",
            holder_city="Paris",
            holder_country="FR",
            creditor_id="FR72ZZZ123456",
        )
        validate_mandate(mandate, staff)
        # A validated recurring mandate makes direct debit the default: the payment page preselects it.
        assert (
            'value="direct_debit" required id="id_payment_mode_3" checked'
            in as_billing.get(PAYMENT).content.decode()
        )
        assert pay(as_billing, bulk, mode=PaymentMode.DIRECT_DEBIT).status_code == 302
        topup = confirm(as_billing, django_capture_on_commit_callbacks)
        assert topup.payment_mode == PaymentMode.DIRECT_DEBIT and topup.sepa_mandate == mandate

    def test_late_payment_allows_cash_only(self, as_billing, bulk, product):
        BillingProfile.objects.create(account=bulk, late_payment_block=True)
        add(as_billing, product, 1)
        response = pay(as_billing, bulk, mode=PaymentMode.CHEQUE)
        assert response.status_code == 400 and "pay by card or bank transfer" in response.content.decode()
        assert pay(as_billing, bulk, mode=PaymentMode.CARD).status_code == 302


# Payment recorded by staff ------------------------------------------------------------------------


class TestPayment:
    @pytest.fixture
    def topup(self, as_billing, bulk, product, dv, grid, django_capture_on_commit_callbacks):
        add(as_billing, product, 2)
        add(as_billing, dv, 7)
        pay(as_billing, bulk)
        return confirm(as_billing, django_capture_on_commit_callbacks)

    def test_tokens_are_credited_once(self, topup, bulk, product, dv, staff):
        confirm_topup(topup, staff, payment_reference="VIR-1")
        confirm_topup(topup, staff)
        topup.refresh_from_db()
        assert topup.status == TopUpStatus.PAID and topup.paid_recorded_by == staff
        assert (token_balance(bulk, product), token_balance(bulk, dv)) == (2, 7)
        movements = TokenMovement.objects.filter(account=bulk)
        assert movements.count() == 2 and set(movements.values_list("reference", flat=True)) == {
            topup.public_id
        }
        assert topup.invoice.status == DocumentStatus.PAID and topup.invoice.payment_reference == "VIR-1"
        assert AuditEvent.objects.filter(action="billing.topup_paid").count() == 1

    def test_staff_record_the_payment_in_the_admin(self, topup, client, staff, bulk, product):
        client.force_login(staff)
        response = client.post(
            reverse("admin:billing_topup_changelist"),
            {"action": "record_payment", "_selected_action": [topup.pk]},
        )
        assert response.status_code == 302
        assert token_balance(bulk, product) == 2
        assert AuditEvent.objects.get(action="billing.topup_paid").user == staff
        assert client.get(reverse("admin:billing_topup_change", args=[topup.pk])).status_code == 200

    def test_cancel_credits_the_invoice(self, topup, staff, bulk, product):
        cancel_topup(topup, staff, reason="Ordered twice")
        topup.refresh_from_db()
        assert topup.status == TopUpStatus.CANCELLED
        assert topup.invoice.status == DocumentStatus.CANCELLED
        assert Document.objects.get(kind=DocumentKind.CREDIT_NOTE).related_document == topup.invoice
        with pytest.raises(TopUpError):
            confirm_topup(topup, staff)
        assert token_balance(bulk, product) == 0


# Current account ----------------------------------------------------------------------------------


class TestCurrentAccount:
    @pytest.fixture
    def current(self, account):
        return use_formula(account, F.CURRENT)

    @pytest.mark.parametrize(
        ("amount", "includes_vat", "rate", "excl", "incl"),
        [
            ("100.00", False, "20.00", "100.00", "120.00"),
            ("120.00", True, "20.00", "100.00", "120.00"),
            ("100.00", True, "20.00", "83.33", "100.00"),
            (
                "100.05",
                True,
                "20.00",
                "83.37",
                "100.04",
            ),  # no excl. VAT amount gives 100.05: the nearest below
            ("250.00", True, "0.00", "250.00", "250.00"),
        ],
    )
    def test_vat_conversion_both_ways(self, amount, includes_vat, rate, excl, incl):
        assert euro_amounts(D(amount), includes_vat=includes_vat, rate=D(rate)) == (D(excl), D(incl))

    def test_top_up_including_vat_credits_euros_excluding_vat(
        self, client, billing, current, staff, django_capture_on_commit_callbacks, mailoutbox
    ):
        client.force_login(billing)
        assert "Top up your current account" in client.get(EUROS).content.decode()
        assert client.post(EUROS, {"amount": "600.00", "includes_vat": "incl"}).status_code == 302
        pay(client, current, mode=PaymentMode.CARD)
        review = " ".join(client.get(REVIEW).content.decode().split())
        assert "500.00 €" in review and "600.00 €" in review and "600.00 € including VAT entered" in review
        topup = confirm(client, django_capture_on_commit_callbacks)
        assert (topup.amount_excl_vat, topup.amount_incl_vat) == (D("500.00"), D("600.00"))
        assert topup.document.lines.get().description == "Current account top-up"
        assert euro_balance(current) == D("0.00")
        confirm_topup(topup, staff)
        confirm_topup(topup, staff)
        assert euro_balance(current) == D("500.00")
        assert EuroMovement.objects.filter(account=current).count() == 1
        assert len(mailoutbox) == 1

    def test_reverse_charge_account_pays_no_vat(
        self, client, billing, current, django_capture_on_commit_callbacks
    ):
        holder = current.holder
        holder.country, holder.vat_number = "DE", "DE136695976"
        holder.save()
        client.force_login(billing)
        client.post(EUROS, {"amount": "300.00", "includes_vat": "incl"})
        pay(client, current)
        topup = confirm(client, django_capture_on_commit_callbacks)
        assert topup.amount_excl_vat == topup.amount_incl_vat == D("300.00")

    def test_amount_errors_are_shown(self, client, billing, current):
        client.force_login(billing)
        response = client.post(EUROS, {"amount": "abc", "includes_vat": "incl"})
        assert response.status_code == 400 and "Enter a number" in response.content.decode()
        assert 'value="incl" required id="id_includes_vat_1" checked' in response.content.decode()

    def test_formulas_guard_the_pages(self, client, billing, current, product):
        client.force_login(billing)
        assert client.get(CART).status_code == 403  # tokens are for bulk purchase and rebate
        assert client.get("/account/top-up/renewals/").status_code == 403
        use_formula(current, F.BULK)
        assert client.get(EUROS).status_code == 403
        use_formula(current, F.MONTHLY)
        assert client.get(LIST).status_code == 403 and client.get(PAYMENT).status_code == 403


# Pre-filled top-ups -------------------------------------------------------------------------------


class TestPrefill:
    def test_link_from_the_orders_side_fills_the_cart(self, as_billing, bulk, product, dv, grid):
        url = prefill_url({product.pk: 3, dv.pk: 1})
        assert url == CART + "?product=ssl-ov&quantity=3&product=ssl-dv&quantity=1"
        add(as_billing, dv, 5)  # replaced, not added to
        response = as_billing.get(url)
        assert response.status_code == 302 and response["Location"] == CART
        page = " ".join(as_billing.get(CART).content.decode().split())
        assert "324.00 €" in page and "36.00 €" in page

    def test_discontinued_products_take_their_replacement(self, bulk, product, dv):
        old = factories.make_product("old-ov", active=False, replacement=product)
        gone = factories.make_product("gone", active=False)
        assert prefill_cart(bulk, {old.pk: 2, product.pk: 1, gone.pk: 4, dv.pk: 0}) == {product.pk: 3}

    def test_unknown_codes_are_dropped(self, as_billing, bulk, product):
        as_billing.get(CART + "?product=nope&quantity=2&product=ssl-ov&quantity=x")
        assert "empty-cart" in as_billing.get(CART).content.decode()


NEEDS: list = []


def fake_provider(account, start, end):
    """The renewal needs the orders side would compute (BILLING_RENEWAL_NEEDS_PROVIDER)."""
    return [
        (product, quantity, references)
        for product, quantity, references in NEEDS
        if account is not None and start <= end
    ]


class TestRenewals:
    URL = "/account/top-up/renewals/"

    def test_without_a_provider_the_page_says_so(self, as_billing, bulk, settings):
        settings.BILLING_RENEWAL_NEEDS_PROVIDER = ""
        page = as_billing.get(self.URL, {"start": "2026-01-01", "end": "2026-03-31"}).content.decode()
        assert "not available yet" in page

    def test_needs_after_the_balance_with_replacements(
        self, as_billing, bulk, product, dv, settings, monkeypatch
    ):
        from billing.services.ledger import credit_tokens

        settings.BILLING_RENEWAL_NEEDS_PROVIDER = "tests.billing.test_topups.fake_provider"
        old = factories.make_product("old-ov", name="Old OV", active=False, replacement=product)
        gone = factories.make_product("gone", name="Gone", active=False)
        credit_tokens(bulk, product, 2, reference="T-1")
        monkeypatch.setattr(
            "tests.billing.test_topups.NEEDS",
            [
                (product, 3, ["CP001", "CP002", "CP003"]),
                (old, 2, ["CP004", "CP005"]),
                (dv, 1, ["CP006"]),
                (gone, 1, ["CP007"]),
            ],
        )
        response = as_billing.get(self.URL, {"start": "2026-01-01", "end": "2026-03-31"})
        page = " ".join(response.content.decode().split())
        assert "7 tokens needed · 4 to buy" in page  # ssl-ov: 3 + 2 less the 2 held; ssl-dv: 1
        assert "No longer sold: replaced by TBS-X509 SSL-OV" in page
        assert "No longer sold and without replacement" in page
        assert "CP004, CP005" in page
        buy = (
            re.search(r'href="([^"]+)" class="btn" data-testid="buy-tokens"', page)
            .group(1)
            .replace("&amp;", "&")
        )
        assert buy == CART + "?product=ssl-ov&quantity=3&product=ssl-dv&quantity=1"

    def test_period_errors(self, as_billing, bulk, settings):
        settings.BILLING_RENEWAL_NEEDS_PROVIDER = "tests.billing.test_topups.fake_provider"
        response = as_billing.get(self.URL, {"start": "2026-03-01", "end": "2026-01-01"})
        assert response.status_code == 400 and "before its start" in response.content.decode()


# The list -----------------------------------------------------------------------------------------


class TestList:
    def test_all_or_pending_and_constant_queries(
        self, as_billing, bulk, product, staff, other_account, grid, django_capture_on_commit_callbacks
    ):
        def make(quantity):
            add(as_billing, product, quantity)
            pay(as_billing, bulk)
            return confirm(as_billing, django_capture_on_commit_callbacks)

        paid, pending = make(1), make(2)
        confirm_topup(paid, staff)
        foreign = TopUp.objects.create(
            account=use_formula(other_account, F.BULK),
            kind="tokens",
            amount_excl_vat=D("1.00"),
            amount_incl_vat=D("1.20"),
            payment_mode=PaymentMode.CARD,
            draft_key="x",
        )
        page = as_billing.get(LIST).content.decode()
        assert paid.public_id in page and pending.public_id in page and foreign.public_id not in page
        assert "2 × SSL-OV" in page
        pending_page = as_billing.get(LIST, {"status": "pending"}).content.decode()
        assert pending.public_id in pending_page and paid.public_id not in pending_page
        with CaptureQueriesContext(connection) as small:
            as_billing.get(LIST)
        for quantity in (3, 4, 5):
            make(quantity)
        as_billing.get(LIST)  # the account's counts (menu badges) are counted once after a change
        with CaptureQueriesContext(connection) as large:
            as_billing.get(LIST)
        assert len(large.captured_queries) == len(small.captured_queries)

    def test_another_accounts_top_up_is_404(self, as_billing, bulk, other_account):
        foreign = TopUp.objects.create(
            account=other_account,
            kind="tokens",
            amount_excl_vat=D("1.00"),
            amount_incl_vat=D("1.20"),
            payment_mode=PaymentMode.CARD,
            draft_key="x",
        )
        assert (
            as_billing.get(reverse("account_info:topup_detail", args=[foreign.public_id])).status_code == 404
        )


class TestRights:
    @pytest.mark.parametrize("url", [CART, PAYMENT, REVIEW, LIST, "/account/top-up/renewals/"])
    def test_tech_user_is_refused(self, client, tech, bulk, url):
        client.force_login(tech)
        assert client.get(url).status_code == 403

    def test_tech_user_cannot_post(self, client, tech, bulk, product):
        client.force_login(tech)
        assert add(client, product, 1).status_code == 403
        assert client.post(CONFIRM, {"draft": "x"}).status_code == 403


def test_menu_entries_follow_the_formula(billing, account):
    from billing import menu

    def names(user):
        return [
            entry.url_name for entry in menu.entries_for(user, menu.ACCOUNT_INFO) if "topup" in entry.url_name
        ]

    use_formula(account, F.BULK)
    billing.refresh_from_db()
    assert names(billing) == ["account_info:topup", "account_info:topup_renewals", "account_info:topup_list"]
    use_formula(account, F.CURRENT)
    billing.refresh_from_db()
    assert names(billing) == ["account_info:topup_euros", "account_info:topup_list"]
    use_formula(account, F.MONTHLY)
    billing.refresh_from_db()
    assert names(billing) == []
