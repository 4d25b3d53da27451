"""People's accounts and what stands behind their sign-in: password, authenticator, recovery
codes, trusted browsers, locks, reset requests, app passwords."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from bridge.storage.db.models.base import Base, UtcDateTime


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # Stored case-folded: "Alice" and "alice" are one account.
    username: Mapped[str] = mapped_column(String(150), unique=True)
    email: Mapped[str | None] = mapped_column(String(320))
    # The address as it is compared (lower case), computed by the database: unique (below).
    email_key: Mapped[str | None] = mapped_column(
        String(320), Computed("lower(email)", persisted=True)
    )
    email_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    name: Mapped[str | None] = mapped_column(String(200))
    # The bridge's argon2id hash, or a hash imported from another provider
    # (``imported:v1:<scheme>:...``, see bridge.services.foreign_passwords) until the first login.
    password_hash: Mapped[str | None] = mapped_column(Text)
    # When an imported hash was stored; None once the bridge hashed the password itself.
    password_imported_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # An admin asked for 2FA for this one user (R9), whatever the organisations enforce.
    mfa_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The user reset their own authenticator: they set up a new one at the next login (seed
    # 003), whatever else requires 2FA; confirming the new one clears it.
    mfa_reenrol: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # An account for an integration: never asked for 2FA (R9, R16).
    service_account: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Set by the lockout (R8); only an admin's unlock clears it.
    locked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The person's own choice of language for pages and mails ("en", "de"); None: not chosen.
    language: Mapped[str | None] = mapped_column(String(8))
    # An admin or the operator set a temporary password (issue 14): the next sign-in with it asks
    # for a new one after every factor, before the application; any new password clears it.
    password_must_change: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )


# One account per e-mail address, case-insensitively (issue 14): the address signs in too.
# Migration 0015 creates it only where no two accounts share an address yet; until then
# `bridge user email-conflicts` lists the shared addresses (and creates it once none is left).
EMAIL_UNIQUE_INDEX = "uq_users_email_key"
#: Unique among accounts with a password: those the address signs in. An account made for an
#: upstream identity has none and may share its address with a local one (issue 6's rule: a
#: provider that may not link by e-mail gets a new account).
EMAIL_UNIQUE = Index(
    EMAIL_UNIQUE_INDEX,
    User.email_key,
    unique=True,
    sqlite_where=User.password_hash.is_not(None),
    postgresql_where=User.password_hash.is_not(None),
)


class TotpCredential(Base):
    """A TOTP secret. Active only once ``confirmed_at`` is set (R2)."""

    __tablename__ = "totp_credentials"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # AES-GCM ciphertext with the id of the key that sealed it (see bridge.storage.crypto).
    secret_ciphertext: Mapped[str] = mapped_column(Text)
    algorithm: Mapped[str] = mapped_column(String(10))
    digits: Mapped[int] = mapped_column(Integer)
    period: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The last accepted time-step: a code for this step or an earlier one is a replay.
    last_used_step: Mapped[int | None] = mapped_column(BigInteger)


class RecoveryCode(Base):
    """A one-time recovery code (R11), stored hashed; ``used_at`` set: spent."""

    __tablename__ = "recovery_codes"
    __table_args__ = (UniqueConstraint("user_id", "code_hash", name="uq_recovery_codes_user_code"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Random, one per set of codes; the hash is argon2id of a keyed HMAC (see
    # bridge.services.recovery).
    salt: Mapped[str] = mapped_column(String(32))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class TrustedDevice(Base):
    """A browser trusted to skip the second factor until ``expires_at`` (R12).

    The browser holds a random token in a cookie; only its SHA-256 is stored. Revoking deletes.
    """

    __tablename__ = "trusted_devices"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AccountLock(Base):
    """Why and until when ``users.locked_at`` holds (R8); ``expires_at`` None: until an admin
    unlocks the account."""

    __tablename__ = "account_locks"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    reason: Mapped[str] = mapped_column(String(32))
    locked_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ResetRequest(Base):
    """A user's request to have a lost second factor reset by an admin of ``org_id`` (R13)."""

    __tablename__ = "reset_requests"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'cancelled')", name="status"),
        Index("ix_reset_requests_org_status", "org_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    message: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    decided_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class AppPassword(Base):
    """A password an integration uses instead of the account's own (seed 004; issue 12).

    Shown once; only a keyed hash is stored (HMAC-SHA256 with a key derived from the bridge's
    secret key: the secret is 150 random bits, so a slow hash would add nothing). It never signs
    in to a browser page and never stands in for the second factor. Revoking deletes the row.
    """

    __tablename__ = "app_passwords"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    comment: Mapped[str] = mapped_column(String(100))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Who created it: the user, or an admin for a service account.
    created_by: Mapped[str | None] = mapped_column(String(32))
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_used_ip: Mapped[str | None] = mapped_column(String(64))


class PasswordReset(Base):
    """A "forgot password" link (issue 14): single use, stored as the SHA-256 of its token,
    bound to one user, the login it was asked from and the password it may replace."""

    __tablename__ = "password_resets"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # SHA-256 of the password hash the link may replace: a password changed since voids it.
    password_fingerprint: Mapped[str] = mapped_column(String(64))
    flow_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    voided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
