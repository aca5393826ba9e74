"""CON-2: the data-processing terms of each brand and the accounts' decisions on them.

The current terms of a brand are its latest published version. A brand with published terms may be
ordered (and pre-validated, and used by an ACME endpoint) only when the account's newest decision
accepts that very version: publishing a new version asks again. A brand without published terms
asks nothing. Every decision is stored with its version, who, when and from which address, and
written to the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import client_ip, log_action
from accounts.models import Account, User
from catalog.models import Brand

from ..models import ConsentDecision, ConsentTerms

Decision = ConsentDecision.Decision


class ConsentError(ValueError):
    """The decision cannot be recorded as asked; the message says why."""


def current_terms_by_brand() -> dict[int, ConsentTerms]:
    """{brand id: its latest published terms} (one query; the table holds a few rows per brand)."""
    current: dict[int, ConsentTerms] = {}
    for terms in ConsentTerms.objects.filter(published_at__isnull=False).order_by("brand_id", "-version"):
        current.setdefault(terms.brand_id, terms)
    return current


def current_terms(brand: Brand) -> ConsentTerms | None:
    return ConsentTerms.objects.filter(brand=brand, published_at__isnull=False).order_by("-version").first()


def latest_decisions(account: Account) -> dict[int, ConsentDecision]:
    """{brand id: the account's newest decision} (one query)."""
    latest: dict[int, ConsentDecision] = {}
    for decision in ConsentDecision.objects.filter(account=account).select_related("terms", "user"):
        latest.setdefault(decision.brand_id, decision)  # ordered newest first
    return latest


def is_accepted(terms: ConsentTerms | None, decision: ConsentDecision | None) -> bool:
    if terms is None:
        return True
    return decision is not None and decision.decision == Decision.ACCEPTED and decision.terms_id == terms.pk


def blocked_brands(account: Account) -> dict[int, ConsentTerms]:
    """{brand id: current terms} of the brands the account has not accepted (two queries)."""
    decisions = latest_decisions(account)
    return {
        brand_id: terms
        for brand_id, terms in current_terms_by_brand().items()
        if not is_accepted(terms, decisions.get(brand_id))
    }


def brand_accepted(account: Account, brand: Brand) -> bool:
    """CON-2: may `account` send data to `brand` now (order, pre-validate, ACME)?"""
    terms = current_terms(brand)
    if terms is None:
        return True
    decision = ConsentDecision.objects.filter(account=account, brand=brand).first()
    return is_accepted(terms, decision)


def publish(terms: ConsentTerms, *, user: User | None = None, request: HttpRequest | None = None) -> bool:
    """Publish a draft version (staff); False when it was already published."""
    with transaction.atomic():
        locked = ConsentTerms.objects.select_for_update().get(pk=terms.pk)
        if locked.published_at is not None:
            return False
        locked.published_at = timezone.now()
        locked.save(update_fields=["published_at"])
        log_action(
            "consent.terms_published",
            user=user,
            request=request,
            obj=locked,
            brand=locked.brand.code,
            version=locked.version,
        )
    terms.published_at = locked.published_at
    return True


def decide(
    account: Account,
    brand: Brand,
    decision: str,
    *,
    user: User,
    request: HttpRequest | None = None,
    ip_address: str | None = None,
) -> ConsentDecision:
    """Record the account's decision on the brand's current terms (accept, decline, withdraw).

    Idempotent: the same decision on the same version again records nothing new. A withdrawal
    needs an acceptance of the current version to withdraw."""
    if decision not in Decision.values:
        raise ConsentError(_("Unknown decision."))
    with transaction.atomic():
        # One decision at a time per account: the account row is the lock.
        Account.objects.select_for_update().get(pk=account.pk)
        terms = current_terms(brand)
        if terms is None:
            raise ConsentError(_("%(brand)s publishes no data processing terms.") % {"brand": brand.name})
        latest = ConsentDecision.objects.filter(account=account, brand=brand).first()
        if latest is not None and latest.terms_id == terms.pk and latest.decision == decision:
            return latest
        if decision == Decision.WITHDRAWN and not is_accepted(terms, latest):
            raise ConsentError(_("There is no acceptance of these terms to withdraw."))
        row = ConsentDecision.objects.create(
            account=account,
            brand=brand,
            terms=terms,
            decision=decision,
            user=user,
            ip_address=client_ip(request) or ip_address,
        )
        log_action(
            f"consent.{decision}",
            account=account,
            user=user,
            request=request,
            obj=row,
            brand=brand.code,
            version=terms.version,
        )
    return row


@dataclass(frozen=True)
class BrandConsent:
    """One line of the consent page: a brand, its current terms and the account's decision."""

    brand: Brand
    terms: ConsentTerms
    decision: ConsentDecision | None

    @property
    def accepted(self) -> bool:
        return is_accepted(self.terms, self.decision)

    @property
    def asks_again(self) -> bool:
        """A decision was made on an older version: the new one needs a decision."""
        return self.decision is not None and self.decision.terms_id != self.terms.pk


def consent_overview(account: Account) -> list[BrandConsent]:
    """CON-2 page: every active brand with published terms, and the account's decision (3 queries)."""
    terms = current_terms_by_brand()
    decisions = latest_decisions(account)
    brands = Brand.objects.filter(active=True, pk__in=list(terms))
    return [BrandConsent(brand, terms[brand.pk], decisions.get(brand.pk)) for brand in brands]


def decisions_for_export(user: User) -> list[dict]:
    """ACC-8: the decisions the user made, for their personal-data export."""
    rows = ConsentDecision.objects.filter(user=user).select_related("brand", "terms")
    if user.account_id:
        rows = rows.filter(account_id=user.account_id)
    return [
        {
            "brand": row.brand.name,
            "version": row.terms.version,
            "decision": row.decision,
            "when": row.decided_at.isoformat(timespec="seconds"),
            "address": row.ip_address,
        }
        for row in rows
    ]
