"""Settings, all read from the environment (STACK.md lists the names; the README too).

Defaults are safe for a laptop demo: SQLite under var/, an embedded filesystem broker for Celery,
email on the console. Production sets DEBUG=0 with real secrets and gets a clean `check --deploy`.
"""

from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
_DEV_SECRET = "insecure-dev-only-secret-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz"  # noqa: S105 (DEBUG only)
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Issue 13: never "testserver" in production (the test runner adds it for the test client).
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=sorted({"127.0.0.1", "localhost", urlsplit(SITE_URL).hostname or "localhost"})
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL])
# A refused form (CSRF) is explained in the portal's layout and the user's language (issue 8).
CSRF_FAILURE_VIEW = "portal.views.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_tables2",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    # Apps, ground floor first (STYLE.md "App boundaries").
    "jobs",
    "outbox",
    "accounts",
    "catalog",
    "billing",
    "contracts",
    "orders",
    "monitoring",
    "acmeserver",
    "api",
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "portal.security_headers.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Issue 17: the account's cached figures are read from Redis once per request.
    "accounts.account_cache.RequestMemoMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.session_security.SessionLimitsMiddleware",
    "accounts.session_security.PasswordAgeMiddleware",
    "accounts.twofactor.middleware.SecondFactorRequiredMiddleware",
    "accounts.clientcert.middleware.CertificateFirstMiddleware",
    "accounts.middleware.AccountScopeMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.menu.menu",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Issue 18: keep connections for a minute, and check a kept one before each request or task uses
# it, so a connection cut by PostgreSQL (restart, pg_terminate_backend) is replaced, not reused.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo runs a web server and a Celery worker on one file: wait rather than fail on a lock.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Both refuse a locked user (ACC-3) whatever path calls authenticate().
    "accounts.backends.LockAwareModelBackend",
    "accounts.backends.LockAwareAllauthBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

# django-allauth: login by username or email, no public signup (registration is ACC-1, our own).
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*"]
ACCOUNT_ADAPTER = "accounts.adapter.PortalAccountAdapter"
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
# ACC-3: failed logins are throttled per client address (and per login name) on top of the lock
# after LOGIN_LOCK_AFTER consecutive failures; the per-name limit stays above the lock threshold
# so that the lock, not the throttle, answers a sixth attempt.
LOGIN_LOCK_AFTER = 5
ACCOUNT_RATE_LIMITS = {"login_failed": env.str("LOGIN_FAILED_RATE_LIMIT", default="10/m/ip,60/h/ip,20/h/key")}
# allauth reads the client address from X-Forwarded-For only behind this many trusted proxies.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# ACC-4: a password older than this must be changed before anything else.
PASSWORD_MAX_AGE_DAYS = env.int("PASSWORD_MAX_AGE_DAYS", default=365)
# ACC-9 / STYLE.md 10: sensitive actions need a login or re-authentication within 5 minutes.
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
ACCOUNT_REAUTHENTICATION_METHODS = ("password", "passkey")
# STYLE.md 11: after the password, the user waits for the second factor this long (not logged in).
ACCOUNT_LOGIN_TIMEOUT = 300
# ACC-5: the second factor (accounts/twofactor). Staff need one for /staff/ unless turned off (demo).
STAFF_REQUIRE_2FA = env.bool("STAFF_REQUIRE_2FA", default=True)
SECOND_FACTOR_MAX_ATTEMPTS = 5
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Certificate portal")
# ACC-6: WebAuthn relying party; the RP ID is SITE_URL's host unless set, origins SITE_URL's.
WEBAUTHN_RP_ID = env.str("WEBAUTHN_RP_ID", default=urlsplit(SITE_URL).hostname or "localhost")
WEBAUTHN_RP_NAME = env.str("WEBAUTHN_RP_NAME", default="Certificate portal")
WEBAUTHN_ORIGINS = env.list("WEBAUTHN_ORIGINS", default=[SITE_URL])

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
# One format per kind of date and number, per language (issue 8 point 13): portal/formats/<lang>/.
FORMAT_MODULE_PATH = ["portal.formats"]

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"

