"""OAuth and OpenID Connect: relying parties, signing keys, grants and their refresh tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    String,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from bridge.storage.db.models.base import Base, UtcDateTime


class Client(Base):
    """A relying party registered with the bridge."""

    __tablename__ = "clients"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # SHA-256 of a high-entropy generated secret; None for public clients.
    secret_hash: Mapped[str | None] = mapped_column(String(64))
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    redirect_uris: Mapped[list[str]] = mapped_column(JSON)
    post_logout_redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    scope: Mapped[str] = mapped_column(Text, default="openid profile email offline_access")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # The organisation whose users sign in here: the organisation of a login is its client's.
    # No ON DELETE action: an organisation that still has clients cannot be deleted.
    org_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    # "relying_party" (users sign in through it) or "api": a machine client of its organisation
    # that gets tokens with its own credentials only (client_credentials; issue 12).
    kind: Mapped[str] = mapped_column(
        String(20), default="relying_party", server_default="relying_party"
    )
    # An API client's public keys (RFC 7517) for private_key_jwt; it then has no secret.
    jwks: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # A disabled client gets no authorization, no token, and its tokens do not work until it
    # is enabled again (``bridge client disable``; issue 14).
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class SigningKey(Base):
    """An ID token signing key.

    ``retired_at``: no longer signs; ``expires_at``: no longer published.
    """

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    alg: Mapped[str] = mapped_column(String(10))
    private_key_ciphertext: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    # True for the one key that signs, NULL for every other: a unique column admits many NULLs
    # but one True, so the database itself refuses a second active key (concurrent first starts).
    active: Mapped[bool | None] = mapped_column(Boolean, unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Grant(Base):
    """One authorization: the family of every token issued from one authorization code."""

    __tablename__ = "grants"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    scope: Mapped[str] = mapped_column(Text)
    amr: Mapped[list[str]] = mapped_column(JSON)
    acr: Mapped[str | None] = mapped_column(String(200))
    auth_time: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_reason: Mapped[str | None] = mapped_column(String(100))


class RefreshToken(Base):
    """A refresh token, stored as a hash.

    ``used_at`` set: rotated, and presenting it again is reuse.
    """

    __tablename__ = "refresh_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    grant_id: Mapped[str] = mapped_column(ForeignKey("grants.id", ondelete="CASCADE"), index=True)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
