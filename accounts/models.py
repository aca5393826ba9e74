"""The tenant (Account), its users and their rights, its organisations and contacts, the audit trail.

Every model owned by an account uses `ScopedManager(account=...)` (django-scopes): a query run
outside `scope(account=...)` or `scopes_disabled()` raises instead of leaking another account's
rows (STYLE.md 2). Views still go through one access helper per object type (accounts.access).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any, ClassVar, Self

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.hashers import acheck_password, check_password
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager


class Right(models.TextChoices):
    """ADM-2: the five rights a user of an account can hold."""

    TECHNICAL = "technical", _("Technical")
    COMMERCIAL = "commercial", _("Commercial")
    BILLING = "billing", _("Billing")
    ADMINISTRATIVE = "administrative", _("Administrative")
    APPROVAL = "approval", _("Approval")


class ProcessingOffice(models.Model):
    """STAFF-1, ADM-5: the reseller's office that handles an account's orders, with how to reach it.

    Staff assign each account to one; the account's preferences, its order pages and the emails
    that name a handler show it.
    """

    name = models.CharField(_("name"), max_length=150, unique=True)
    email = models.EmailField(_("email"))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    hours = models.CharField(
        _("opening hours"),
        max_length=200,
        blank=True,
        help_text=_("For example: Monday to Friday, 9:00–18:00"),
    )

    class Meta:
        verbose_name = _("processing office")
        verbose_name_plural = _("processing offices")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def as_context(self) -> dict[str, str]:
        """The office as emails show it (JSON-serialisable: email contexts cross the broker)."""
        return {"name": self.name, "email": self.email, "phone": self.phone, "hours": self.hours}


class Account(models.Model):
    """A customer of the portal: a service provider or an enterprise (ACC-1)."""

    class Kind(models.TextChoices):
        PROVIDER = "provider", _("Service provider")
        ENTERPRISE = "enterprise", _("Enterprise")

    class Formula(models.TextChoices):
        REBATE = "rebate", _("Rebate")
        BULK = "bulk", _("Bulk purchase")
        CURRENT = "current", _("Current account")
        MONTHLY = "monthly", _("Monthly payment")

    class AuthType(models.TextChoices):
        PASSWORD = "password", _("Username and password")
        TWO_FACTOR = "2fa", _("Password and second factor")
        CERTIFICATE = "certificate", _("Client certificate")

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting validation")
        ACTIVE = "active", _("Active")
        BLOCKED = "blocked", _("Blocked")
        REJECTED = "rejected", _("Rejected")

    name = models.CharField(_("company name"), max_length=200)
    kind = models.CharField(_("organisation type"), max_length=20, choices=Kind.choices)
    formula = models.CharField(_("billing formula"), max_length=20, choices=Formula.choices)
    auth_type = models.CharField(
        _("authentication type"), max_length=20, choices=AuthType.choices, default=AuthType.PASSWORD
    )
    approval_mode = models.BooleanField(_("approval mode"), default=False)
    require_2fa = models.BooleanField(_("second factor required for every user"), default=False)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    language = models.CharField(_("language"), max_length=8, default="en")
    rejection_reason = models.TextField(_("rejection reason"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    validated_at = models.DateTimeField(_("validated"), null=True, blank=True)
    terms_accepted_at = models.DateTimeField(_("terms accepted"), null=True, blank=True)
    office = models.ForeignKey(
        ProcessingOffice,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="accounts",
        verbose_name=_("processing office"),
    )
    # ACC-1: the two people named at registration; emails about the account go to them (ADM-6).
    administrative_contact = models.ForeignKey(
        "Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("administrative contact"),
    )
    technical_contact = models.ForeignKey(
        "Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("technical contact"),
    )

    # ADM-5 / ADM-6: the account's contact points, each with the language its emails are written in.
    invoice_email = models.EmailField(_("invoice email"), blank=True)
    invoice_email_language = models.CharField(_("invoice email language"), max_length=8, default="en")
    copy_email = models.EmailField(
        _("generic copy email"),
        blank=True,
        help_text=_("Copied on every email the portal sends about the account."),
    )
    copy_email_language = models.CharField(_("generic copy email language"), max_length=8, default="en")
    emergency_email = models.EmailField(
        _("emergency email"), blank=True, help_text=_("Also told of every revocation of a certificate.")
    )
    emergency_email_language = models.CharField(_("emergency email language"), max_length=8, default="en")
    # ADM-7: up to four custom fields with free labels; an empty label means the field is unused.
    custom_label_1 = models.CharField(_("custom field 1"), max_length=60, blank=True)
    custom_label_2 = models.CharField(_("custom field 2"), max_length=60, blank=True)
    custom_label_3 = models.CharField(_("custom field 3"), max_length=60, blank=True)
    custom_label_4 = models.CharField(_("custom field 4"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def custom_fields(self) -> list[tuple[int, str]]:
        """ADM-7: the (number, label) of each custom field in use."""
        labels = (self.custom_label_1, self.custom_label_2, self.custom_label_3, self.custom_label_4)
        return [(number, label) for number, label in enumerate(labels, start=1) if label]

    @property
    def holder(self) -> Organisation | None:
        """The account's own organisation (the one that registered)."""
        return self.organisations.filter(is_account_holder=True).first()


