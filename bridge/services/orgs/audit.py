"""An organisation's audit log for its admins: the events it sees, filtered, and exported.

``AuditSearch`` is the filter every face parses its input into (the admin API's and the
console's query, the CLI's options): an event name, a username, a time range. ``OrgAudit``
authorises the actor (an admin of the organisation, of its partner, or the operator) before it
reads anything; an export is authorised at once and then read lazily, batch by batch, while the
caller sends it. Pruning by the retention setting is the operator's.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, ValidationInfo, model_validator
from pydantic.json_schema import SkipJsonSchema
from sqlalchemy import select

from bridge.domain.clock import Clock, utc_datetime
from bridge.domain.events import AuditEventName
from bridge.domain.wording import N_, Phrase
from bridge.services.account.pseudonyms import is_pseudonym
from bridge.services.audit import AuditFilter, AuditLog
from bridge.services.audit_export import MEDIA_TYPES, ExportFormat, export_lines
from bridge.services.orgs.access import Actor, authorise
from bridge.services.orgs.errors import InvalidInput
from bridge.services.orgs.validation import Body, refuse
from bridge.services.users import normalise_username
from bridge.storage.db.engine import Database
from bridge.storage.db.models import AuditEvent, User

EVENT_NAMES = tuple(name.value for name in AuditEventName)
FILTERS = ("event", "user", "since", "until")


def _moment(raw: Any, name: str, zone: tzinfo) -> datetime:
    """An ISO 8601 date or date and time; without an offset it is a time in ``zone``."""
    if isinstance(raw, datetime):
        return raw if raw.tzinfo else raw.replace(tzinfo=zone)
    try:
        moment = datetime.fromisoformat(raw) if isinstance(raw, str) and raw.isascii() else None
        if moment is not None:
            # As UTC, so every store compares alike; year 1 with a positive offset has none.
            moment = (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(UTC)
    except (ValueError, OverflowError):
        moment = None
    if moment is None:
        refuse(
            Phrase(
                "'%(field)s' must be an ISO 8601 date or date and time, such as "
                "2026-01-31 or 2026-01-31T08:00:00Z.",
                field=name,
            ),
            name,
        )
    return moment


def _zone_of(info: ValidationInfo) -> tzinfo:
    """The zone of times given without an offset: the caller's ``zone`` (the console's admin
    reads their own), else UTC (the admin API and the CLI)."""
    zone = (info.context or {}).get("zone")
    return zone if isinstance(zone, tzinfo) else UTC


if TYPE_CHECKING:
    EventName = str
else:  # the enum's values, so the OpenAPI document lists them
    EventName = Literal[EVENT_NAMES]


class AuditSearch(Body):
    """Which events to list: every given filter holds (``since`` inclusive, ``until``
    exclusive; a username that matches no user matches no event; a deleted account's
    pseudonym, ``deleted-...``, matches its events). A time without an offset is in the
    validation context's ``zone`` (a ``tzinfo``), else UTC."""

    model_config = Body.model_config | {"extra": "ignore"}

    event: EventName | SkipJsonSchema[None] = Field(default=None, description="An event name")
    user: str | SkipJsonSchema[None] = Field(
        default=None, description="A username, or a deleted account's pseudonym"
    )
    since: datetime | SkipJsonSchema[None] = Field(
        default=None, description="Events at or after this time (ISO 8601; UTC if no zone)"
    )
    until: datetime | SkipJsonSchema[None] = Field(
        default=None, description="Events before this time (ISO 8601; UTC if no zone)"
    )

    @model_validator(mode="before")
    @classmethod
    def _check_filters(cls, raw: Any, info: ValidationInfo) -> Any:
        if not isinstance(raw, dict):
            refuse(N_("The filters must be an object."))
        given = {name: raw[name] for name in FILTERS if raw.get(name) not in (None, "")}
        event = given.get("event")
        if event is not None and event not in EVENT_NAMES:
            refuse(
                Phrase(
                    "'%(field)s' must be one of: %(choices)s.",
                    field="event",
                    choices=", ".join(EVENT_NAMES),
                ),
                "event",
            )
        user = given.get("user")
        if user is not None and (not isinstance(user, str) or len(user) > 200 or "\x00" in user):
            refuse(Phrase("'%(field)s' must be a username.", field="user"), "user")
        for name in ("since", "until"):
            if name in given:
                given[name] = _moment(given[name], name, _zone_of(info))
        if "since" in given and "until" in given and given["since"] >= given["until"]:
            refuse(
                Phrase(
                    "'%(field)s' must be before '%(other_field)s'.",
                    field="since",
                    other_field="until",
                ),
                "since",
            )
        return {**{k: v for k, v in raw.items() if k not in FILTERS}, **given}


@dataclass(frozen=True)
class Export:
    """An export ready to send: its media type, a file name, and its lines (read lazily)."""

    media_type: str
    filename: str
    lines: Iterator[str]


@dataclass(frozen=True)
class Pruned:
    before: datetime
    count: int
    dry_run: bool


class OrgAudit:
    def __init__(
        self, db: Database, clock: Clock, audit: AuditLog, *, retention_days: int | None = None
    ) -> None:
        self._db = db
        self._clock = clock
        self._audit = audit
        self.retention_days = retention_days

    def events(
        self, actor: Actor, slug: str, search: AuditSearch | None = None, *, limit: int = 100
    ) -> list[AuditEvent]:
        """The events the organisation sees that match, newest first."""
        org_id, where = self._open(actor, slug, search or AuditSearch())
        if where is None:
            return []
        return self._audit.events(
            org_id=org_id,
            event=where.event,
            user_id=where.user_id,
            since=where.since,
            until=where.until,
            limit=limit,
        )

    def export(self, actor: Actor, slug: str, search: AuditSearch, fmt: ExportFormat) -> Export:
        """Every matching event the organisation sees, oldest first, in ``fmt``. The actor is
        authorised now; the events are read while the lines are consumed."""
        org_id, where = self._open(actor, slug, search)
        events = iter(()) if where is None else self._audit.stream(org_id, where)
        stamp = utc_datetime(self._clock).strftime("%Y%m%dT%H%M%SZ")
        return Export(MEDIA_TYPES[fmt], f"{slug}-audit-{stamp}.{fmt}", export_lines(events, fmt))

    def prune(self, actor: Actor, *, dry_run: bool = False) -> Pruned:
        """Delete every event older than ``audit.retention_days`` (the operator's)."""
        actor.require_operator(N_("Pruning the audit log"))
        if self.retention_days is None:
            raise InvalidInput(
                N_("audit.retention_days is not set: the audit log is kept for ever."),
                field="audit.retention_days",
            )
        before = utc_datetime(self._clock) - timedelta(days=self.retention_days)
        return Pruned(before, self._audit.prune(before, dry_run=dry_run), dry_run)

    def _open(self, actor: Actor, slug: str, search: AuditSearch) -> tuple[str, AuditFilter | None]:
        """The organisation's id once the actor may read its log, and the filter (None: an
        unknown username, which matches nothing)."""
        with self._db.session() as session:
            org_id = authorise(session, actor, slug).org.id
            user_id = None
            if search.user is not None:
                name = normalise_username(search.user)
                user_id = session.scalar(select(User.id).where(User.username == name))
                if user_id is None and is_pseudonym(name):
                    user_id = name  # a deleted account's events (issue 14)
                if user_id is None:
                    return org_id, None
        return org_id, AuditFilter(search.event, user_id, search.since, search.until)
