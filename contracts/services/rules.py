"""CON-1 and CON-2 together: may this account order this product now, and if not, why?

`ordering_rules(account)` loads what it needs in a constant number of queries (the account's
contracts with their allowed products and brands, the current terms, the account's decisions), so
the new order page asks it once for the whole catalogue; `refusal(account, product)` is the
single-product form used by the order form and the ordering service.

- While a contract is in force, only the products (or brands) of the contracts in force may be
  ordered; a contract listing neither allows every product.
- An account that has contracts, none of them in force (ended, not yet started), orders only free
  products until one is (the guide, "Menu contrats").
- Free products (test certificates) stay allowed whatever the contract says; reissues are not
  orders and are never refused here.
- A brand whose current data processing terms the account has not accepted cannot be ordered,
  free products included: their data go to the same authority.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.models import Account
from catalog.models import Product

from ..models import ConsentTerms, Contract
from .consent import blocked_brands


class Reason:
    CONTRACT = "contract"
    CONSENT = "consent"


@dataclass(frozen=True)
class Refusal:
    """Why a product cannot be ordered, and the page that explains it."""

    reason: str
    message: str
    url: str
    link_text: str

    def __str__(self) -> str:
        return self.message


def is_free(product: Product) -> bool:
    """Free products, allowed outside a contract: the test certificates."""
    return product.is_test


@dataclass
class OrderingRules:
    today: datetime.date
    contracts: list[Contract] = field(default_factory=list)
    in_force: list[Contract] = field(default_factory=list)
    blocked: dict[int, ConsentTerms] = field(default_factory=dict)

    def _contract_allows(self, contract: Contract, product: Product) -> bool:
        product_ids = {p.pk for p in contract.products.all()}
        brand_ids = {b.pk for b in contract.brands.all()}
        if not product_ids and not brand_ids:
            return True
        return product.pk in product_ids or product.brand_id in brand_ids

    def contract_refusal(self, product: Product) -> Refusal | None:
        if not self.contracts or is_free(product):
            return None
        if any(self._contract_allows(contract, product) for contract in self.in_force):
            return None
        url, link = reverse("contracts:contract"), _("See your contract")
        if self.in_force:
            contract = self.in_force[0]
            message = _(
                "This product is outside your contract %(reference)s: while it is in force (until "
                "%(end)s) only the products it lists can be ordered."
            ) % {"reference": contract.reference, "end": formats.date_format(contract.ends_on)}
        else:
            contract = self.contracts[0]
            message = _(
                "Your contract %(reference)s is not in force (from %(start)s to %(end)s): only free "
                "products (test certificates) can be ordered until it is renewed."
            ) % {
                "reference": contract.reference,
                "start": formats.date_format(contract.starts_on),
                "end": formats.date_format(contract.ends_on),
            }
        return Refusal(Reason.CONTRACT, message, url, link)

    def consent_refusal(self, product: Product) -> Refusal | None:
        terms = self.blocked.get(product.brand_id)
        if terms is None:
            return None
        message = _(
            "Your account has not accepted the data processing terms of %(brand)s (version "
            "%(version)s): its products cannot be ordered until the super user or an administrator "
            "of your account accepts them."
        ) % {"brand": product.brand.name, "version": terms.version}
        url = reverse("contracts:consent_brand", args=[product.brand.code])
        return Refusal(Reason.CONSENT, message, url, _("Read and decide"))

    def refusal(self, product: Product) -> Refusal | None:
        """The first reason `product` cannot be ordered now, None when it can."""
        return self.consent_refusal(product) or self.contract_refusal(product)

    def hides(self, product: Product) -> bool:
        """The new order page hides products outside the contract (it shows those refused for
        consent, with the reason, so the user learns what to do)."""
        return self.contract_refusal(product) is not None


def ordering_rules(account: Account, on: datetime.date | None = None) -> OrderingRules:
    """The rules of `account` on `on` (today), in five queries whatever the catalogue."""
    today = on or timezone.localdate()
    contracts = list(
        Contract.objects.filter(account=account)
        .prefetch_related("products", "brands")
        .order_by("-ends_on", "-id")
    )
    return OrderingRules(
        today=today,
        contracts=contracts,
        in_force=[c for c in contracts if c.in_force(today)],
        blocked=blocked_brands(account),
    )


def refusal(account: Account, product: Product, on: datetime.date | None = None) -> Refusal | None:
    """CON-1, CON-2: None when `account` may order `product` now, else why not."""
    return ordering_rules(account, on).refusal(product)
