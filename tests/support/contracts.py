"""Builders for the contract (CON-1) and consent (CON-2) tests; no test here."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.models import Account
from catalog.models import Brand, Product
from contracts.models import ConsentTerms, Contract, Objective

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def make_contract(
    account: Account,
    *,
    products: Sequence[Product] = (),
    brands: Sequence[Brand] = (),
    starts: int = -30,
    ends: int = 335,
    reference: str = "MARCHE-2026-01",
    document: bytes | None = None,
    objectives: Sequence[tuple[str, str, str]] = (),
) -> Contract:
    """A contract from `starts` to `ends` days around today, with its objectives (measure, period, target)."""
    today = timezone.localdate()
    contract = Contract.objects.create(
        account=account,
        reference=reference,
        starts_on=today + datetime.timedelta(days=starts),
        ends_on=today + datetime.timedelta(days=ends),
    )
    contract.products.set(products)
    contract.brands.set(brands)
    if document is not None:
        contract.signed_document.save("signed.pdf", ContentFile(document))
    for measure, period, target in objectives:
        Objective.objects.create(contract=contract, measure=measure, period=period, target=Decimal(target))
    return contract


def publish_terms(brand: Brand, text: str = "v1") -> ConsentTerms:
    terms = ConsentTerms.objects.create(
        brand=brand,
        **{
            f"{part}_{lang}": f"{part} {lang} {text}"
            for part in ("data_sent", "use", "recipients", "location")
            for lang in ("en", "fr")
        },
    )
    terms.published_at = timezone.now()
    terms.save()
    return terms
