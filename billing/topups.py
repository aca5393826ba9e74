"""What the orders side uses to send a customer to a pre-filled top-up (LEDG-4), without billing
knowing any order (STYLE.md floors: billing never imports orders).

- "Global top-up" and "top-up for this order": the orders side computes the tokens its pending
  orders lack and links to `prefill_url(needs)`, i.e. /account/top-up/?product=<code>&quantity=<n>
  (repeated for several products); the cart page replaces its lines with these.
- Top-up for renewals due in a period: the orders side provides a callable, named by the setting
  BILLING_RENEWAL_NEEDS_PROVIDER ("package.module.function"), called as
  `provider(account, start, end)` and returning a list of `(product, quantity, references)`: the
  tokens each product needs for the renewals due between `start` and `end` (both included) and
  the references of those orders. The renewals page shows them, the tokens to buy after the
  current balance, and a replacement for a discontinued product.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import QueryDict
from django.urls import reverse
from django.utils.module_loading import import_string

from accounts.models import Account
from catalog.models import Product

from .services.ledger import token_balances
from .services.topups import MAX_TOKENS_PER_LINE, token_products

RenewalNeedsProvider = Callable[[Account, datetime.date, datetime.date], list[tuple[Product, int, list[str]]]]


def renewal_needs_provider() -> RenewalNeedsProvider | None:
    """The callable named by settings.BILLING_RENEWAL_NEEDS_PROVIDER, or None when it is not set."""
    path = getattr(settings, "BILLING_RENEWAL_NEEDS_PROVIDER", "") or ""
    if not path:
        return None
    try:
        provider = import_string(path)
    except ImportError as error:
        raise ImproperlyConfigured(
            f"BILLING_RENEWAL_NEEDS_PROVIDER {path!r} cannot be imported: {error}"
        ) from error
    if not callable(provider):
        raise ImproperlyConfigured(f"BILLING_RENEWAL_NEEDS_PROVIDER {path!r} is not callable.")
    return provider


def _on_sale(product: Product) -> bool:
    return product.active and product.brand.active


@dataclass
class Need:
    """Tokens a product needs, and what to buy for it (itself, or its replacement when discontinued)."""

    product: Product
    quantity: int
    references: list[str] = field(default_factory=list)
    buy: Product | None = None  # None: discontinued without replacement
    balance: int = 0

    @property
    def replaced(self) -> bool:
        return self.buy is not None and self.buy.pk != self.product.pk

    @property
    def to_buy(self) -> int:
        """Tokens to buy: the need less the tokens already held for the product bought."""
        return max(self.quantity - self.balance, 0) if self.buy is not None else 0


def resolve_needs(account: Account, needs: Iterable[tuple[Product, int, list[str]]]) -> list[Need]:
    """LEDG-4: each need with the product to buy (a discontinued product's replacement when it has
    one on sale) and the tokens the account holds of that product. Two queries."""
    wanted = [
        (product, int(quantity), list(references)) for product, quantity, references in needs if quantity > 0
    ]
    replacement_ids = {product.replacement_id for product, _q, _r in wanted if product.replacement_id}
    replacements = {p.pk: p for p in Product.objects.select_related("brand").filter(pk__in=replacement_ids)}
    balances = token_balances(account)
    resolved = []
    for product, quantity, references in wanted:
        buy = product if _on_sale(product) else None
        if (
            buy is None
            and product.replacement_id in replacements
            and _on_sale(replacements[product.replacement_id])
        ):
            buy = replacements[product.replacement_id]
        resolved.append(Need(product, quantity, references, buy, balances.get(buy.pk, 0) if buy else 0))
    # Needs of one product bought share its balance: the balance is used once.
    used: dict[int, int] = {}
    for need in resolved:
        if need.buy is not None:
            need.balance = max(need.balance - used.get(need.buy.pk, 0), 0)
            used[need.buy.pk] = used.get(need.buy.pk, 0) + min(need.balance, need.quantity)
    return resolved


def renewal_needs(account: Account, start: datetime.date, end: datetime.date) -> list[Need] | None:
    """LEDG-4: the tokens the renewals due in [start, end] need, or None without a provider."""
    provider = renewal_needs_provider()
    if provider is None:
        return None
    return resolve_needs(account, provider(account, start, end))


def prefill_cart(account: Account, needs: dict[int, int]) -> dict[int, int]:
    """LEDG-4: the cart lines {product id: tokens} for `needs` {product id: tokens}: products that
    can be bought (a discontinued one is replaced by its replacement when it has one), quantities
    capped per line. One query. `account` is the one the cart is for (its products are common)."""
    wanted = {int(pk): int(quantity) for pk, quantity in needs.items() if int(quantity) > 0}
    if not wanted:
        return {}
    products = {
        p.pk: p for p in Product.objects.select_related("brand", "replacement__brand").filter(pk__in=wanted)
    }
    buyable = set(
        token_products()
        .filter(pk__in=[*wanted, *[p.replacement_id for p in products.values() if p.replacement_id]])
        .values_list("pk", flat=True)
    )
    cart: dict[int, int] = {}
    for pk, quantity in wanted.items():
        product = products.get(pk)
        if product is None:
            continue
        target = (
            pk if pk in buyable else (product.replacement_id if product.replacement_id in buyable else None)
        )
        if target is not None:
            cart[target] = min(cart.get(target, 0) + quantity, MAX_TOKENS_PER_LINE)
    return cart


def prefill_url(needs: dict[int, int]) -> str:
    """The URL of the top-up page pre-filled with `needs` {product id: tokens} (one query)."""
    codes = dict(Product.objects.filter(pk__in=list(needs)).values_list("pk", "code"))
    query = []
    for pk, quantity in needs.items():
        if pk in codes and quantity > 0:
            query += [("product", codes[pk]), ("quantity", str(quantity))]
    return f"{reverse('account_info:topup')}?{urlencode(query)}" if query else reverse("account_info:topup")


def needs_from_query(query: QueryDict) -> dict[int, int] | None:
    """{product id: tokens} from ?product=<code>&quantity=<n> pairs, None when the query has none.
    Unknown codes and bad quantities are dropped (one query)."""
    codes = query.getlist("product")
    if not codes:
        return None
    quantities = query.getlist("quantity")
    ids = dict(Product.objects.filter(code__in=codes).values_list("code", "pk"))
    needs: dict[int, int] = {}
    for index, code in enumerate(codes):
        raw = quantities[index] if index < len(quantities) else "1"
        if code in ids and raw.isdigit() and int(raw) > 0:
            needs[ids[code]] = needs.get(ids[code], 0) + int(raw)
    return needs
