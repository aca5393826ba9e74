from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "contracts"
    verbose_name = _("Contracts")

    def ready(self) -> None:
        from accounts.me.services import register_export_section

        from .services.consent import decisions_for_export

        # ACC-8: the data processing decisions a user made are part of their export (CON-2).
        register_export_section("data_processing_decisions", decisions_for_export)
