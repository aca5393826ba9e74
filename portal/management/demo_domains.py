"""Demo data of the Domains page (AUTO-3): per demo account, a domain registered ahead of any order
and validated from its page (the validation team attesting it, as the demo's names do not
resolve), one registered and not validated yet, and one locked (refusing every order for it).
Registered after every demo order, so the lock refuses none of them. Safe to run again."""

from __future__ import annotations

from django.db import transaction

from accounts.models import User
from orders.models import Domain
from orders.services.dcv import validate_dcv_manually
from orders.services.domain_registry import latest_validation, register_domain, set_lock, start_domain_dcv

from .demo_accounts import DemoAccount

NOTE = "Demo: TXT record looked up by the validation team."


def _domain(demo: DemoAccount, user: User, name: str) -> Domain:
    found = Domain.objects.filter(account=demo.account, name=name).first()
    if found is not None:
        return found
    holder = demo.organisations[0][0] if demo.organisations else None
    return register_domain(demo.account, name, organisation=holder, user=user)


def ensure_domains(demos: list[DemoAccount], staff: User) -> None:
    for demo in demos:
        owner = next((u for u in demo.users.values() if u.is_account_superuser), None)
        if owner is None:
            continue
        base = demo.spec.domain
        with transaction.atomic():
            validated = _domain(demo, owner, f"nouveau-site.{base}")
            if latest_validation(validated) is None:
                check = start_domain_dcv(validated, "dns", user=owner)
                validate_dcv_manually(check, by=staff, note=NOTE)
            _domain(demo, owner, f"preprod.{base}")
            set_lock(_domain(demo, owner, f"archives.{base}"), True, user=owner)
