from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the receivers)
        from .audit_labels import register_audit_labels

        # ADM-9: the audit log shows payment methods and kinds by their names.
        register_audit_labels()
