"""Demo orders (PLAT-8): each one placed, paid, moved and issued through the order services.

An order is described by the status it must end in; `PATHS` gives the legal LIFE-1 moves that
lead there, run with `submit_order`, `transition`, `record_payment` and `issue_certificate`, never
by writing the status. Certificates are real ones from the embedded CA, signed for fresh EC P-256
keys (thrown away: the demo never needs them). A delivered order's certificate is issued in the
past (`now=`) so that it has the wanted number of days left, some negative: expired ones.
Dates the services set to "now" (ordered, paid) are moved back afterwards for a believable
history. Each order is keyed by a submission token, so a second run skips what exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from catalog.models import Product
from orders.ca.policy import default_tls_validity
from orders.models import DcvMethod, Order, OrderStatus, ServerSoftware
from orders.services import find_submitted, issue_certificate, record_payment, submit_order, transition
from orders.services.dcv import validate_order_dcv_manually
from orders.services.lifecycle import add_months

from .demo_accounts import DemoAccount

S = OrderStatus
MAX_AGE_DAYS = 425  # about 14 months of history

# LIFE-1: how each final status is reached after submission. "pay" records the payment (staff),
# "issue" issues the certificate (staff), "dcv" marks the domains validated (staff), any other
# step is a transition to that status (skipped when the order is already there: payment moves a
# server order whose domains are pending to "awaiting DCV").
PATHS: dict[str, tuple[str, ...]] = {
    S.AWAITING_APPROVAL: (),
    S.QUOTE: (),
    S.PROCESSING_AWAITING_PAYMENT: (),
    S.AWAITING_PAYMENT: (),
    S.UNDER_VERIFICATION: ("dcv", "pay"),
    S.AWAITING_DCV: ("pay", S.AWAITING_DCV),
    S.DORMANT: ("pay", S.DORMANT),
    S.DELIVERED_PAID: ("pay", "issue"),
    S.DELIVERED_NOT_PAID: (S.UNDER_VERIFICATION, "issue"),
    S.CANCELLED: (S.CANCELLED,),
    S.CANCELLED_REFUNDED: ("pay", S.CANCELLED_REFUNDED),
    S.NO_FOLLOWUP_AWAITING_FEE: ("pay", S.AWAITING_DCV, S.NO_FOLLOWUP_AWAITING_FEE),
    S.NO_FOLLOWUP_FEE_PAID: ("pay", S.AWAITING_DCV, S.NO_FOLLOWUP_AWAITING_FEE, S.NO_FOLLOWUP_FEE_PAID),
}
# ORD-5: what the approver decides for an order waiting for approval, by the status it must reach.
APPROVAL_DECISIONS: dict[str, str] = {
    S.QUOTE: S.QUOTE,
    S.PROCESSING_AWAITING_PAYMENT: S.PROCESSING_AWAITING_PAYMENT,
}
# Who makes each move: the account's approver for approvals and cancellations, staff for the rest.
BY_CUSTOMER = {S.CANCELLED}
DCV_NOTE = "Domains checked by the validation team"
NOTES: dict[str, str] = {
    S.AWAITING_DCV: "Domain validation sent to the technical contact.",
    S.DORMANT: "Waiting for a Kbis extract of less than three months.",
    S.CANCELLED: "Ordered by mistake, replaced by another order.",
    S.CANCELLED_REFUNDED: "Customer withdrew before issuance; payment refunded.",
    S.NO_FOLLOWUP_AWAITING_FEE: "No answer to the domain validation for 30 days.",
    S.NO_FOLLOWUP_FEE_PAID: "Cancellation fee paid.",
    S.UNDER_VERIFICATION: "Deferred payment accepted: processing before payment.",
}
CUSTOMER_COMMENTS: dict[str, str] = {
    S.AWAITING_DCV: "We could not find the DNS TXT record yet: please publish it as shown on this page.",
    S.DORMANT: "Please send a Kbis extract of less than three months so that we can finish the verification.",
}


@dataclass(frozen=True)
class DemoOrder:
    """One demo order: its final status, product, period, organisation (index) and names."""

    target: str
    product: str
    months: int
    org: int
    names: tuple[str, ...]
    days: int  # delivered: days left on the certificate (negative: expired); else: age of the order
    by: str = ""  # username of the orderer; the account's super user when empty

    @property
    def token(self) -> str:
        return f"demo:{self.names[0]}"[:64]


def _o(
    target: str, product: str, months: int, org: int, names: Sequence[str], days: int, by: str = ""
) -> DemoOrder:
    return DemoOrder(target, product, months, org, tuple(names), days, by)


P = "partner-demo.test"
PARTNER_ORDERS = [
    _o(S.DELIVERED_PAID, "sectigo-dv", 12, 1, [f"shop.{P}"], -25),
    _o(S.DELIVERED_PAID, "positivessl-dv", 12, 3, [f"portfolio.{P}", f"www.portfolio.{P}"], -6),
    _o(S.DELIVERED_PAID, "tbs-x509-ssl-ov", 12, 0, [f"www.{P}", P], 9),
    _o(
        S.DELIVERED_PAID,
        "positivessl-wildcard",
        12,
        1,
        [f"*.boulangerie-martin.{P}", f"boulangerie-martin.{P}"],
        17,
    ),
    _o(S.DELIVERED_PAID, "thawte-ssl123", 12, 2, [f"durand-avocats.{P}", f"www.durand-avocats.{P}"], 26),
    _o(
        S.DELIVERED_PAID,
        "tbs-x509-multi-domain-ov",
        24,
        2,
        [
            f"extranet.durand-avocats.{P}",
            f"mail.{P}",
            f"webmail.durand-avocats.{P}",
            f"agenda.durand-avocats.{P}",
            f"docs.durand-avocats.{P}",
        ],
        48,
    ),
    _o(S.DELIVERED_PAID, "digicert-basic-ov", 12, 0, [f"panel.{P}"], 63),
    _o(S.DELIVERED_PAID, "sectigo-ev", 12, 0, [f"billing.{P}"], 72),
    _o(S.DELIVERED_PAID, "sectigo-ov", 36, 0, [f"api.{P}"], 88),
    _o(S.DELIVERED_PAID, "geotrust-standard-dv", 12, 3, [f"leroy-design.{P}", f"www.leroy-design.{P}"], 104),
    _o(S.DELIVERED_PAID, "certigna-ssl-ov", 12, 2, [f"www.durand-avocats.{P}"], 120),
    _o(S.DELIVERED_PAID, "tbs-x509-ssl-ev", 24, 0, [f"secure.{P}"], 131),
    _o(S.DELIVERED_PAID, "globalsign-domainssl", 12, 1, [f"commande.shop.{P}"], 150),
    _o(
        S.DELIVERED_PAID,
        "sectigo-multi-domain-wildcard-ov",
        12,
        0,
        [f"*.{P}", P, f"*.panel.{P}", f"status.{P}"],
        166,
    ),
    _o(S.DELIVERED_PAID, "harica-dv", 12, 3, [f"cdn.leroy-design.{P}"], 178),
    _o(S.DELIVERED_PAID, "tbs-x509-wildcard-dv", 24, 0, [f"*.clients.{P}", f"clients.{P}"], 189),
    _o(
        S.DELIVERED_PAID,
        "positivessl-multi-domain",
        12,
        1,
        [
            f"boulangerie-martin.{P}",
            f"www.boulangerie-martin.{P}",
            f"click-collect.boulangerie-martin.{P}",
            f"www.shop.{P}",
        ],
        194,
    ),
    _o(S.DELIVERED_PAID, "tbs-x509-test", 1, 0, [f"test.{P}"], 20, by="partner-tech"),
    _o(S.DELIVERED_NOT_PAID, "tbs-x509-ssl-dv", 12, 3, [f"www.leroy-design.{P}"], 160),
    _o(S.DELIVERED_NOT_PAID, "sectigo-wildcard-dv", 12, 2, [f"*.durand-avocats.{P}"], 185),
    _o(S.DELIVERED_NOT_PAID, "harica-ov", 12, 1, [f"pay.shop.{P}"], 190, by="partner-tech"),
    _o(S.AWAITING_PAYMENT, "digicert-secure-site-ev", 12, 0, [f"login.{P}"], 3),
    _o(S.AWAITING_PAYMENT, "positivessl-dv", 12, 1, [f"blog.shop.{P}"], 1),
    _o(S.AWAITING_PAYMENT, "sectigo-ov", 24, 2, [f"vpn.durand-avocats.{P}"], 6),
    _o(S.UNDER_VERIFICATION, "tbs-x509-ssl-ev", 12, 0, [f"account.{P}"], 2),
    _o(S.UNDER_VERIFICATION, "globalsign-organizationssl", 12, 3, [f"studio.leroy-design.{P}"], 4),
    _o(S.AWAITING_DCV, "tbs-x509-ssl-dv", 12, 1, [f"livraison.shop.{P}"], 5),
    _o(S.AWAITING_DCV, "positivessl-wildcard", 12, 3, [f"*.leroy-design.{P}", f"leroy-design.{P}"], 8),
    _o(S.DORMANT, "tbs-x509-ssl-ov", 12, 2, [f"intranet.durand-avocats.{P}"], 21),
    _o(S.AWAITING_APPROVAL, "sectigo-dv", 12, 1, [f"promo.shop.{P}"], 1, by="partner-tech"),
    _o(
        S.AWAITING_APPROVAL,
        "tbs-x509-wildcard-ov",
        12,
        0,
        [f"*.hosting.{P}", f"hosting.{P}"],
        2,
        by="partner-tech",
    ),
    _o(S.PROCESSING_AWAITING_PAYMENT, "sectigo-ov", 12, 2, [f"rdv.durand-avocats.{P}"], 3, by="partner-tech"),
    _o(S.QUOTE, "digicert-secure-site-ov", 24, 0, [f"manager.{P}"], 4, by="partner-tech"),
    _o(S.CANCELLED, "positivessl-dv", 12, 1, [f"old.shop.{P}"], 250),
    _o(S.CANCELLED, "thawte-web-server-ov", 12, 3, [f"atelier.leroy-design.{P}"], 96),
    _o(S.CANCELLED_REFUNDED, "geotrust-truebusiness-ov", 12, 2, [f"archives.durand-avocats.{P}"], 130),
    _o(S.NO_FOLLOWUP_AWAITING_FEE, "tbs-x509-ssl-ev", 12, 3, [f"boutique.leroy-design.{P}"], 60),
]

E = "enterprise-demo.test"
ENTERPRISE_ORDERS = [
    _o(S.DELIVERED_PAID, "tbs-x509-ssl-ov", 12, 0, [f"legacy.{E}"], -12),
    _o(S.DELIVERED_PAID, "digicert-secure-site-ev", 12, 0, [f"www.{E}", E], 5),
    _o(S.DELIVERED_PAID, "globalsign-organizationssl", 12, 0, [f"intranet.{E}"], 14),
    _o(
        S.DELIVERED_PAID,
        "digicert-multi-domain-ov",
        24,
        0,
        [f"api.{E}", f"api-v2.{E}", f"sandbox.api.{E}", f"partners.{E}", f"docs.{E}", f"status.{E}"],
        30,
    ),
    _o(S.DELIVERED_PAID, "geotrust-truebusiness-ev", 12, 0, [f"login.{E}"], 44),
    _o(S.DELIVERED_PAID, "digicert-wildcard-ov", 12, 0, [f"*.apps.{E}", f"apps.{E}"], 57),
    _o(S.DELIVERED_PAID, "certigna-ssl-ev", 24, 0, [f"paiement.{E}"], 75),
    _o(S.DELIVERED_PAID, "chambersign-ssl-ov", 12, 1, [f"services.{E}", f"www.services.{E}"], 96),
    _o(S.DELIVERED_PAID, "sectigo-ov", 12, 1, [f"support.{E}"], 112),
    _o(S.DELIVERED_PAID, "harica-ov", 12, 1, [f"tickets.support.{E}"], 128),
    _o(S.DELIVERED_PAID, "thawte-web-server-ev", 12, 0, [f"espace-client.{E}"], 146),
    _o(
        S.DELIVERED_PAID,
        "globalsign-organizationssl-multi-domain",
        12,
        1,
        [f"crm.services.{E}", f"erp.services.{E}", f"bi.services.{E}"],
        163,
    ),
    _o(S.DELIVERED_PAID, "tbs-x509-wildcard-ov", 24, 0, [f"*.dev.{E}", f"dev.{E}"], 176),
    _o(S.DELIVERED_PAID, "digicert-basic-ov", 12, 0, [f"mail.{E}"], 187),
    _o(S.DELIVERED_PAID, "tbs-x509-ssl-ev", 12, 0, [f"extranet.{E}"], 196),
    _o(S.DELIVERED_NOT_PAID, "sectigo-ev", 12, 1, [f"portail.services.{E}"], 170),
    _o(S.DELIVERED_NOT_PAID, "certigna-ssl-ov", 12, 0, [f"rh.{E}"], 181),
    _o(S.AWAITING_PAYMENT, "digicert-secure-site-ov", 12, 0, [f"boutique.{E}"], 2),
    _o(
        S.AWAITING_PAYMENT,
        "geotrust-truebusiness-multi-domain",
        12,
        1,
        [f"assistance.support.{E}", f"chat.support.{E}", f"kb.support.{E}"],
        5,
    ),
    _o(S.UNDER_VERIFICATION, "globalsign-extendedssl", 12, 0, [f"banque.{E}"], 3),
    _o(S.UNDER_VERIFICATION, "chambersign-ssl-ev", 12, 1, [f"factures.services.{E}"], 6),
    _o(S.AWAITING_DCV, "sectigo-dv", 12, 1, [f"status.support.{E}"], 4),
    _o(S.DORMANT, "certigna-ssl-ev", 12, 0, [f"signature.{E}"], 18),
    _o(S.CANCELLED, "thawte-ssl123", 12, 0, [f"promo.{E}"], 200),
    _o(S.CANCELLED, "harica-dv", 12, 1, [f"recette.services.{E}"], 45),
    _o(S.CANCELLED_REFUNDED, "globalsign-domainssl", 12, 0, [f"jeux.{E}"], 160),
    _o(S.NO_FOLLOWUP_AWAITING_FEE, "digicert-basic-ev", 12, 1, [f"recrutement.services.{E}"], 90),
    _o(S.NO_FOLLOWUP_FEE_PAID, "geotrust-truebusiness-ev", 24, 0, [f"fondation.{E}"], 300),
]

DEMO_ORDERS = {P: PARTNER_ORDERS, E: ENTERPRISE_ORDERS}
_SOFTWARE = [
    ServerSoftware.APACHE,
    ServerSoftware.NGINX,
    ServerSoftware.IIS,
    ServerSoftware.HAPROXY,
    ServerSoftware.CPANEL,
    ServerSoftware.TOMCAT,
]
_DCV = [DcvMethod.DNS, DcvMethod.HTTP, DcvMethod.DNS, DcvMethod.EMAIL]


def make_csr(names: tuple[str, ...], organisation_name: str) -> str:
    """A PKCS#10 CSR for a fresh P-256 key (fast to make) naming the order's names."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, names[0]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation_name),
        ]
    )
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(subject)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM).decode()


