"""The mail outbox's table: each row one rendered message waiting for, or past, delivery.

A row is written in the transaction of the change it announces (``bridge.mail.outbox``), so a
message exists exactly when its change was committed; senders in any process claim rows with
a lease, deliver them and mark them ``sent`` or ``failed``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bridge.storage.db.models.base import Base, UtcDateTime

#: A row's ``status``: waiting (or being delivered), acknowledged by the server, given up.
PENDING, SENT, FAILED = "pending", "sent", "failed"


class OutboxMail(Base):
    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text)
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str | None] = mapped_column(String(32))
    headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # A sender's claim: a random token and the end of its lease (another sender may take the
    # row once the lease has run out: the sender that held it died mid-delivery).
    claim: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
