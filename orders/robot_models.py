"""What the scheduled jobs of orders keep (JOBS-1, JOBS-2, JOBS-5, JOBS-6, ORD-13, ORD-14).

Imported at the end of orders.models so Django registers these models with the app; they name
the order models as "orders.Order" and "orders.Certificate", so this module imports nothing from
orders.models (no import cycle).
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from accounts.models import Account

DEFAULT_AUTO_RENEWAL_DAYS = 65


class RenewalSettings(models.Model):
    """Account-level choices of the robots: when automatic renewals are filed (ORD-14), and
    whether the reissue list (ORD-13) and expiry reminders (JOBS-5) are emailed."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="renewal_settings")
    auto_renewal_days = models.PositiveSmallIntegerField(
        _("file automatic renewals this many days before the end"),
        default=DEFAULT_AUTO_RENEWAL_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
    )
    reissue_emails = models.BooleanField(_("email the recommended reissues"), default=True)
    expiry_reminders = models.BooleanField(_("email expiry reminders"), default=True)

    objects = ScopedManager(account="account")

    class Meta:
        verbose_name = _("renewal settings")
        verbose_name_plural = _("renewal settings")

    def __str__(self) -> str:
        return str(self.account)


class ReissueRecommendation(models.Model):
    """ORD-13: a certificate due for reissue inside its subscription, rebuilt nightly (JOBS-1).

    `hidden` and `notify` are the user's choices; the rebuild keeps them while the row stays due.
    """

    class Reason(models.TextChoices):
        LIFETIME = (
            "lifetime",
            _("A third of the certificate's lifetime remains while the subscription runs on"),
        )
        SUBSCRIPTION = "subscription", _("The certificate ends before the subscription")
        REPLACE = "replace", _("Replace now: the certificate's key is compromised or blocked")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey(
        "orders.Order", on_delete=models.CASCADE, related_name="reissue_recommendations"
    )
    certificate = models.OneToOneField(
        "orders.Certificate", on_delete=models.CASCADE, related_name="reissue_recommendation"
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    due_at = models.DateTimeField(_("reissue from"), db_index=True)
    certificate_end = models.DateTimeField(_("certificate ends"))
    subscription_end = models.DateTimeField(_("subscription ends"))
    hidden = models.BooleanField(_("hidden"), default=False)
    notify = models.BooleanField(_("email me about it"), default=True)
    notified_at = models.DateTimeField(_("emailed"), null=True, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(account="account")

    class Meta:
        verbose_name = _("recommended reissue")
        verbose_name_plural = _("recommended reissues")
        ordering = ["due_at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id} {self.due_at:%Y-%m-%d}"


class AutoRenewalFiling(models.Model):
    """ORD-14: one automatic renewal of one order for one term end. The unique constraint makes it
    once, ever, even when two workers file at the same moment (JOBS-2)."""

    class Status(models.TextChoices):
        FILED = "filed", _("Filed")
        FAILED = "failed", _("Payment failed")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    source_order = models.ForeignKey(
        "orders.Order", on_delete=models.CASCADE, related_name="auto_renewal_filings"
    )
    term_end = models.DateTimeField(_("term ends"))
    renewal_order = models.ForeignKey(
        "orders.Order",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("renewal"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=1)
    last_attempt_on = models.DateField(_("last attempt"), default=timezone.localdate)
    early_discount = models.DecimalField(
        _("early renewal discount"), max_digits=10, decimal_places=2, default=0
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(account="account")

    class Meta:
        verbose_name = _("automatic renewal")
        verbose_name_plural = _("automatic renewals")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source_order", "term_end"], name="one_auto_renewal_per_term")
        ]

    def __str__(self) -> str:
        return f"{self.source_order_id} {self.term_end:%Y-%m-%d} {self.status}"


class CertificateNotice(models.Model):
    """A message the robots sent about one certificate, once per kind (JOBS-3, JOBS-5, JOBS-6):
    the row is claimed before the email, so neither a second run nor a second worker sends it again."""

    class Kind(models.TextChoices):
        EXPIRY_90 = "expiry_90", _("Expiry reminder, 90 days")
        EXPIRY_60 = "expiry_60", _("Expiry reminder, 60 days")
        EXPIRY_30 = "expiry_30", _("Expiry reminder, 30 days")
        EXPIRY_7 = "expiry_7", _("Expiry reminder, 7 days")
        ACCEPTANCE_10 = "acceptance_10", _("Acceptance warning, 10 days left")
        ACCEPTANCE_3 = "acceptance_3", _("Acceptance warning, 3 days left")
        ACCEPTANCE_REVOKED = "acceptance_revoked", _("Revoked: not accepted in time")
        INSTALLATION_CHECK = "installation_check", _("Installation check after delivery")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    certificate = models.ForeignKey("orders.Certificate", on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    result = models.CharField(_("result"), max_length=40, blank=True)

    objects = ScopedManager(account="account")

    class Meta:
        verbose_name = _("certificate notice")
        verbose_name_plural = _("certificate notices")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["certificate", "kind"], name="one_notice_per_certificate_and_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.certificate_id} {self.kind}"
