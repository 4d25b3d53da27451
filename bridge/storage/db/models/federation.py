"""Federation: upstream identities linked to users, and the providers admins add."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bridge.storage.db.models.base import Base, UtcDateTime


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
