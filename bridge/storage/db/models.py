"""The durable domain model: what must survive a restart, in SQL (SQLite or PostgreSQL).

Schema changes go through Alembic (``bridge/storage/migrations``); never ``create_all`` in
production code.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    and_,
    false,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql import ColumnElement

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp that is always an aware UTC datetime, on PostgreSQL and on SQLite alike.

    SQLite has no time zones: SQLAlchemy would store the wall time and read back a naive value.
    This type converts to UTC on the way in and marks the value as UTC on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: timestamps must carry a time zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # Stored case-folded: "Alice" and "alice" are one account.
    username: Mapped[str] = mapped_column(String(150), unique=True)
    email: Mapped[str | None] = mapped_column(String(320))
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


class AuditEvent(Base):
    """An append-only record of something that happened (R17)."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_user_time", "user_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    event: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[str | None] = mapped_column(String(32))
    actor_id: Mapped[str | None] = mapped_column(String(32))
    # The organisation an admin action concerned (R17); None for events of no organisation.
    # Which organisations see the event: ``AuditEventOrg``.
    org_id: Mapped[str | None] = mapped_column(String(32), index=True)
    client_id: Mapped[str | None] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(Text)
    mfa_factor_type: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(100))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AuditEventOrg(Base):
    """An organisation that sees an audit event in its log: the organisation an admin action
    concerned, the organisation of the client a sign-in went through, the user's organisations
    for events about the user's account (``bridge.services.audit``). Like ``org_id`` above, not
    a foreign key to ``organisations``: the log outlives what it records."""

    __tablename__ = "audit_event_orgs"

    org_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("audit_events.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Organisation(Base):
    """A tenant: a partner, a customer of a partner, or a standalone organisation.

    Its security policy lives in the same row (one policy per organisation, changed atomically).
    """

    __tablename__ = "organisations"
    __table_args__ = (
        CheckConstraint("kind IN ('partner', 'customer', 'standalone')", name="kind"),
        CheckConstraint("mode IN ('trial', 'production')", name="mode"),
        CheckConstraint("on_disable IN ('keep', 'wipe')", name="on_disable"),
        CheckConstraint("lockout_action IN ('lock', 'restart')", name="lockout_action"),
        CheckConstraint("trusted_browser_days BETWEEN 7 AND 90", name="trusted_browser_days"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    # Customers of a partner name it here; the partner's admins may act on them (R15).
    parent_id: Mapped[str | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    mode: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # --- policy ---
    mfa_enforced: Mapped[bool] = mapped_column(Boolean, default=False)
    on_disable: Mapped[str] = mapped_column(String(8), default="keep")
    trusted_browsers_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    trusted_browser_days: Mapped[int] = mapped_column(Integer, default=30)
    lockout_password_failures: Mapped[int] = mapped_column(Integer, default=5)
    lockout_code_failures: Mapped[int] = mapped_column(Integer, default=3)
    lockout_action: Mapped[str] = mapped_column(String(8), default="lock")
    sso_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    sso_idp_alias: Mapped[str | None] = mapped_column(String(100))
    sso_domains: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The language of its members' pages and mails when theirs is not known; None: the setting.
    default_language: Mapped[str | None] = mapped_column(String(8))
    # An admin may start a 2FA reset only for members of a domain the organisation verified
    # (seed 002, R13); off: for any member who belongs to no other organisation.
    admin_reset_requires_verified_domain: Mapped[bool] = mapped_column(Boolean, default=True)
    # False: no member may create or use an app password (seed 004; issue 12).
    app_passwords_allowed: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default=true()
    )
    # False: members cannot reset a forgotten password by e-mail (issue 14; an SSO org never).
    password_reset_allowed: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default=true()
    )

    @hybrid_property
    def production_partner(self) -> bool:
        """A partner in production mode, which always enforces 2FA (R15); usable in queries."""
        return self.kind == "partner" and self.mode == "production"

    @production_partner.inplace.expression
    @classmethod
    def _production_partner_clause(cls) -> ColumnElement[bool]:
        return and_(cls.kind == "partner", cls.mode == "production")


class Membership(Base):
    """A user's place in an organisation. A user may belong to several (R14)."""

    __tablename__ = "memberships"
    __table_args__ = (CheckConstraint("role IN ('member', 'admin')", name="role"),)

    org_id: Mapped[str] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class OrgDomain(Base):
    """An e-mail domain an organisation has proved it owns (R13); one organisation per domain."""

    __tablename__ = "org_domains"

    domain: Mapped[str] = mapped_column(String(253), primary_key=True)
    org_id: Mapped[str] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    verified_at: Mapped[datetime] = mapped_column(UtcDateTime())


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


class FederatedIdentity(Base):
    """A link from an upstream provider's subject to a local user (issue 6).

    Keyed by (provider alias, subject), never by e-mail: an e-mail can change hands upstream.
    """

    __tablename__ = "federated_identities"
    __table_args__ = (
        UniqueConstraint("provider", "subject", name="uq_federated_identities_provider_subject"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    provider: Mapped[str] = mapped_column(String(63))
    subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_login_at: Mapped[datetime] = mapped_column(UtcDateTime())


class IdentityProviderRecord(Base):
    """An upstream provider an organisation's admin added through the admin API (issue 6).

    It always serves one organisation; global providers stay in the configuration. The client
    secret is sealed with the keyring (associated data ``idp:<id>``), or NULL for a public client.
    """

    __tablename__ = "identity_providers"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    alias: Mapped[str] = mapped_column(String(63), unique=True)
    org_id: Mapped[str] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    issuer: Mapped[str] = mapped_column(String(2048))
    client_id: Mapped[str] = mapped_column(String(255))
    client_secret: Mapped[str | None] = mapped_column(Text)
    display_name: Mapped[str | None] = mapped_column(String(200))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    claims: Mapped[dict[str, str]] = mapped_column(JSON)
    link_by_verified_email: Mapped[bool] = mapped_column(Boolean)
    trusted_amr: Mapped[bool] = mapped_column(Boolean)
    algorithms: Mapped[list[str]] = mapped_column(JSON)
    timeout: Mapped[int] = mapped_column(Integer)
    metadata_ttl: Mapped[int] = mapped_column(Integer)
    max_clock_skew: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # The admin's user id; NULL: the operator at the command line.
    created_by: Mapped[str | None] = mapped_column(String(32))


class IdentityProviderDomain(Base):
    """An e-mail domain sent to an API-added provider: the primary key makes it one provider's."""

    __tablename__ = "identity_provider_domains"

    domain: Mapped[str] = mapped_column(String(253), primary_key=True)
    provider_id: Mapped[str] = mapped_column(
        ForeignKey("identity_providers.id", ondelete="CASCADE"), index=True
    )


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


# Tables kept in modules of their own register on ``Base.metadata`` once this module is read.
from bridge.storage.db import outbox_models as _outbox_models  # noqa: E402, F401
