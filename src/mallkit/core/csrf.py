"""CSRF tokens for pages served from the cache, made without Django's slow random strings.

Each page gets a freshly masked copy of the visitor's CSRF secret (so a compressed page over TLS
leaks nothing of the secret, the BREACH attack Django masks against). Django masks with
`get_random_string`, one SystemRandom draw per character, which was a sixth of the cost of a
cached page; the same mask made from one `secrets.token_bytes` call is ten times cheaper. The
token has Django's format exactly (a 32-character mask, then the secret shifted by it, both in
CSRF_ALLOWED_CHARS), so CsrfViewMiddleware accepts it like its own; a test keeps that true.
"""

import secrets

from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token

_SIZE = len(CSRF_ALLOWED_CHARS)
_INDEX = {character: position for position, character in enumerate(CSRF_ALLOWED_CHARS)}
# Bytes at or above this would make some characters likelier than others; they are skipped.
_UNBIASED = 256 - 256 % _SIZE


def valid_secret(secret: str | None) -> bool:
    """Whether a CSRF cookie holds a secret in Django's current format."""
    return (
        secret is not None
        and len(secret) == CSRF_SECRET_LENGTH
        and all(character in _INDEX for character in secret)
    )


def _mask_positions(count: int) -> list[int]:
    positions: list[int] = []
    while len(positions) < count:
        positions.extend(
            byte % _SIZE for byte in secrets.token_bytes(count + 8) if byte < _UNBIASED
        )
    return positions[:count]


def masked_token(secret: str) -> str:
    """A new masked token for `secret` (a valid secret, see valid_secret)."""
    mask = _mask_positions(len(secret))
    cipher = (
        CSRF_ALLOWED_CHARS[(_INDEX[character] + shift) % _SIZE]
        for character, shift in zip(secret, mask, strict=True)
    )
    return "".join(CSRF_ALLOWED_CHARS[shift] for shift in mask) + "".join(cipher)


def token_for(request) -> str:
    """What `django.middleware.csrf.get_token` gives, made faster for a visitor with a cookie.

    As get_token does, it has CsrfViewMiddleware send the cookie again with the answer; a visitor
    without a (valid) cookie gets a new secret from Django itself.
    """
    secret = request.META.get("CSRF_COOKIE")
    if not valid_secret(secret):
        return get_token(request)
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    return masked_token(secret)
