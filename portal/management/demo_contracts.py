"""Demo contracts and data processing decisions (CON-1, CON-2), idempotent like the rest of the demo.

- Every brand publishes version 1 of its data processing terms, in English and French.
- The partner's super user accepted every brand's terms but ChamberSign's, which they declined:
  ChamberSign products show why they cannot be ordered. The enterprise accepted them all.
- The documentation space has product sheets for three brands, in English and French (AUTO-5).
- The enterprise works under a public-market contract limiting it to two products, with two
  order objectives and its signed PDF. It is created after the demo's order history, which
  predates it.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import User
from catalog.models import Brand, Product
from contracts.models import ConsentDecision, ConsentTerms, Contract, Objective
from contracts.services.consent import decide, publish
from portal.management.demo_accounts import DemoAccount

DECLINED_BY_PARTNER = "chambersign"
DEMO_ADDRESS = "192.0.2.10"  # RFC 5737 documentation range
CONTRACT_REFERENCE = "MARCHE-2026-ENT-01"
CONTRACT_PRODUCTS = ("globalsign-organizationssl", "certigna-ssl-ev")

# Where each brand's authority processes the data (per brand of the seed catalogue).
LOCATIONS = {
    "tbs-x509": ("France (Caen)", "France (Caen)"),
    "digicert": ("United States and Ireland", "États-Unis et Irlande"),
    "thawte": ("United States and Ireland", "États-Unis et Irlande"),
    "geotrust": ("United States and Ireland", "États-Unis et Irlande"),
    "sectigo": ("United Kingdom and United States", "Royaume-Uni et États-Unis"),
    "positivessl": ("United Kingdom and United States", "Royaume-Uni et États-Unis"),
    "globalsign": ("Belgium and Japan", "Belgique et Japon"),
    "certigna": ("France (Villeneuve-d'Ascq)", "France (Villeneuve-d'Ascq)"),
    "harica": ("Greece (Thessaloniki)", "Grèce (Thessalonique)"),
    "chambersign": ("France (Paris)", "France (Paris)"),
    "signiflow": ("South Africa and the European Union", "Afrique du Sud et Union européenne"),
}


def _terms_fields(brand: Brand) -> dict[str, str]:
    where_en, where_fr = LOCATIONS.get(brand.code, ("European Union", "Union européenne"))
    return {
        "data_sent_en": (
            "The certificate request (CSR) and the names it secures; the holder organisation's name, "
            "registration number and address; the names, email addresses and phone numbers of the "
            "administrative and technical contacts."
        ),
        "data_sent_fr": (
            "La demande de certificat (CSR) et les noms qu'elle sécurise ; le nom, le numéro "
            "d'immatriculation et l'adresse de l'organisation titulaire ; les noms, adresses "
            "électroniques et numéros de téléphone des contacts administratif et technique."
        ),
        "use_en": (
            f"{brand.name} checks the organisation and the control of the domain names, issues the "
            "certificate, publishes it in Certificate Transparency logs as browsers require, and keeps "
            "the validation records for the period its audit rules set (seven years)."
        ),
        "use_fr": (
            f"{brand.name} vérifie l'organisation et le contrôle des noms de domaine, émet le certificat, "
            "le publie dans les journaux Certificate Transparency comme l'exigent les navigateurs, et "
            "conserve les preuves de validation pendant la durée fixée par ses règles d'audit (sept ans)."
        ),
        "recipients_en": (
            f"{brand.name}, its validation staff and subcontractors bound by the same obligations; its "
            "auditors. Certificates are public once issued."
        ),
        "recipients_fr": (
            f"{brand.name}, ses équipes de validation et ses sous-traitants tenus aux mêmes obligations ; "
            "ses auditeurs. Les certificats sont publics une fois émis."
        ),
        "location_en": where_en,
        "location_fr": where_fr,
    }


def ensure_terms() -> dict[str, ConsentTerms]:
    """Version 1 of every brand's terms, published (an existing version is left as it is)."""
    terms = {}
    for brand in Brand.objects.all():
        current = ConsentTerms.objects.filter(brand=brand).order_by("-version").first()
        if current is None:
            current = ConsentTerms.objects.create(brand=brand, **_terms_fields(brand))
        if current.published_at is None:
            publish(current)
        terms[brand.code] = current
    return terms


def ensure_decisions(demo: DemoAccount, declined: tuple[str, ...] = ()) -> None:
    """The account's super user decided on every brand: accepted, or declined for `declined`."""
    account = demo.account
    user = User.objects.get(account=account, is_account_superuser=True)
    for brand in Brand.objects.all():
        decision = (
            ConsentDecision.Decision.DECLINED if brand.code in declined else ConsentDecision.Decision.ACCEPTED
        )
        decide(account, brand, decision, user=user, ip_address=DEMO_ADDRESS)


