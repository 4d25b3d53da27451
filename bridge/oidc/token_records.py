"""What the token service answers about an access token and a refresh token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class AccessTokenInfo:
    token_hash: str
    grant_id: str
    client_id: str
    user_id: str
    scope: str
    issued_at: int
    expires_at: int


@dataclass(frozen=True)
class RefreshTokenInfo:
    grant_id: str
    client_id: str
    user_id: str
    scope: str
    issued_at: int
    expires_at: int
    revoked: bool
    # How the grant's user proved themselves (the grant's row, read with the token).
    amr: tuple[str, ...] = ()
    acr: str | None = None
    auth_time: int = 0


def refresh_token_info(found: Any, *, revoked: bool) -> RefreshTokenInfo:
    """The info of a row of ``statements.TOKEN_AND_GRANT``."""
    return RefreshTokenInfo(
        grant_id=found.id,
        client_id=found.client_id,
        user_id=found.user_id,
        scope=found.scope,
        issued_at=int(found.issued_at.timestamp()),
        expires_at=int(found.expires_at.timestamp()),
        revoked=revoked,
        amr=tuple(found.amr),
        acr=found.acr,
        auth_time=found.auth_time,
    )
