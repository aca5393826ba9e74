from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from . import table_rendering
        from .session_security import stamp_login
        from .signals import record_login

        # Issue 17: django-tables2's per-cell template compilation and signature inspection, once.
        table_rendering.install()

        # Our receiver sets previous_login and last_login together (see record_login).
        user_logged_in.disconnect(dispatch_uid="update_last_login")
        user_logged_in.connect(record_login, dispatch_uid="accounts_record_login")
        # ACC-9: idle and absolute session limits count from the login.
        user_logged_in.connect(stamp_login, dispatch_uid="accounts_stamp_login")
        from .audit_text import _register_own

        # ADM-9: the audit log shows rights and formulas by their names, not their codes.
        _register_own()