def _signed_pdf(contract: Contract) -> bytes:
    from weasyprint import HTML

    html = render_to_string("contracts/demo_signed_contract.html", {"contract": contract})
    return HTML(string=html).write_pdf()


def ensure_contract(demo: DemoAccount, now: datetime.datetime | None = None) -> Contract:
    """The enterprise's public-market contract: two products, two objectives, its signed PDF."""
    account = demo.account
    contract = Contract.objects.filter(account=account, reference=CONTRACT_REFERENCE).first()
    if contract is not None:
        return contract
    today = (now or timezone.now()).date()
    starts = today.replace(day=1) - datetime.timedelta(days=120)
    contract = Contract.objects.create(
        account=account,
        reference=CONTRACT_REFERENCE,
        starts_on=starts.replace(day=1),
        ends_on=starts.replace(day=1, year=starts.year + 1) - datetime.timedelta(days=1),
    )
    contract.products.set(Product.objects.filter(code__in=CONTRACT_PRODUCTS))
    Objective.objects.create(
        contract=contract, measure=Objective.Measure.COUNT, period=Objective.Period.QUARTER, target=Decimal(4)
    )
    Objective.objects.create(
        contract=contract,
        measure=Objective.Measure.AMOUNT,
        period=Objective.Period.CONTRACT,
        target=Decimal("6000.00"),
    )
    contract.document_name = f"{CONTRACT_REFERENCE}.pdf"
    contract.signed_document.save(f"{CONTRACT_REFERENCE}.pdf", ContentFile(_signed_pdf(contract)))
    return contract


def ensure_contracts(demos: list[DemoAccount]) -> None:
    """Called by load_demo after the order history (which predates the contract and decisions);
    also the documentation space's product sheets (AUTO-5)."""
    ensure_product_sheets()
    ensure_terms()
    for demo in demos:
        if demo.account.kind == demo.account.Kind.ENTERPRISE:
            ensure_decisions(demo)
            ensure_contract(demo)
        else:
            ensure_decisions(demo, declined=(DECLINED_BY_PARTNER,))


# AUTO-5: product sheets of the documentation space, one per language for a few brands, each with
# a one-page PDF leaflet rendered by WeasyPrint.
SHEETS = [
    (
        "tbs-x509",
        ("tbs-x509-ssl-dv", "tbs-x509-ssl-ov", "tbs-x509-ssl-ev"),
        ("TBS X509 TLS certificates", "Certificats TLS TBS X509"),
        (
            "Domain, organisation and extended validation certificates issued in France, with unlimited "
            "reissues and a 30-day refund.",
            "Certificats à validation de domaine, d'organisation et étendue émis en France, avec "
            "refabrications illimitées et remboursement sous 30 jours.",
        ),
    ),
    (
        "sectigo",
        ("sectigo-dv", "sectigo-ov", "sectigo-ev"),
        ("Sectigo certificates", "Certificats Sectigo"),
        (
            "The Sectigo range from DV to EV, wildcard and multi-domain, with a warranty up to 1.75 M$.",
            "La gamme Sectigo de DV à EV, wildcard et multi-domaines, avec une garantie jusqu'à 1,75 M$.",
        ),
    ),
    (
        "globalsign",
        ("globalsign-domainssl", "globalsign-organizationssl"),
        ("GlobalSign certificates", "Certificats GlobalSign"),
        (
            "DomainSSL, OrganizationSSL and ExtendedSSL, issued by a WebTrust-audited authority present in "
            "every browser.",
            "DomainSSL, OrganizationSSL et ExtendedSSL, émis par une autorité auditée WebTrust présente dans "
            "tous les navigateurs.",
        ),
    ),
]


def _leaflet_pdf(title: str, body: str, language: str) -> bytes:
    from weasyprint import HTML

    html = render_to_string(
        "documentation/demo_leaflet.html", {"title": title, "body": body, "language": language}
    )
    return HTML(string=html).write_pdf()


def ensure_product_sheets() -> None:
    from catalog.models import ProductSheet, ProductSheetAttachment

    for brand_code, product_codes, titles, bodies in SHEETS:
        brand = Brand.objects.filter(code=brand_code).first()
        if brand is None:
            continue
        for language, title, body in (("en", titles[0], bodies[0]), ("fr", titles[1], bodies[1])):
            sheet, created = ProductSheet.objects.get_or_create(
                brand=brand, title=title, defaults={"body": body, "language": language}
            )
            if not created:
                continue
            sheet.products.set(Product.objects.filter(code__in=product_codes))
            leaflet = ProductSheetAttachment(sheet=sheet, title="PDF")
            leaflet.file.save(
                f"{brand_code}-{language}.pdf", ContentFile(_leaflet_pdf(title, body, language))
            )
