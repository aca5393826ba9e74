from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        from contracts.services.objectives import register_order_totals

        from .contract_totals import order_totals

        # CON-1: contracts count orders toward their objectives through this function.
        register_order_totals(order_totals)
        from billing.services.receipts import register_lock_hook, register_settlement_hook

        from .services.lifecycle import invoice_settled, lock_invoiced_order

        # ACCT-3: a transfer, cheque or card payment that pays an order's invoice pays the order.
        register_settlement_hook(invoice_settled)
        # The order before its invoice, on every path (billing.services.receipts, "Lock order").
        register_lock_hook(lock_invoiced_order)
        from . import signals  # noqa: F401  (connects the receivers)
        from .audit_labels import register_audit_labels

        # ADM-9: the audit log shows statuses, payment methods and reasons by their names.
        register_audit_labels()
