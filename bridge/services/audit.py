"""The audit log (R17): an append-only record of sign-ins, enrolments and admin actions.

Event names are ``bridge.domain.events.AuditEventName`` members; the stored strings are their
values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from bridge.domain.clock import Clock, utc_datetime
from bridge.domain.events import AuditEventName
from bridge.storage.db.engine import Database
from bridge.storage.db.models import AuditEvent
from bridge.storage.db.unit import when_committed


def _clip(value: str | None, length: int) -> str | None:
    return None if value is None else value[:length]


class AuditLog:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        on_record: Callable[[AuditEvent], None] | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._on_record = on_record  # told of each event once it is committed (metrics)

    def record(
        self,
        event: AuditEventName,
        *,
        user_id: str | None = None,
        actor_id: str | None = None,
        org_id: str | None = None,
        client_id: str | None = None,
        ip: str | None = None,
        user_agent: str | None = None,
        mfa_factor_type: str | None = None,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> AuditEvent:
        """Append one event; request-supplied strings are clipped to their column's length.

        Inside a unit of work (a request, a CLI command) the event is written in its
        transaction: it commits, or rolls back, with the change it records. Outside one (the
        mail outbox's thread) it is a transaction of its own.
        """
        row = AuditEvent(
            occurred_at=utc_datetime(self._clock),
            event=AuditEventName(event).value,
            user_id=user_id,
            actor_id=actor_id,
            org_id=org_id,
            client_id=_clip(client_id, 64),
            ip=_clip(ip, 64),
            user_agent=_clip(user_agent, 1000),
            mfa_factor_type=mfa_factor_type,
            reason=_clip(reason, 100),
            details=dict(details or {}),
        )
        with self._db.session() as session:
            session.add(row)
        if self._on_record is not None:
            on_record = self._on_record
            when_committed(lambda: on_record(row))
        return row

    def events(
        self,
        *,
        user_id: str | None = None,
        event: str | None = None,
        org_id: str | None = None,
        limit: int = 100,
    ) -> list[AuditEvent]:
        """Matching events, newest first."""
        query = select(AuditEvent)
        if user_id is not None:
            query = query.where(AuditEvent.user_id == user_id)
        if org_id is not None:
            query = query.where(AuditEvent.org_id == org_id)
        if event is not None:
            query = query.where(AuditEvent.event == event)
        query = query.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()).limit(limit)
        with self._db.session() as session:
            return list(session.scalars(query))