def issue_moment(product: Product, months: int, days_left: int, now: datetime) -> datetime:
    """When to issue so that the certificate has `days_left` days left, the oldest such moment.

    Mirrors what issuance gives (LIFE-9): the subscription's end (paid the day before) capped, for
    a publicly trusted TLS certificate, by the CA/B Forum validity at that date.
    """
    target = now + timedelta(days=days_left)
    best: tuple[timedelta, datetime] | None = None
    for age in range(MAX_AGE_DAYS, 0, -1):
        issued = now - timedelta(days=age)
        end = add_months(issued - timedelta(days=1), months)
        if product.publicly_trusted_tls:
            end = min(end, issued + default_tls_validity(issued))
        gap = abs(end - target)
        if gap <= timedelta(days=1):
            return issued
        if best is None or gap < best[0]:
            best = (gap, issued)
    assert best is not None  # MAX_AGE_DAYS > 0: the loop ran
    return best[1]


@dataclass
class _Context:
    demo: DemoAccount
    staff: User
    products: dict[str, Product]
    now: datetime


def _set_dates(order: Order, **dates: datetime) -> None:
    # History only: the services stamp "now"; no status or amount is written here.
    Order.objects.filter(pk=order.pk).update(**dates)
    for name, value in dates.items():
        setattr(order, name, value)