# Email: console unless EMAIL_URL says otherwise (smtp://user:pass@host:587/?tls=True).
_email = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(_email)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Certificate portal <no-reply@portal.test>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Cache and Celery: Redis when REDIS_URL is set, otherwise an embedded broker on disk with a real
# worker (make demo runs `celery worker -B`), never eager mode.
REDIS_URL = env.str("REDIS_URL", default="")
# Issue 18: no task runs longer than an hour (the longest are the monthly billing jobs); a task
# killed by this limit is retried by the outbox like any failure.
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=3600)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 60
if REDIS_URL:
    CACHES = {
        "default": {
            # Issue 18: misses instead of errors while Redis is down (portal/cache.py: fails open).
            "BACKEND": "portal.cache.DegradingRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Issue 18: a message taken by a worker that dies without a word (SIGKILL, power cut) goes
        # back to the queue after this delay; it must be longer than the longest task (the hard
        # time limit below), or a slow task would be delivered a second time while running.
        "visibility_timeout": CELERY_TASK_TIME_LIMIT + 3600,
        # A web request publishing to a Redis that is down fails in milliseconds rather than
        # retrying for seconds: its task waits in the outbox for the relay (outbox/queue.py).
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.2,
        "socket_connect_timeout": 2,
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    _queue = VAR_DIR / "celery" / "queue"
    _processed = VAR_DIR / "celery" / "processed"
    _results = VAR_DIR / "celery" / "results"
    _control = VAR_DIR / "celery" / "control"
    for _folder in (_queue, _processed, _results, _control):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue),
        "data_folder_out": str(_queue),
        "processed_folder": str(_processed),
        "control_folder": str(_control),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = f"file://{_results}"
CELERY_IMPORTS = ("orders.tasks_reissue", "billing.mailing", "orders.tasks_robots", "monitoring.tasks")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Issue 18: a message is acknowledged when its task ends, and given back to the queue when the
# worker process running it dies (SIGKILL, out of memory): the task runs again, and the outbox
# makes the second run a no-op if the first had committed. One message at a time per process.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Issue 18: the transactional outbox (outbox/queue.py). A failing task is retried this many times
# by the worker with a backoff, then by the relay until it has failed OUTBOX_MAX_ATTEMPTS times
# (it then stays in the table, with its last error, for an operator). The relay republishes a row
# published longer ago than OUTBOX_REPUBLISH_AFTER seconds and still not done (its broker message
# may have been lost with a Redis that keeps nothing on disk); a duplicate is a no-op.
OUTBOX_TASK_RETRIES = env.int("OUTBOX_TASK_RETRIES", default=5)
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=20)
OUTBOX_REPUBLISH_AFTER = env.int("OUTBOX_REPUBLISH_AFTER", default=15 * 60)
OUTBOX_RELAY_GRACE_SECONDS = 10
# /health/ calls the worker stale when its heartbeat (a beat job every minute) is older than this.
HEALTH_WORKER_STALE_SECONDS = env.int("HEALTH_WORKER_STALE_SECONDS", default=300)
CELERY_TASK_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "mark-expired-certificates": {
        "task": "orders.tasks.mark_expired_certificates",
        "schedule": crontab(minute=5),
    },
    "revoke-scheduled-certificates": {
        "task": "orders.tasks_reissue.revoke_scheduled_certificates",
        "schedule": crontab(minute="*/15"),
    },
    "billing-monthly-invoices": {
        "task": "billing.tasks.monthly_invoices",
        "schedule": crontab(minute=10, hour=1),
    },
    "billing-quarterly-rebates": {
        "task": "billing.tasks.quarterly_rebates",
        "schedule": crontab(minute=20, hour=1),
    },
    "billing-late-payment-statements": {
        "task": "billing.tasks.late_payment_statements",
        "schedule": crontab(minute=30, hour=1),
    },
    "billing-expire-coupons-and-promo-codes": {
        "task": "billing.tasks.expire_coupons_and_promo_codes",
        "schedule": crontab(minute=5, hour=0),
    },
    "billing-low-balance-alerts": {
        "task": "billing.tasks.low_balance_alerts",
        "schedule": crontab(minute=40),
    },
    "contracts-end-reminders": {  # JOBS-8 (contract part)
        "task": "contracts.tasks.send_contract_end_reminders",
        "schedule": crontab(minute=15, hour=7),
    },
    "outbox-relay": {
        "task": "outbox.relay",
        "schedule": 60.0,
    },
    # The robots (issue 11): JOBS-1..6 and the quote expiry of JOBS-8; each run is a jobs.JobRun row.
    "jobs-1-reissue-list": {
        "task": "orders.tasks_robots.reissue_list",
        "schedule": crontab(minute=15, hour=2),
    },
    "jobs-2-auto-renewals": {
        "task": "orders.tasks_robots.auto_renewals",
        "schedule": crontab(minute=30, hour=2),
    },
    "jobs-3-installation-checks": {
        "task": "monitoring.tasks.post_issuance_checks",
        "schedule": crontab(minute=50, hour="*/6"),
    },
    "jobs-4-monitoring-scans": {
        "task": "monitoring.tasks.scan_due",
        "schedule": crontab(minute="*/10"),
    },
    "jobs-5-expiry-reminders": {
        "task": "orders.tasks_robots.expiry_reminders",
        "schedule": crontab(minute=0, hour=7),
    },
    "jobs-6-certigna-acceptance": {
        "task": "orders.tasks_robots.acceptance",
        "schedule": crontab(minute=45, hour=2),
    },
    "jobs-8-quote-expiry": {
        "task": "billing.tasks.expire_open_quotes",
        "schedule": crontab(minute=15, hour=0),
    },
    "heartbeat": {
        # Issue 18: /health/ reports the worker as alive while this ran in the last few minutes.
        "task": "portal.tasks.heartbeat",
        "schedule": 60.0,
    },
}

