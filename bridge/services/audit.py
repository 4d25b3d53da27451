"""The audit log (R17): an append-only record of sign-ins, enrolments and admin actions.

Event names are ``bridge.domain.events.AuditEventName`` members; the stored strings are their
values.

**Which organisations see an event** (``audit_event_orgs``, decided once, when it is written):

- the organisation an admin action concerned (``org_id``);
- a sign-in, a failed sign-in or a sign-out (``SIGN_IN_EVENTS``): the organisation of the client
  it went through; through a client of no organisation (or the account pages), every
  organisation the user belongs to;
- an event about the user's account or second factor (``USER_ACCOUNT_EVENTS``: lockout,
  unlock, enrolment, resets, reset requests, recovery codes, trusted browsers): every
  organisation the user belongs to, and the organisation of the client it happened through;
- what an API client did itself (``API_CLIENT_EVENTS``: a token issued to it): the organisation
  that owns the client.

No other organisation sees it. Memberships are read when the event is written: a member who
joins later brings no earlier events, and one who leaves takes none away.

On a login's hot path (issue 16) the event reuses what the request read already: the client's
row (``remembered`` under ``("client", id)``, which the authorization answer reads anyway) and
the user's organisations (``member_of``, kept by ``bridge.services.subjects.load_subject``
when the login read its user; whoever changes a membership in a request forgets it). The event
and its organisations are inserted with Core statements, without an ORM flush.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select
from sqlalchemy.sql import Select

from bridge.domain.clock import Clock, utc_datetime
from bridge.domain.events import (
    API_CLIENT_EVENTS,
    SIGN_IN_EVENTS,
    USER_ACCOUNT_EVENTS,
    AuditEventName,
)
from bridge.services.client_records import ClientRecord
from bridge.services.clients import client_by_id
from bridge.storage.db.engine import Database
from bridge.storage.db.models import AuditEvent, AuditEventOrg, Client, Membership
from bridge.storage.db.unit import recall, remembered, when_committed

#: Events read per transaction while a log is streamed (an export).
STREAM_BATCH = 500


def _clip(value: str | None, length: int) -> str | None:
    return None if value is None else value[:length]


@dataclass(frozen=True)
class AuditFilter:
    """Which events to read: every given condition holds (``since`` inclusive, ``until``
    exclusive)."""

    event: str | None = None
    user_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def concerned_orgs(
    db: Database,
    event: AuditEventName,
    *,
    org_id: str | None,
    user_id: str | None,
    client_id: str | None,
    find_client: Callable[[str], ClientRecord | None] | None = None,
) -> set[str]:
    """The organisations that see ``event`` (see the module's description); ``find_client``
    reads a client (``ClientService.get``: what the process keeps)."""
    orgs = {org_id} if org_id is not None else set()
    by_client = event in API_CLIENT_EVENTS
    if event not in SIGN_IN_EVENTS and event not in USER_ACCOUNT_EVENTS and not by_client:
        return orgs
    client_org = None
    if client_id is not None and event in SIGN_IN_EVENTS:
        # The client the sign-in answers next (bridge.oidc.server.query_client): one read.
        find = find_client or partial(client_by_id, db)
        client = remembered(("client", client_id), lambda: find(client_id))
        client_org = None if client is None else client.org_id
    elif client_id is not None:
        rows = db.fetch(_CLIENT_ORG, {"client_id": client_id})
        client_org = rows[0].org_id if rows else None
    if client_org is not None:
        orgs.add(client_org)
    if by_client:
        return orgs
    if user_id is not None and (event in USER_ACCOUNT_EVENTS or client_org is None):
        orgs.update(member_of(db, user_id))
    return orgs


_CLIENT_ORG = select(Client.org_id).where(Client.id == bindparam("client_id"))
_MEMBER_OF = select(Membership.org_id).where(Membership.user_id == bindparam("user_id"))


def member_of_key(user_id: str) -> tuple[str, str]:
    """The unit-of-work memo key of the user's organisation ids (``recall``)."""
    return ("member_of", user_id)


def member_of(db: Database, user_id: str) -> tuple[str, ...]:
    """The ids of the user's organisations: as this request read them with the user
    (``member_of_key``), else from the database."""
    kept: tuple[str, ...] | None = recall(member_of_key(user_id))
    if kept is not None:
        return kept
    return tuple(row.org_id for row in db.fetch(_MEMBER_OF, {"user_id": user_id}))


class AuditLog:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        on_record: Callable[[AuditEvent], None] | None = None,
        find_client: Callable[[str], ClientRecord | None] | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._on_record = on_record  # told of each event once it is committed (metrics)
        self._find_client = find_client  # ``ClientService.get`` (``concerned_orgs``)

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
        """Append one event and the organisations that see it; request-supplied strings are
        clipped to their column's length.

        Inside a unit of work (a request, a CLI command) the event is written in its
        transaction: it commits, or rolls back, with the change it records. Outside one (the
        mail outbox's thread) it is a transaction of its own.
        """
        name = AuditEventName(event)
        row = AuditEvent(
            occurred_at=utc_datetime(self._clock),
            event=name.value,
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
        orgs = concerned_orgs(
            self._db,
            name,
            org_id=org_id,
            user_id=user_id,
            client_id=row.client_id,
            find_client=self._find_client,
        )
        # No savepoint: nothing carries on after a failed audit write (``Database.execute``).
        row.id = self._db.execute(_INSERT_EVENT, _columns(row)).rows[0].id
        if orgs:
            self._db.execute(
                insert(AuditEventOrg).values(
                    [{"org_id": org, "event_id": row.id} for org in sorted(orgs)]
                )
            )
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
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
    ) -> list[AuditEvent]:
        """Matching events, newest first; ``org_id``: the events that organisation sees."""
        where = AuditFilter(event=event, user_id=user_id, since=since, until=until)
        query = _select(org_id, where)
        query = query.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()).limit(limit)
        with self._db.session() as session:
            return list(session.scalars(query))

    def orgs_of(self, event_id: int) -> list[str]:
        """The organisations that see the event, by id."""
        with self._db.session() as session:
            query = select(AuditEventOrg.org_id).where(AuditEventOrg.event_id == event_id)
            return sorted(session.scalars(query))

    def stream(
        self, org_id: str, where: AuditFilter, *, batch: int = STREAM_BATCH
    ) -> Iterator[AuditEvent]:
        """Every matching event the organisation sees, oldest first, read ``batch`` at a time
        (one short transaction each outside a unit of work), never all at once."""
        after: tuple[datetime, int] | None = None
        while True:
            query = _select(org_id, where)
            if after is not None:
                query = query.where(
                    (AuditEvent.occurred_at > after[0])
                    | ((AuditEvent.occurred_at == after[0]) & (AuditEvent.id > after[1]))
                )
            query = query.order_by(AuditEvent.occurred_at, AuditEvent.id).limit(batch)
            with self._db.session() as session:
                rows = list(session.scalars(query))
            yield from rows
            if len(rows) < batch:
                return
            after = (rows[-1].occurred_at, rows[-1].id)

    def prune(self, before: datetime, *, dry_run: bool = False) -> int:
        """Delete the events that happened before ``before`` (and their organisations' links);
        the number of events deleted, or with ``dry_run`` that would be."""
        old = select(AuditEvent.id).where(AuditEvent.occurred_at < before)
        with self._db.session() as session:
            count = session.scalar(select(func.count()).select_from(old.subquery())) or 0
            if dry_run or not count:
                return count
            session.execute(delete(AuditEventOrg).where(AuditEventOrg.event_id.in_(old)))
            session.execute(delete(AuditEvent).where(AuditEvent.occurred_at < before))
        return count


#: The columns a new event's row is written with (all but its id).
_EVENT_COLUMNS = tuple(c.key for c in AuditEvent.__table__.columns if c.key != "id")
_INSERT_EVENT = insert(AuditEvent).returning(AuditEvent.id)


def _columns(row: AuditEvent) -> dict[str, Any]:
    return {key: getattr(row, key) for key in _EVENT_COLUMNS}


def _select(org_id: str | None, where: AuditFilter) -> Select[AuditEvent]:
    query = select(AuditEvent)
    if org_id is not None:
        query = query.join(AuditEventOrg, AuditEventOrg.event_id == AuditEvent.id).where(
            AuditEventOrg.org_id == org_id
        )
    if where.user_id is not None:
        query = query.where(AuditEvent.user_id == where.user_id)
    if where.event is not None:
        query = query.where(AuditEvent.event == where.event)
    if where.since is not None:
        query = query.where(AuditEvent.occurred_at >= where.since)
    if where.until is not None:
        query = query.where(AuditEvent.occurred_at < where.until)
    return query