# ACC-8: what a person may be emailed for beyond the service itself (User.processing_purposes).
PROCESSING_PURPOSES = {
    "newsletters": _("Newsletters"),
    "product_news": _("Product news"),
    "satisfaction_surveys": _("Satisfaction surveys"),
}


class User(AbstractUser):
    """A person who logs in. Staff users have no account; every other user belongs to exactly one."""

    account = models.ForeignKey(
        Account,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("account"),
    )
    is_account_superuser = models.BooleanField(_("account super user"), default=False)
    right_technical = models.BooleanField(_("Technical"), default=False)
    right_commercial = models.BooleanField(_("Commercial"), default=False)
    right_billing = models.BooleanField(_("Billing"), default=False)
    right_administrative = models.BooleanField(_("Administrative"), default=False)
    right_approval = models.BooleanField(_("Approval"), default=False)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    language = models.CharField(_("language"), max_length=8, default="en")
    previous_login = models.DateTimeField(_("previous login"), null=True, blank=True)
    public_id = models.CharField(max_length=16, unique=True, null=True, editable=False)
    is_api_user = models.BooleanField(_("API user"), default=False)
    password_changed_at = models.DateTimeField(_("password changed"), null=True, blank=True)
    failed_login_count = models.PositiveSmallIntegerField(_("consecutive failed logins"), default=0)
    locked_at = models.DateTimeField(_("locked since"), null=True, blank=True)
    processing_purposes = models.JSONField(_("processing purposes accepted"), default=list, blank=True)
    # ACC-9: part of the session hash; changing it ends every session of the user (see end_sessions).
    session_stamp = models.CharField(max_length=32, blank=True, default="", editable=False)
    # ADM-8: {list name: [column names in the order shown]}; a list absent here shows its defaults.
    list_columns = models.JSONField(_("list columns"), default=dict, blank=True)

    objects: ClassVar[UserManager[Self]] = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=models.Q(is_account_superuser=True),
                name="one_superuser_per_account",
                violation_error_message=_("This account already has a super user."),
            )
        ]

    def has_right(self, right: Right) -> bool:
        """ADM-2: the super user holds every right; staff hold none inside an account."""
        if self.account_id is None or not self.is_active:
            return False
        if self.is_account_superuser:
            return True
        match right:
            case Right.TECHNICAL:
                return self.right_technical
            case Right.COMMERCIAL:
                return self.right_commercial
            case Right.BILLING:
                return self.right_billing
            case Right.ADMINISTRATIVE:
                return self.right_administrative
            case Right.APPROVAL:
                return self.right_approval
        raise ValueError(right)

    def set_rights(self, rights: Iterable[Right]) -> None:
        rights = set(rights)
        self.right_technical = Right.TECHNICAL in rights
        self.right_commercial = Right.COMMERCIAL in rights
        self.right_billing = Right.BILLING in rights
        self.right_administrative = Right.ADMINISTRATIVE in rights
        self.right_approval = Right.APPROVAL in rights

    @property
    def rights(self) -> list[Right]:
        return [r for r in Right if self.has_right(r)]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.public_id:
            self.public_id = secrets.token_hex(6)
        super().save(*args, **kwargs)

    @property
    def is_locked(self) -> bool:
        """ACC-3: locked after 5 consecutive failed logins, until unlocked (accounts.services.unlock_user)."""
        return self.locked_at is not None

    def set_password(self, raw_password: str | None) -> None:
        """ACC-4: every password set, change or reset restarts the 12-month clock."""
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()

    def check_password(self, raw_password: str | None) -> bool:
        # Django rehashes an outdated hash through set_password(): that is no password change, so the
        # setter bypasses ours and leaves password_changed_at alone.
        def setter(raw: Any) -> None:
            AbstractBaseUser.set_password(self, raw)
            self._password = None
            self.save(update_fields=["password"])

        return check_password(raw_password, self.password, setter)

    async def acheck_password(self, raw_password: str | None) -> bool:
        async def setter(raw: Any) -> None:
            AbstractBaseUser.set_password(self, raw)
            self._password = None
            await self.asave(update_fields=["password"])

        return await acheck_password(raw_password, self.password, setter)

    def _get_session_auth_hash(self, secret: Any = None) -> Any:
        """ACC-9: Django ends a session whose stored hash no longer matches. It hashes the password
        (so a password change ends the other sessions); we add `session_stamp` so a 2FA reset or an
        explicit "end all sessions" does too. An empty stamp gives Django's own hash."""
        key_salt = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"
        return salted_hmac(
            key_salt, self.password + self.session_stamp, secret=secret, algorithm="sha256"
        ).hexdigest()


