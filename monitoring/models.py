"""Installation tests of delivered certificates (LIFE-4, and JOBS-3 a few days after delivery) and
certificate monitoring: the account's settings (MON-1), the monitored endpoints of each certificate
(MON-2) and the result of each scheduled scan with its grade (MON-3, JOBS-4).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from accounts.models import Account
from orders.models import Certificate, Order

from .reasons import Reason


class StartTls(models.TextChoices):
    """MON-2: the protocols whose plain-text start we speak before the TLS handshake."""

    NONE = "", _("None (TLS from the start)")
    SMTP = "smtp", "SMTP"
    IMAP = "imap", "IMAP"
    POP3 = "pop3", "POP3"
    FTP = "ftp", "FTP"
    XMPP = "xmpp", "XMPP"
    LDAP = "ldap", "LDAP"
    POSTGRES = "postgres", "PostgreSQL"


class Result(models.TextChoices):
    """LIFE-4: green, orange or red."""

    GREEN = "green", _("Valid")
    ORANGE = "orange", _("Valid with warnings")
    RED = "red", _("Invalid")


class InstallationCheck(models.Model):
    """One run of the installation test of a certificate (LIFE-4).

    `reasons` holds codes and parameters, not sentences, so the page shows them in the reader's
    language (monitoring.installation.Reason).
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    certificate = models.ForeignKey(
        Certificate,
        on_delete=models.CASCADE,
        related_name="installation_checks",
        verbose_name=_("certificate"),
    )
    host = models.CharField(_("host"), max_length=253)
    port = models.PositiveIntegerField(_("port"))
    starttls = models.CharField(_("StartTLS"), max_length=10, choices=StartTls.choices, blank=True)
    result = models.CharField(_("result"), max_length=10, choices=Result.choices)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    checked_at = models.DateTimeField(_("tested"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("tested by"),
    )

    objects = ScopedManager(account="account")

    class Meta:
        verbose_name = _("installation test")
        verbose_name_plural = _("installation tests")
        ordering = ["-checked_at", "-id"]
        indexes = [models.Index(fields=["certificate", "-checked_at"], name="installation_cert_checked")]

    def __str__(self) -> str:
        return f"{self.host}:{self.port} {self.result}"

    def reason_list(self) -> Any:
        """The stored reasons as Reason objects, worst first."""
        return Reason.from_json_list(self.reasons)


# Certificate monitoring (MON-1..3, JOBS-4) ------------------------------------------------------


class Frequency(models.TextChoices):
    """MON-1: how often an endpoint is scanned."""

    NEVER = "never", _("Never")
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")


FREQUENCY_DAYS: dict[str, int] = {
    Frequency.DAILY: 1,
    Frequency.WEEKLY: 7,
    Frequency.MONTHLY: 30,
    Frequency.QUARTERLY: 91,
}


class Grade(models.TextChoices):
    """MON-3: an SSL-Labs-style grade."""

    A_PLUS = "A+", "A+"
    A = "A", "A"
    A_MINUS = "A-", "A-"
    B = "B", "B"
    C = "C", "C"
    F = "F", "F"


class MonitoringSettings(models.Model):
    """MON-1: the account's monitoring choices."""

    class Scope(models.TextChoices):
        ALL = "all", _("All certificates")
        SELECTION = "selection", _("A selection of certificates")

    class EmailFormat(models.TextChoices):
        HTML = "html", _("HTML")
        PLAIN = "plain", _("Plain text")

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="monitoring_settings")
    enabled_by_default = models.BooleanField(_("monitor new certificates by default"), default=True)
    default_frequency = models.CharField(
        _("default frequency"), max_length=10, choices=Frequency.choices, default=Frequency.WEEKLY
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("monitoring manager"),
        help_text=_("The user who receives the emails when a result changes."),
    )
    email_format = models.CharField(
        _("email format"), max_length=5, choices=EmailFormat.choices, default=EmailFormat.HTML
    )
    scope = models.CharField(
        _("certificates monitored"), max_length=10, choices=Scope.choices, default=Scope.ALL
    )
    include_imported = models.BooleanField(_("imported certificates too"), default=True)

    objects = ScopedManager(account="account")

    class Meta:
        verbose_name = _("monitoring settings")
        verbose_name_plural = _("monitoring settings")

    def __str__(self) -> str:
        return str(self.account)


class MonitoredEndpoint(models.Model):
    """MON-2: how one order's certificate is monitored, and its last result."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="monitoring")
    names = models.TextField(_("names to test"), help_text=_("One name per line."))
    port = models.PositiveIntegerField(_("port"), default=443)
    starttls = models.CharField(_("StartTLS"), max_length=10, choices=StartTls.choices, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    frequency = models.CharField(
        _("frequency"), max_length=10, choices=Frequency.choices, default=Frequency.WEEKLY
    )
    next_scan_at = models.DateTimeField(_("next scan"), null=True, blank=True, db_index=True)
    last_scan_at = models.DateTimeField(_("last scan"), null=True, blank=True)
    last_result = models.CharField(_("result"), max_length=10, choices=Result.choices, blank=True)
    last_grade = models.CharField(_("grade"), max_length=2, choices=Grade.choices, blank=True)
    last_changed_at = models.DateTimeField(_("last change"), null=True, blank=True)

    objects = ScopedManager(account="account")

    class Meta:
        verbose_name = _("monitored endpoint")
        verbose_name_plural = _("monitored endpoints")
        ordering = ["order__common_name", "id"]

    def __str__(self) -> str:
        return f"{self.order_id} {self.port}"

    @property
    def name_list(self) -> list[str]:
        return [line.strip() for line in self.names.splitlines() if line.strip()]


class ScanResult(models.Model):
    """MON-3: one scan of one name of an endpoint: result, grade, reasons (codes), details."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    endpoint = models.ForeignKey(MonitoredEndpoint, on_delete=models.CASCADE, related_name="results")
    name = models.CharField(_("name"), max_length=253)
    scanned_at = models.DateTimeField(_("scanned"), default=timezone.now)
    seconds = models.FloatField(_("duration (s)"), default=0)
    result = models.CharField(_("result"), max_length=10, choices=Result.choices)
    grade = models.CharField(_("grade"), max_length=2, choices=Grade.choices)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    objects = ScopedManager(account="account")

    class Meta:
        verbose_name = _("scan result")
        verbose_name_plural = _("scan results")
        ordering = ["-scanned_at", "-id"]
        indexes = [models.Index(fields=["endpoint", "-scanned_at"], name="scan_endpoint_scanned")]

    def __str__(self) -> str:
        return f"{self.name} {self.grade}"

    def reason_list(self) -> list[Reason]:
        return Reason.from_json_list(self.reasons)
