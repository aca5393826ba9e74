from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "monitoring"
    verbose_name = _("Monitoring")

    def ready(self) -> None:
        from accounts.audit_text import register_detail_values

        from .models import Result

        # ADM-9: the audit log shows an installation test's result by its name.
        register_detail_values("result", Result, actions=["certificate.installation_tested"])