class WebAuthnCredential(models.Model):
    """ACC-6: a passkey of a user (a discoverable WebAuthn credential), named by its owner."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="webauthn_credentials")
    name = models.CharField(_("name"), max_length=100)
    # base64url of the raw credential id, as the browser sends it back in `rawId`.
    credential_id = models.CharField(max_length=1400, unique=True)
    public_key = models.BinaryField()
    sign_count = models.PositiveBigIntegerField(default=0)
    transports = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(_("added"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("passkey")
        verbose_name_plural = _("passkeys")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.name


class Organisation(models.Model):
    """A holder organisation of certificates (ORD-2), keyed by its registry number in the account."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="organisations")
    public_id = models.CharField(max_length=16, unique=True, editable=False)
    name = models.CharField(_("organisation name"), max_length=200)
    registration_number = models.CharField(
        _("organisation number"),
        max_length=40,
        help_text=_("SIREN for a French company, or the foreign registry number."),
    )
    naf_code = models.CharField(_("NAF code"), max_length=8, blank=True)
    vat_number = models.CharField(_("intra-EU VAT number"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=250)
    postal_code = models.CharField(_("postal code"), max_length=20)
    city = models.CharField(_("city"), max_length=100)
    country = models.CharField(_("country"), max_length=2, default="FR")
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    is_account_holder = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(account="account")

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "registration_number"], name="org_number_unique_in_account"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.registration_number})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.public_id:
            self.public_id = secrets.token_hex(6)
        super().save(*args, **kwargs)


class Contact(models.Model):
    """A person offered in order forms' contact lists (ADM-10); belongs to one organisation."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contacts")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("organisation")
    )
    public_id = models.CharField(max_length=16, unique=True, editable=False)
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("email"))
    phone = models.CharField(_("phone"), max_length=40)
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(account="account")

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} <{self.email}>"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.public_id:
            self.public_id = secrets.token_hex(6)
        if self.organisation_id and not self.account_id:
            self.account_id = self.organisation.account_id
        super().save(*args, **kwargs)


class AuditEvent(models.Model):
    """ADM-9 / PLAT-6: who did what, when, from where, on which object. Append-only."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    user = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    actor_name = models.CharField(_("who"), max_length=200)
    is_staff_action = models.BooleanField(_("staff action"), default=False)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object"), max_length=64, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    objects = ScopedManager(account="account")

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk:
            raise ValueError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("Audit events are append-only.")


class ApiToken(models.Model):
    """ADM-4: a revocable token of an API user, shown once, stored as a SHA-256 hash."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="api_tokens")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, unique=True)
    key_sha256 = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(_("last used from"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ScopedManager(account="account")

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_expired(self, now: datetime | None = None) -> bool:
        """Issue 13.8: past its optional expiry date, the API answers 401 to the token."""
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())


class LoginCA(models.Model):
    """ACC-7: the portal's own small CA for login certificates (accounts.clientcert.ca): a root and
    one issuing CA, ECDSA P-384, keys kept as PKCS#8 PEM encrypted with settings.CA_KEY_PASSPHRASE.
    It is not a brand's CA (orders/ca): the ground floor issues its own login certificates."""

    class Kind(models.TextChoices):
        ROOT = "root", _("Root")
        ISSUING = "issuing", _("Issuing")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, unique=True)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    common_name = models.CharField(_("common name"), max_length=200)
    certificate_pem = models.TextField()
    encrypted_key_pem = models.TextField(editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("login CA")
        verbose_name_plural = _("login CAs")

    def __str__(self) -> str:
        return self.common_name


class ClientCertificate(models.Model):
    """ACC-7 / ADM-3: a login certificate of a user of a certificate-login account.

    The portal maps the certificate the TLS terminator verified to its user by SHA-256 fingerprint
    and accepts only an active one within its dates. The user's FK is kept null after the user is
    deleted, so the record (revoked first) stays for the audit trail.
    """

    class State(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        REVOKED = "revoked", _("Revoked")

    class Method(models.TextChoices):
        BROWSER = "browser", _("Key made in the user's browser")
        PKCS12 = "pkcs12", _("PKCS#12 file made by an administrator")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="client_certificates")
    user = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="client_certificates",
        verbose_name=_("user"),
    )
    username = models.CharField(_("username"), max_length=150)
    serial = models.CharField(_("serial number"), max_length=64, unique=True)
    fingerprint_sha256 = models.CharField(_("SHA-256 fingerprint"), max_length=64, unique=True)
    not_before = models.DateTimeField(_("valid from"))
    not_after = models.DateTimeField(_("valid until"))
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.ACTIVE)
    method = models.CharField(_("issued as"), max_length=10, choices=Method.choices)
    pem = models.TextField()
    created_at = models.DateTimeField(_("issued"), default=timezone.now)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=40, blank=True)

    objects = ScopedManager(account="account")

    class Meta:
        verbose_name = _("client certificate")
        verbose_name_plural = _("client certificates")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.username} {self.serial}"


class CertificateEnrolment(models.Model):
    """ACC-7 / ADM-3: a single-use link through which a user makes their key in their own browser
    and receives their login certificate. Only the SHA-256 of the link's token is stored."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="certificate_enrolments")
    token_sha256 = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    certificate = models.ForeignKey(
        ClientCertificate, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(account="account")

    class Meta:
        verbose_name = _("certificate enrolment link")
        verbose_name_plural = _("certificate enrolment links")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%Y-%m-%d}"