def _place(ctx: _Context, spec: DemoOrder, index: int) -> Order:
    account = ctx.demo.account
    org, org_spec, contacts = ctx.demo.organisations[spec.org]
    holder_contacts = ctx.demo.organisations[0][2]
    product = ctx.products[spec.product]
    user = (
        ctx.demo.users[spec.by]
        if spec.by
        else next(u for u in ctx.demo.users.values() if u.is_account_superuser)
    )
    approver = next(u for u in ctx.demo.users.values() if u.is_account_superuser)
    delivered = "issue" in PATHS[spec.target]
    if delivered:
        issued = issue_moment(product, spec.months, spec.days, ctx.now)
        start = issued - timedelta(days=1)
    else:
        issued = None
        start = ctx.now - timedelta(days=spec.days)
    order = submit_order(
        account=account,
        user=user,
        product=product,
        period_months=spec.months,
        organisation=org,
        admin_contact=contacts[0],
        technical_contact=holder_contacts[min(1, len(holder_contacts) - 1)],
        common_name=spec.names[0],
        sans=list(spec.names[1:]),
        csr=make_csr(spec.names, org.name),
        server_software=_SOFTWARE[index % len(_SOFTWARE)],
        dcv_method=_DCV[index % len(_DCV)],
        customer_reference=f"PO-{start:%Y}-{index + 101:04d}" if index % 3 == 0 else "",
        submission_token=spec.token,
    )
    _set_dates(order, created_at=start - timedelta(hours=5))
    if order.status == S.AWAITING_APPROVAL and spec.target != S.AWAITING_APPROVAL:
        decision = APPROVAL_DECISIONS.get(spec.target, S.AWAITING_PAYMENT)
        order = transition(order, decision, user=approver, note="Approved")
    for step in PATHS[spec.target]:
        if step == "pay":
            order = record_payment(order, user=ctx.staff, reference=f"CARD-{order.reference}")
            _set_dates(order, paid_at=start)
        elif step == "dcv":
            validate_order_dcv_manually(order, by=ctx.staff, note=DCV_NOTE)
        elif step == "issue":
            validate_order_dcv_manually(order, by=ctx.staff, note=DCV_NOTE, now=issued)
            issue_certificate(order, user=ctx.staff, now=issued)
        elif order.status != step:
            by = approver if step in BY_CUSTOMER else ctx.staff
            order = transition(order, step, user=by, note=NOTES.get(step, ""))
    if spec.target in CUSTOMER_COMMENTS:
        Order.objects.filter(pk=order.pk).update(customer_comment=CUSTOMER_COMMENTS[spec.target])
    return order


def ensure_orders(demo: DemoAccount, staff: User, now: datetime | None = None) -> int:
    """PLAT-8: the account's demo orders, each created once; returns how many were created now."""
    specs = DEMO_ORDERS[demo.spec.domain]
    codes = {spec.product for spec in specs}
    products = {p.code: p for p in Product.objects.filter(code__in=codes).select_related("brand")}
    ctx = _Context(demo, staff, products, now or timezone.now())
    created = 0
    for index, spec in enumerate(specs):
        if find_submitted(demo.account, spec.token) is not None:
            continue
        # One order at a time: a failure leaves no half-made order, and a rerun completes the set.
        with transaction.atomic():
            _place(ctx, spec, index)
        created += 1
    return created