# Sessions and cookies (ACC-9): absolute limit from login, idle limit between two requests.
# Django's database sessions, read in one plain statement per request (accounts/sessions.py).
SESSION_ENGINE = "accounts.sessions"
SESSION_COOKIE_AGE = env.int("SESSION_ABSOLUTE_SECONDS", default=12 * 3600)
SESSION_IDLE_SECONDS = env.int("SESSION_IDLE_SECONDS", default=1800)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE = SITE_URL.startswith("https")
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=SECURE)
SECURE_REDIRECT_EXEMPT = [r"^health/", r"^\.well-known/acme-challenge/"]  # plain HTTP: load balancers
# (issue 18), outside ACME CAs validating http-01 (AUTO-4 [beyond], RFC 8555 8.3)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE else None
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Issue 13 point 7: Content-Security-Policy (portal/security_headers.py), in the shape of Django
# 6.0's own SECURE_CSP. Scripts and styles from our origin only: no inline script, no on*= handler,
# no style attribute in any page a browser renders (emails and PDFs are not pages). A card payment
# provider whose form posts to its own origin adds that origin with CSP_EXTRA_FORM_ACTION.
SECURE_CSP: dict[str, list[str]] = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'", *env.list("CSP_EXTRA_FORM_ACTION", default=[])],
}
# Browser features no page of the portal uses are switched off; WebAuthn (passkeys, security keys)
# stays allowed for our own origin.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    "accelerometer": [],
    "camera": [],
    "display-capture": [],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "usb": [],
    "publickey-credentials-create": ["self"],
    "publickey-credentials-get": ["self"],
}

# Embedded CA (AUTO-4): its private keys are encrypted at rest with this passphrase.
CA_KEY_PASSPHRASE = env.str("CA_KEY_PASSPHRASE", default="demo-ca-passphrase" if DEBUG else "")
if not CA_KEY_PASSPHRASE:
    raise ImproperlyConfigured("CA_KEY_PASSPHRASE must be set when DEBUG is off.")
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
# ACC-7: the verified client certificate passed by the TLS terminator (nginx: deploy/nginx/).
CLIENT_CERT_HEADER = env.str("CLIENT_CERT_HEADER", default="HTTP_X_SSL_CLIENT_CERT")
CLIENT_CERT_VERIFY_HEADER = env.str("CLIENT_CERT_VERIFY_HEADER", default="HTTP_X_SSL_CLIENT_VERIFY")
CLIENT_CERT_VALIDITY_DAYS = env.int("CLIENT_CERT_VALIDITY_DAYS", default=365)
# ORD-8: domain control validation checks made by the portal (orders/services/dcv_config.py).
DCV_DNS_RESOLVER = env.list("DCV_DNS_RESOLVER", default=[])  # "host:port" list; empty = system resolver
DCV_DNS_TIMEOUT = env.float("DCV_DNS_TIMEOUT", default=5.0)
DCV_HTTP_PORT = env.int("DCV_HTTP_PORT", default=80)
DCV_HTTP_TIMEOUT = env.float("DCV_HTTP_TIMEOUT", default=10.0)
# ORD-8 [beyond]: CAA checked when the order form is submitted (off where DNS is unreachable: the demo).
DCV_CAA_PRECHECK = env.bool("DCV_CAA_PRECHECK", default=True)
DCV_ALLOW_PRIVATE_ADDRESSES = env.bool("DCV_ALLOW_PRIVATE_ADDRESSES", default=False)  # tests on loopback only
DCV_CNAME_ZONE = env.str("DCV_CNAME_ZONE", default="dcv." + (urlsplit(SITE_URL).hostname or "localhost"))
CLIENT_CERT_ENROLMENT_DAYS = env.int("CLIENT_CERT_ENROLMENT_DAYS", default=7)
# AUTO-4 [beyond]: the upstream ACME connector (orders/ca/acme_client.py). The bundle is a PEM file
# of roots trusted for the outside CA's HTTPS (a private CA); empty = the system's roots.
UPSTREAM_ACME_CA_BUNDLE = env.str("UPSTREAM_ACME_CA_BUNDLE", default="")
UPSTREAM_ACME_TIMEOUT = env.int("UPSTREAM_ACME_TIMEOUT", default=120)  # seconds for validation + finalize

