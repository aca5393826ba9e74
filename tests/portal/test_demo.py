"""The demo data command (PLAT-8): idempotent, realistic, every order reached through the services."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO

from cryptography import x509
from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone
from django_scopes import scopes_disabled
from stdnum.fr import siren, tva

from accounts.models import Account, AuditEvent, Contact, Organisation, Right, User
from billing.models import Document, DocumentKind, DocumentStatus
from billing.services.quotes import open_quotes
from catalog.models import Product
from orders.models import Certificate, Order, OrderStatus, PreValidation
from orders.services.payment import order_documents
from portal.management.demo_accounts import DEMO_PASSWORD
from portal.management.demo_lists import TOKEN_PREFIX as LIST_TOKEN_PREFIX
from portal.management.demo_orders import DEMO_ORDERS, PATHS

DOMAINS = {"Partner Demo Hosting": "partner-demo.test", "Enterprise Demo SA": "enterprise-demo.test"}


def walked_orders():
    """The orders demo_orders walks through the services (demo_lists adds hundreds in bulk)."""
    return Order.objects.exclude(submission_token__startswith=LIST_TOKEN_PREFIX)


def walked_certificates():
    return Certificate.objects.exclude(order__submission_token__startswith=LIST_TOKEN_PREFIX)


def _counts() -> dict[str, int]:
    with scopes_disabled():
        return {
            model.__name__: model.objects.count()
            for model in (
                Account,
                User,
                Organisation,
                Contact,
                Order,
                Certificate,
                AuditEvent,
                Product,
                PreValidation,
            )
        }


class DemoTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.output = StringIO()
        call_command("load_demo", stdout=cls.output)

    def test_a_second_run_creates_and_changes_nothing(self):
        before = _counts()
        statuses = sorted(Order.objects.values_list("reference", "status"))
        out = StringIO()
        call_command("load_demo", stdout=out)
        assert _counts() == before
        assert sorted(Order.objects.values_list("reference", "status")) == statuses
        assert "Orders created now: 0" in out.getvalue()
        assert "0 created, 0 updated" in out.getvalue()

    def test_summary_lists_accounts_users_and_statuses(self):
        text = self.output.getvalue()
        # 65 orders walked through the services (demo_orders) and 240 for the lists (demo_lists).
        assert "Orders created now: 305" in text
        partner_orders = Order.objects.filter(account__name="Partner Demo Hosting").count()
        assert (
            f"Partner Demo Hosting: users partner, partner-tech, partner-billing; {partner_orders} orders"
            in text
        )
        assert "Awaiting approval" in text and "Delivered and paid" in text

    def test_five_logins_with_the_demo_password(self):
        users = {
            u.username: u
            for u in User.objects.filter(
                username__in=["staff", "partner", "partner-tech", "partner-billing", "enterprise"]
            )
        }
        assert len(users) == 5
        for user in users.values():
            assert user.check_password(DEMO_PASSWORD), user.username
            assert user.is_active
        staff = users["staff"]
        assert staff.is_staff and staff.is_superuser and staff.account is None
        assert staff.email == "staff@portal.test"
        assert users["partner"].is_account_superuser and users["enterprise"].is_account_superuser
        assert users["partner"].email == "partner@partner-demo.test"
        assert users["partner-tech"].rights == [Right.TECHNICAL]
        assert users["partner-billing"].rights == [Right.BILLING]
        assert not users["partner-tech"].is_account_superuser and not users["partner-tech"].is_staff
        assert users["enterprise"].account.name == "Enterprise Demo SA"
        assert users["enterprise"].language == "fr"

    def test_accounts_have_their_formula_language_and_organisations(self):
        partner = Account.objects.get(name="Partner Demo Hosting")
        enterprise = Account.objects.get(name="Enterprise Demo SA")
        assert (partner.kind, partner.formula, partner.language, partner.status) == (
            Account.Kind.PROVIDER,
            Account.Formula.REBATE,
            "en",
            Account.Status.ACTIVE,
        )
        assert (enterprise.kind, enterprise.formula, enterprise.language, enterprise.status) == (
            Account.Kind.ENTERPRISE,
            Account.Formula.CURRENT,
            "fr",
            Account.Status.ACTIVE,
        )
        assert partner.organisations.count() >= 3 and enterprise.organisations.count() == 2
        assert partner.holder.city == "Paris"
        assert partner.administrative_contact.organisation == partner.holder
        for org in Organisation.objects.all():
            assert siren.is_valid(org.registration_number), org
            assert tva.is_valid(org.vat_number) and org.vat_number == "FR" + siren.to_tva(
                org.registration_number
            )
        assert Organisation.objects.filter(is_account_holder=True).count() == 2

    def test_each_account_uses_only_its_own_demo_domain(self):
        for name, domain in DOMAINS.items():
            account = Account.objects.get(name=name)
            emails = [
                *Contact.objects.filter(account=account).values_list("email", flat=True),
                *User.objects.filter(account=account).values_list("email", flat=True),
            ]
            assert emails and all(e.endswith(f"@{domain}") for e in emails), emails
            names = [n for order in Order.objects.filter(account=account) for n in order.all_names]
            assert names and all(n == domain or n.endswith(f".{domain}") for n in names), names
            for order in Order.objects.filter(account=account).select_related(
                "organisation", "admin_contact"
            ):
                assert order.organisation.account_id == account.pk
                assert order.admin_contact.organisation_id == order.organisation_id

    def test_orders_in_many_statuses_each_reached_through_audited_transitions(self):
        for name in DOMAINS:
            statuses = set(Order.objects.filter(account__name=name).values_list("status", flat=True))
            assert len(statuses) >= 6, (name, statuses)
        assert set(Order.objects.values_list("status", flat=True)) >= {
            OrderStatus.AWAITING_APPROVAL,
            OrderStatus.AWAITING_PAYMENT,
            OrderStatus.UNDER_VERIFICATION,
            OrderStatus.AWAITING_DCV,
            OrderStatus.DORMANT,
            OrderStatus.CANCELLED,
            OrderStatus.DELIVERED_PAID,
            OrderStatus.DELIVERED_NOT_PAID,
        }
        for order in walked_orders():
            moves = list(
                AuditEvent.objects.filter(
                    object_type="order", object_id=order.reference, action="order.status_changed"
                ).order_by("pk")
            )
            if moves:
                assert moves[-1].details["to"] == order.status, order
            else:
                assert order.status in {OrderStatus.AWAITING_PAYMENT, OrderStatus.AWAITING_APPROVAL}

    def test_delivered_orders_hold_real_certificates_of_the_embedded_ca(self):
        certificates = walked_certificates().select_related("order", "issuer")
        assert certificates.count() == walked_orders().filter(status__startswith="delivered").count() >= 38
        for certificate in certificates:
            cert = x509.load_pem_x509_certificate(certificate.pem.encode())
            issuer = x509.load_pem_x509_certificate(certificate.issuer.certificate_pem.encode())
            cert.verify_directly_issued_by(issuer)
            assert f"{cert.serial_number:x}" == certificate.serial
            sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            assert set(sans.get_values_for_type(x509.DNSName)) == set(certificate.order.all_names)
            assert cert.not_valid_after_utc == certificate.not_after
        assert not Order.objects.filter(status__startswith="delivered", certificates__isnull=True).exists()

    def test_history_spreads_over_fourteen_months_with_expired_and_expiring_certificates(self):
        now = timezone.now()
        oldest = Order.objects.order_by("created_at").first().created_at
        newest = Order.objects.order_by("-created_at").first().created_at
        assert timedelta(days=300) < now - oldest < timedelta(days=430)
        assert now - newest < timedelta(days=3)
        expired = walked_certificates().filter(state=Certificate.State.EXPIRED)
        assert 1 <= expired.count() <= 4
        assert all(c.not_after < now for c in expired)
        assert not Certificate.objects.filter(state=Certificate.State.VALID, not_after__lt=now).exists()
        assert (
            walked_certificates()
            .filter(state=Certificate.State.VALID, not_after__lt=now + timedelta(days=30))
            .count()
            >= 3
        )
        paid = Order.objects.filter(paid_at__isnull=False)
        assert paid.exists() and all(o.created_at <= o.paid_at <= now for o in paid)
        for certificate in Certificate.objects.select_related("order"):
            assert certificate.order.created_at < certificate.not_before < now

    def test_approval_mode_holds_the_technical_users_orders(self):
        waiting = Order.objects.filter(status=OrderStatus.AWAITING_APPROVAL)
        assert waiting.exists()
        assert set(waiting.values_list("created_by__username", flat=True)) == {"partner-tech"}

    def test_a_year_of_invoices_quotes_credit_notes_and_payments(self):
        """Issue 8 point 17: the money side looks like a year of use, numbered in date order."""
        today = timezone.localdate()
        this_month = (today.year, today.month)
        invoices = Document.objects.filter(kind=DocumentKind.INVOICE)
        months = {(d.year, d.month) for d in invoices.values_list("issue_date", flat=True)}
        past = {m for m in months if m < this_month and (today - date(*m, 1)).days < 370}
        assert len(past) >= 10, sorted(months)
        paid_months = {
            (p.year, p.month)
            for p in invoices.filter(status=DocumentStatus.PAID).values_list("paid_at", flat=True)
        }
        assert len(paid_months - {this_month}) >= 8, sorted(paid_months)
        quotes = Document.objects.filter(kind=DocumentKind.QUOTE)
        accepted = quotes.filter(status=DocumentStatus.SIGNED)
        assert accepted.exists()
        assert AuditEvent.objects.filter(action="quote.accepted").exists()  # by the customer, online
        assert any(open_quotes(account).exists() for account in Account.objects.filter(name__in=DOMAINS))
        credit_notes = Document.objects.filter(kind=DocumentKind.CREDIT_NOTE, related_document__isnull=False)
        assert credit_notes.count() >= 2
        assert Document.objects.filter(kind=DocumentKind.INVOICE, status=DocumentStatus.CANCELLED).exists()

    def test_documents_are_numbered_without_gap_in_date_order(self):
        rows = Document.objects.order_by("series", "year", "number").values_list(
            "series", "year", "number", "issue_date"
        )
        sequences: dict[tuple[str, int], list[tuple[int, date]]] = {}
        for series, year, number, issued in rows:
            sequences.setdefault((series, year), []).append((number, issued))
        assert len(sequences) >= 4
        for key, documents in sequences.items():
            assert [n for n, _ in documents] == list(range(1, len(documents) + 1)), key
            dates = [d for _, d in documents]
            assert dates == sorted(dates), key
            assert all(d.year == key[1] for d in dates), key

    def test_delivered_not_paid_orders_have_their_unpaid_invoice(self):
        unpaid = walked_orders().filter(status=OrderStatus.DELIVERED_NOT_PAID)
        assert unpaid.count() >= 2
        for order in unpaid:
            invoices = order_documents(order).filter(kind=DocumentKind.INVOICE)
            assert [i.status for i in invoices] == [DocumentStatus.ISSUED], order
            assert invoices[0].issue_date < order.certificates.get().not_before.date() + timedelta(days=1)
            assert order.paid_at is None
        # Those paid on delivery have their paid invoice, dated when they were paid.
        for order in walked_orders().filter(status=OrderStatus.DELIVERED_PAID)[:5]:
            invoice = order_documents(order).get(kind=DocumentKind.INVOICE)
            assert invoice.status == DocumentStatus.PAID
            assert invoice.issue_date == timezone.localdate(order.paid_at)

    def test_the_next_nights_jobs_leave_every_demo_account_its_payment_methods(self):
        """Day two of the demo: the late-payment job finds nothing overdue in deferred payment, so no
        demo account is restricted to card and transfer (tokens, balance stay usable)."""
        from billing.services.late_payment import cash_only, create_late_payment_statements

        with scopes_disabled():
            assert create_late_payment_statements(timezone.localdate() + timedelta(days=1)) == 0
            for account in Account.objects.filter(name__in=DOMAINS):
                assert not cash_only(account), account

    def test_enterprise_contract_and_partner_consent_gate_ordering(self):
        """Issue 12 "Done when": a contract limiting the enterprise to two products, enforced; the
        partner accepted every brand's terms but ChamberSign's, whose products say why."""
        from catalog.models import Brand
        from contracts.services.consent import brand_accepted
        from contracts.services.rules import ordering_rules

        enterprise = Account.objects.get(name="Enterprise Demo SA")
        partner = Account.objects.get(name="Partner Demo Hosting")
        rules = ordering_rules(enterprise)
        sellable = Product.objects.filter(active=True, brand__active=True, is_test=False)
        allowed = {p.code for p in sellable if rules.refusal(p) is None}
        assert allowed == {"globalsign-organizationssl", "certigna-ssl-ev"}
        assert all(rules.refusal(p) is None for p in Product.objects.filter(is_test=True, active=True))
        declined = {b.code for b in Brand.objects.all() if not brand_accepted(partner, b)}
        assert declined == {"chambersign"}
        self.client.force_login(User.objects.get(username="partner"))
        page = self.client.get("/operations/new/").content.decode()
        assert 'data-refusal="consent"' in page and "ChamberSign" in page


def test_demo_orders_are_keyed_uniquely_and_reach_known_statuses():
    for orders in DEMO_ORDERS.values():
        tokens = [order.token for order in orders]
        assert len(tokens) == len(set(tokens))
        assert 25 <= len(orders) <= 40
        assert all(order.target in PATHS for order in orders)


class DemoListsTests(TestCase):
    """PLAT-8 / LIST-1..4: a few hundred more orders for the partner, so lists, search and filters
    show something: real certificates for the delivered ones, custom fields labelled."""

    @classmethod
    def setUpTestData(cls):
        call_command("load_demo", stdout=StringIO())

    def test_each_demo_account_has_a_validated_and_a_pending_pre_validation(self):
        with scopes_disabled():
            for account in Account.objects.filter(name__in=["Partner Demo Hosting"]):
                states = sorted(
                    PreValidation.objects.filter(account=account).values_list("validation_type", "state")
                )
                assert states == [("EV", "requested"), ("OV", "validated")]
            assert PreValidation.objects.filter(state="validated", expires_at__isnull=False).exists()

    def test_partner_has_hundreds_of_orders_with_real_certificates(self):
        partner = Account.objects.get(name="Partner Demo Hosting")
        orders = Order.objects.filter(account=partner, submission_token__startswith=LIST_TOKEN_PREFIX)
        assert orders.count() == 240
        assert len(set(orders.values_list("status", flat=True))) >= 8
        assert partner.custom_fields == [(1, "Cost centre"), (2, "Project")]
        delivered = orders.filter(status__startswith="delivered")
        assert not delivered.filter(certificates__isnull=True).exists()
        certificate = Certificate.objects.filter(order__in=delivered).select_related("issuer").first()
        cert = x509.load_pem_x509_certificate(certificate.pem.encode())
        cert.verify_directly_issued_by(
            x509.load_pem_x509_certificate(certificate.issuer.certificate_pem.encode())
        )
        waiting = orders.filter(status=OrderStatus.AWAITING_APPROVAL)
        assert set(waiting.values_list("created_by__username", flat=True)) <= {"partner-tech"}
        assert not Order.objects.filter(
            account__name="Enterprise Demo SA", submission_token__startswith=LIST_TOKEN_PREFIX
        ).exists()


class DemoDomainsTests(TestCase):
    """AUTO-3: each demo account has registered domains, one validated from its page, one locked."""

    @classmethod
    def setUpTestData(cls):
        call_command("load_demo", stdout=StringIO())

    def test_each_account_has_registered_validated_and_locked_domains(self):
        from orders.models import DcvCheck, Domain

        with scopes_disabled():
            for account in Account.objects.filter(name__in=DOMAINS):
                base = DOMAINS[account.name]
                registered = Domain.objects.filter(account=account, registered_at__isnull=False)
                assert {d.name for d in registered} == {
                    f"nouveau-site.{base}",
                    f"preprod.{base}",
                    f"archives.{base}",
                }
                assert [d.name for d in registered if d.locked] == [f"archives.{base}"]
                assert DcvCheck.objects.filter(
                    account=account, order=None, domain=f"nouveau-site.{base}", validated_at__isnull=False
                ).exists()
                # every domain an order validated is listed too
                ordered = set(
                    DcvCheck.objects.filter(account=account, order__isnull=False).values_list(
                        "domain", flat=True
                    )
                )
                assert ordered and ordered <= set(
                    Domain.objects.filter(account=account).values_list("name", flat=True)
                )
