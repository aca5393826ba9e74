"""Installation tests of delivered certificates (LIFE-4) and their last results.

Scheduled scans (MON-1 to MON-3, JOBS-3, JOBS-4) will live here too; today only the manual test.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from accounts.models import Account
from orders.models import Certificate

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
