"""ADM-4: bearer-token authentication of API users for Django REST framework.

`Authorization: Bearer <token>`; an unknown or revoked token, a suspended API user or an account
that is no longer active all answer 401. An expired token (issue 13.8) answers 401 too, with an RFC
9457 problem document (`TokenExpired`, rendered by the API's exception handler, api.problems). `last_used_at` and the client
address `last_used_ip` are written at most once a minute (sooner when the address changes) so a busy
client does not turn every read into a write.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts.audit import client_ip
from accounts.models import Account, ApiToken, User

from .tokens import hash_token

LAST_USED_PRECISION = timedelta(minutes=1)


class TokenExpired(exceptions.AuthenticationFailed):
    """Issue 13.8: the token is past its expiry date; answered as an RFC 9457 problem document."""

    problem_type = "tag:certportal,2026:problems/token-expired"  # RFC 9457 §3.1.1: a tag URI
    default_detail = _("This API token has expired. Ask the account's super user for a new token.")
    default_code = "token_expired"
    title = _("Expired API token")


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None  # no credentials: DRF answers 401 with the header below
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid Authorization header."))
        try:
            raw = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        return self.authenticate_token(raw, address=client_ip(request))

    def authenticate_token(self, raw: str, address: str | None = None) -> tuple[User, ApiToken]:
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
                or user.account is None
                or user.account.status != Account.Status.ACTIVE
            ):
                raise exceptions.AuthenticationFailed(_("Invalid token."))
            now = timezone.now()
            if token.is_expired(now):
                raise TokenExpired()
            if (
                token.last_used_at is None
                or now - token.last_used_at >= LAST_USED_PRECISION
                or token.last_used_ip != address
            ):
                ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_ip=address)
                token.last_used_at = now
                token.last_used_ip = address
        return user, token

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'
