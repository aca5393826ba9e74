"""ADM-4: bearer-token authentication of API users for Django REST framework.

`Authorization: Bearer <token>`; an unknown or revoked token, a suspended API user or an account
that is no longer active all answer 401. `last_used_at` is written at most once a minute so a busy
client does not turn every read into a write.
"""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled
from rest_framework import authentication, exceptions

from accounts.models import Account, ApiToken

from .tokens import hash_token

LAST_USED_PRECISION = timedelta(minutes=1)


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: HttpRequest):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None  # no credentials: DRF answers 401 with the header below
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid Authorization header."))
        try:
            raw = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        return self.authenticate_token(raw)

    def authenticate_token(self, raw: str):
        # The token is what tells which account the request belongs to: the lookup runs before any
        # tenant scope exists, so it is cross-account by design (AccountAPIView opens the scope).
        with scopes_disabled():
            token = (
                ApiToken.objects.select_related("user__account")
                .filter(key_sha256=hash_token(raw), revoked_at__isnull=True)
                .first()
            )
            if token is None:
                raise exceptions.AuthenticationFailed(_("Invalid token."))
            user = token.user
            if (
                not user.is_active
                or not user.is_api_user
                or user.account_id != token.account_id
                or user.account.status != Account.Status.ACTIVE
            ):
                raise exceptions.AuthenticationFailed(_("Invalid token."))
            now = timezone.now()
            if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
                ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
                token.last_used_at = now
        return user, token

    def authenticate_header(self, request: HttpRequest) -> str:
        return f'{self.keyword} realm="api"'
