"""`manage.py load_demo` (PLAT-8): the demo catalogue, accounts, users and orders; safe to run again."""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.test.utils import override_settings
from django_scopes import scopes_disabled

from accounts.models import User
from orders.models import Certificate, Order, OrderStatus
from orders.tasks import mark_expired_certificates
from portal.celery import app
from portal.management.demo_accounts import (
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    DemoAccount,
    ensure_account,
    ensure_staff,
)
from portal.management.demo_billing import ensure_money, ensure_news
from portal.management.demo_contracts import ensure_contracts
from portal.management.demo_domains import ensure_domains
from portal.management.demo_history import ensure_history
from portal.management.demo_lists import ensure_list_orders
from portal.management.demo_prevalidation import ensure_prevalidations
from portal.management.demo_robots import ensure_robots


class Command(BaseCommand):
    help = "Load the demo data: catalogue, staff, a partner and an enterprise account with users and orders."

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("load_catalog", stdout=self.stdout)
        call_command("load_discount_grid", stdout=self.stdout)
        eager = app.conf.task_always_eager
        app.conf.task_always_eager = True
        trace_logger = logging.getLogger("celery.app.trace")  # one "Task succeeded" line per email
        trace_level = trace_logger.level
        trace_logger.setLevel(logging.WARNING)
        try:
            # The demo's orders are history: their confirmation and delivery emails are rendered
            # (inline, not queued) and dropped, instead of flooding the console at first start.
            # The demo builds several tenants at once: cross-account work, so no single scope applies.
            with (
                override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"),
                scopes_disabled(),
            ):
                staff = ensure_staff()
                demos = [ensure_account(spec) for spec in DEMO_ACCOUNTS]
                ensure_news()
                # A year of use (issue 8 point 17): the orders and the money, replayed in date order
                # so that documents are numbered in date order; today's money after it.
                created, skipped = ensure_history(demos, staff)
                for demo in demos:
                    ensure_money(demo.account, staff)
                # LIST-1..4: a few hundred more orders for the partner, so lists have pages to search.
                created += ensure_list_orders(demos[0])
                expired = mark_expired_certificates()
                # JOBS-1, ORD-14, MON: reissue list, automatic renewal, monitoring (places orders too).
                ensure_robots(demos, staff)
                # AUTO-3: registered, validated and locked domains, after every demo order.
                ensure_domains(demos, staff)
                # CON-1, CON-2: last, after every demo order (the history predates the contract).
                ensure_contracts(demos)
                # AUTO-1: after the consent decisions it needs.
                ensure_prevalidations(demos, staff)
                self._summary(staff, demos, created, expired)
                if skipped:
                    self.stdout.write(
                        f"History: {skipped} back-dated steps skipped, documents dated later exist "
                        "(an older demo's); start from an empty database for the full history."
                    )
        finally:
            app.conf.task_always_eager = eager
            trace_logger.setLevel(trace_level)

    def _summary(self, staff: User, demos: list[DemoAccount], created: int, expired: int) -> None:
        self.stdout.write(f"Orders created now: {created}; certificates marked expired: {expired}.")
        self.stdout.write(f"Logins (password {DEMO_PASSWORD}): {staff.username} (staff)")
        for demo in demos:
            account = demo.account
            statuses = Counter(Order.objects.filter(account=account).values_list("status", flat=True))
            certificates = Certificate.objects.filter(account=account).count()
            self.stdout.write(
                f"{account.name}: users {', '.join(demo.users)}; "
                f"{sum(statuses.values())} orders, {certificates} certificates"
            )
            for status in OrderStatus:
                if statuses[status]:
                    self.stdout.write(f"  {statuses[status]:3d}  {status.label}")
