"""Organisations, their members and their verified domains."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    and_,
    true,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql import ColumnElement

from bridge.storage.db.models.base import Base, UtcDateTime


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
