"""Demo data of AUTO-1: each demo account has one validated OV pre-validation by TBS X509 of its
own organisation (so OV orders there read "covered by pre-validation") and one pending EV request."""

from __future__ import annotations

from accounts.models import Contact, Organisation, User
from catalog.models import Brand
from orders.models import PreValidation
from orders.services.prevalidation import (
    PreValidationError,
    brand_types,
    request_prevalidation,
    validate_prevalidation,
)

from .demo_accounts import DemoAccount

BRAND = "tbs-x509"


def ensure_prevalidations(demos: list[DemoAccount], staff: User) -> None:
    """Called by load_demo after the consent decisions (a pre-validation needs them, CON-2)."""
    brand = Brand.objects.filter(code=BRAND).first()
    if brand is None:
        return
    offered = brand_types(brand)
    for demo in demos:
        account = demo.account
        if PreValidation.objects.filter(account=account).exists():
            continue
        user = User.objects.get(account=account, is_account_superuser=True)
        organisation = Organisation.objects.get(account=account, is_account_holder=True)
        contact = Contact.objects.filter(account=account, organisation=organisation).order_by("pk").first()
        if contact is None:
            continue
        for kind, validate in (("OV", True), ("EV", False)):
            if kind not in offered:
                continue
            try:
                prevalidation = request_prevalidation(
                    account,
                    brand=brand,
                    validation_type=kind,
                    organisation=organisation,
                    contact=contact,
                    by=user,
                )
            except PreValidationError:
                continue  # consent declined by this demo account
            if validate:
                validate_prevalidation(prevalidation, by=staff)
