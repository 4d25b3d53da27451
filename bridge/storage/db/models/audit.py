"""The audit log and the organisations that see each event."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bridge.storage.db.models.base import Base, UtcDateTime


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
