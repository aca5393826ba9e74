"""Idempotency keys of the API's order creations (AUTO-6)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from accounts.models import Account, User


class IdempotencyKey(models.Model):
    """An `Idempotency-Key` a client sent with a request that created something, the fingerprint
    of that request and the answer it got: the same key with the same request gets the same answer
    again, the same key with another request is refused (422)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    key = models.CharField(_("idempotency key"), max_length=255)
    request_sha256 = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(account="account")

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [models.UniqueConstraint(fields=["account", "key"], name="api_idempotency_key_unique")]

    def __str__(self) -> str:
        return self.key
