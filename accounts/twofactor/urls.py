"""URLs of the second factors and passkeys (ACC-5, ACC-6), included at the root of portal/urls.py:

    path("", include("accounts.twofactor.urls")),

The login step and the passkey calls live under allauth's /accounts/ prefix; the account user's
security page is /me/security/ (rights table: any user of an active account).
"""

from django.urls import path

from .views import login, manage

app_name = "twofactor"

urlpatterns = [
    # The second login step (pending login, nobody logged in yet).
    path("accounts/2fa/authenticate/", login.authenticate, name="authenticate"),
    path("accounts/2fa/authenticate/cancel/", login.cancel, name="cancel"),
    path(
        "accounts/2fa/authenticate/passkey/options/",
        login.authenticate_passkey_options,
        name="authenticate_passkey_options",
    ),
    path("accounts/2fa/authenticate/passkey/", login.authenticate_passkey, name="authenticate_passkey"),
    # Passwordless login with a passkey (the button on the login page).
    path("accounts/2fa/passkey-login/options/", login.passkey_login_options, name="passkey_login_options"),
    path("accounts/2fa/passkey-login/", login.passkey_login, name="passkey_login"),
    # Managing one's factors.
    path("accounts/2fa/", manage.staff_security, name="staff_security"),
    path("accounts/2fa/totp/", manage.totp_setup, name="totp_setup"),
    path("accounts/2fa/totp/disable/", manage.totp_disable, name="totp_disable"),
    path("accounts/2fa/backup-codes/", manage.backup_codes, name="backup_codes"),
    path(
        "accounts/2fa/backup-codes/regenerate/",
        manage.backup_codes_regenerate,
        name="backup_codes_regenerate",
    ),
    path("accounts/2fa/passkeys/options/", manage.passkey_register_options, name="passkey_register_options"),
    path("accounts/2fa/passkeys/add/", manage.passkey_register, name="passkey_register"),
    path("accounts/2fa/passkeys/<int:pk>/rename/", manage.passkey_rename, name="passkey_rename"),
    path("accounts/2fa/passkeys/<int:pk>/remove/", manage.passkey_remove, name="passkey_remove"),
    path("me/security/", manage.security, name="security"),
    path("me/security/require-2fa/", manage.require_second_factor, name="require_second_factor"),
]