# LIFE-4: the installation test may not reach private networks unless allowed (tests, laptop demo).
INSTALLATION_TEST_ALLOW_PRIVATE = env.bool("INSTALLATION_TEST_ALLOW_PRIVATE", default=False)
# MON-3: sslyze lives in its own virtual environment (make sslyze); scans per JOBS-4 run and in parallel.
SSLYZE_BIN = env("SSLYZE_BIN", default=str(BASE_DIR / ".sslyze-venv" / "bin" / "sslyze"))
MONITORING_CONCURRENCY = env.int("MONITORING_CONCURRENCY", default=4)
MONITORING_SCANS_PER_RUN = env.int("MONITORING_SCANS_PER_RUN", default=200)
# Endpoints per sslyze process (its start-up is most of a scan's CPU): bench/README.md.
MONITORING_SSLYZE_BATCH = env.int("MONITORING_SSLYZE_BATCH", default=8)
INSTALLATION_TEST_PER_MINUTE = env.int("INSTALLATION_TEST_PER_MINUTE", default=5)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.api.auth.ApiTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # AUTO-6: every error of the API is an RFC 9457 problem document.
    "EXCEPTION_HANDLER": "api.problems.problem_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Certificate portal API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "orders.models.OrderStatus",
        "DocumentStatusEnum": "billing.models.DocumentStatus",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_problem_responses",
    ],
}

# django-tables2's bootstrap5 template with its body written in Python (accounts/templatetags/portal_tables.py).
DJANGO_TABLES2_TEMPLATE = "django_tables2/portal.html"
DJANGO_TABLES2_TABLE_ATTRS = {"class": "table"}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # WeasyPrint logs every rendering step at INFO.
    "loggers": {"weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}

# The seller on invoices and other documents: billing/conf.py holds a demo identity; each SELLER_*
# variable overrides one of its fields.
_SELLER_FIELDS = (
    "name",
    "address",
    "postal_code",
    "city",
    "siren",
    "vat_number",
    "rcs_city",
    "share_capital",
    "iban",
    "bic",
    "email",
    "phone",
)
BILLING_SELLER = {
    field: env.str(f"SELLER_{field.upper()}")
    for field in _SELLER_FIELDS
    if env.str(f"SELLER_{field.upper()}", default="")
}

# SEPA direct debit: the creditor identifier (ICS) printed on mandates.
BILLING_SEPA_CREDITOR_ID = env.str("BILLING_SEPA_CREDITOR_ID", default="FR72ZZZ123456")
# ORD-9 card payments: the provider class (dotted path) and its constructor options as JSON (keys,
# merchant id...). The default, the offline test provider, pays nothing: for the demo and the tests.
BILLING_PAYMENT_PROVIDER = env.str(
    "BILLING_PAYMENT_PROVIDER", default="billing.payments.test_provider.TestPaymentProvider"
)
BILLING_PAYMENT_PROVIDER_OPTIONS = env.json("BILLING_PAYMENT_PROVIDER_OPTIONS", default={})
# Renewal top-up (LEDG-4): the callable that forecasts the tokens renewals need (orders side).
BILLING_RENEWAL_NEEDS_PROVIDER = env.str(
    "BILLING_RENEWAL_NEEDS_PROVIDER", default="orders.services.topup_needs.renewal_token_needs"
)
