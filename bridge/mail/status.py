"""What the outbox holds, for ``bridge mail status`` and the metrics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from bridge.storage.db.engine import Database
from bridge.storage.db.models.outbox import FAILED, PENDING, SENT, OutboxMail


@dataclass(frozen=True)
class OutboxStatus:
    pending: int
    failed: int
    sent: int
    oldest_pending: datetime | None
    recent_failures: list[tuple[datetime, str, str, str]]  # (when, kind, to, error)


def read_status(db: Database, *, failures: int = 10) -> OutboxStatus:
    """Counts by status, the oldest waiting message, the latest ``failures`` given up."""
    with db.session() as session:
        by_status = select(OutboxMail.status, func.count()).group_by(OutboxMail.status)
        counts: dict[str, int] = {row[0]: row[1] for row in session.execute(by_status)}
        oldest = session.scalar(
            select(func.min(OutboxMail.created_at)).where(OutboxMail.status == PENDING)
        )
        recent = session.execute(
            select(
                OutboxMail.next_attempt_at,
                OutboxMail.kind,
                OutboxMail.recipient,
                OutboxMail.last_error,
            )
            .where(OutboxMail.status == FAILED)
            .order_by(OutboxMail.next_attempt_at.desc())
            .limit(failures)
        ).all()
    return OutboxStatus(
        pending=int(counts.get(PENDING, 0)),
        failed=int(counts.get(FAILED, 0)),
        sent=int(counts.get(SENT, 0)),
        oldest_pending=oldest,
        recent_failures=[(when, kind, to, error or "") for when, kind, to, error in recent],
    )
