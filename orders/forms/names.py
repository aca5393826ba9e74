"""The names of a certificate in a form (ORD-2), one validation for the account's order form and
the external order link's form: the common name, the additional names (SANs) and what the product
can carry."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog.models import Product

from ..services.names import dns_name_error, normalise_name
from ..services.pricing import NameKind, classify_names, paying_sans, sells_extra_names

NAME_SEPARATORS = re.compile(r"[\s,;]+")


def clean_common_name(value: str, product: Product) -> str:
    """The normalised common name, or a ValidationError (a wildcard only on a wildcard product)."""
    name = normalise_name(value)
    error = dns_name_error(name, allow_wildcard=product.wildcard)
    if error:
        raise forms.ValidationError(error, code="name")
    return name


# Issue 13: bounded input and output. More names than this are not read (no product carries as
# many), each bad or repeated name is reported once, and at most MAX_NAME_ERRORS are listed.
MAX_NAMES_READ = 1000
MAX_NAME_ERRORS = 20


def clean_sans(value: str, product: Product) -> list[str]:
    """The additional names, normalised, split on spaces, commas and semicolons; each bad or
    repeated name is its own ValidationError (once per name, a bounded number of them)."""
    allow_wildcard = product.wildcard or product.wildcard_san_price > 0
    names: list[str] = []
    seen: set[str] = set()
    reported: set[str] = set()
    errors: list[forms.ValidationError] = []
    raws = NAME_SEPARATORS.split(value, maxsplit=MAX_NAMES_READ + 1)
    if len([raw for raw in raws[: MAX_NAMES_READ + 1] if raw]) > MAX_NAMES_READ:
        raise forms.ValidationError(
            _("More than %(count)d names: only %(count)d names can be read at once."),
            code="too_many",
            params={"count": MAX_NAMES_READ},
        )
    for raw in raws:
        name = normalise_name(raw)
        if not name:
            continue
        if name in seen:
            if name not in reported:
                reported.add(name)
                errors.append(
                    forms.ValidationError(
                        _("“%(name)s” is listed twice."), code="duplicate", params={"name": name}
                    )
                )
            continue
        seen.add(name)
        error = dns_name_error(name, allow_wildcard=allow_wildcard)
        if error:
            errors.append(forms.ValidationError(error, code="name"))
            continue
        names.append(name)
    if len(errors) > MAX_NAME_ERRORS:
        hidden = len(errors) - MAX_NAME_ERRORS
        errors = errors[:MAX_NAME_ERRORS] + [
            forms.ValidationError(
                ngettext("… and %(count)d more problem.", "… and %(count)d more problems.", hidden),
                code="more",
                params={"count": hidden},
            )
        ]
    if errors:
        raise forms.ValidationError(errors)
    return names


def names_error(
    product: Product, common_name: str, sans: list[str], *, may_change_product: bool
) -> str | None:
    """ORD-2: why `product` cannot carry these names (for the SANs field), or None.

    `may_change_product`: the account's order form suggests a multi-domain product; the external
    link's form is for one product and only says which names cannot be added.
    """
    if common_name in sans:
        return _("“%(name)s” is already the common name.") % {"name": common_name}
    if not sells_extra_names(product):
        extra = [name for name, kind in classify_names(common_name, sans) if kind != NameKind.FREE]
        if extra:
            if may_change_product:
                message = _(
                    "This product secures the common name and its www variant only: "
                    "choose a multi-domain product for %(names)s."
                )
            else:
                message = _(
                    "This product secures the common name and its www variant only: "
                    "%(names)s cannot be added."
                )
            return message % {"names": ", ".join(extra)}
    count = paying_sans(common_name, sans)
    if count > product.max_sans:
        return _(
            "This product takes at most %(max)d additional names (the free www variant "
            "not counted); you entered %(count)d."
        ) % {"max": product.max_sans, "count": count}
    return None
