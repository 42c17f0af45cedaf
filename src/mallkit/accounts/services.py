"""Account services: tokens for the API."""

import secrets

from django.contrib.auth import authenticate
from django.utils import timezone

from mallkit.core.errors import DomainError

from .models import ApiToken, User


class InvalidCredentials(DomainError):
    """The e-mail address or password is not correct."""

    code = "invalid_credentials"
    status = 401


def issue_token(*, email: str, password: str, request=None, name: str = "") -> tuple[ApiToken, str]:
    """Check credentials (counted by django-axes) and return a new token and its secret."""
    user = authenticate(request, username=(email or "").strip().lower(), password=password or "")
    if user is None or not user.is_active:
        raise InvalidCredentials("The e-mail address or password is not correct.")
    secret = "mk_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, digest=ApiToken.digest_for(secret), name=name)
    return token, secret


def revoke_token(*, token: ApiToken) -> None:
    """Revoke a token so it no longer authenticates."""
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def user_for_token(*, secret: str) -> tuple[User, ApiToken] | None:
    """Return the active user and token for a bearer secret, or None."""
    if not secret or len(secret) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=ApiToken.digest_for(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 300:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user, token
