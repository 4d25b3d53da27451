"""The values of new tokens: random URL-safe strings of Authlib's lengths."""

from __future__ import annotations

import secrets
from typing import Any

#: Authlib's lengths: access tokens 42 characters, refresh tokens and codes 48.
ACCESS_TOKEN_LENGTH = 42
REFRESH_TOKEN_LENGTH = 48


def random_token(length: int) -> str:
    """``length`` URL-safe characters (6 random bits each) from the operating system's CSPRNG in
    one call: Authlib's ``generate_token`` draws every character with a ``SystemRandom`` call of
    its own (issue 16)."""
    return secrets.token_urlsafe(length * 3 // 4 + 1)[:length]


def access_token(**_context: Any) -> str:
    """Authlib's ``OAUTH2_ACCESS_TOKEN_GENERATOR`` hook."""
    return random_token(ACCESS_TOKEN_LENGTH)


def refresh_token(**_context: Any) -> str:
    """Authlib's ``OAUTH2_REFRESH_TOKEN_GENERATOR`` hook."""
    return random_token(REFRESH_TOKEN_LENGTH)
