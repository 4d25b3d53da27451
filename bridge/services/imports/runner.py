"""Writing what a reader produced: one savepoint and one audit event per user, one per run.

A bad record never stops the others and is never half-written: each user's rows (the account,
its authenticator, memberships, federated links) are written in one ``Database.session()``
block, a SAVEPOINT inside the command's unit of work, and any refusal inside it undoes exactly
that user. ``dry_run`` reads the same way and writes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bridge.domain.clock import Clock, utc_datetime
from bridge.domain.errors import BridgeError, Conflict, InvalidInput
from bridge.domain.events import AuditEventName
from bridge.services.audit import AuditLog
from bridge.services.imports.records import ImportedUser, OrgSpec, Problem, Source
from bridge.services.orgs import Actor, OrgService
from bridge.services.totp import TotpService, check_imported
from bridge.services.users import valid_username
from bridge.storage.db.engine import Database
from bridge.storage.db.models import FederatedIdentity, Membership, Organisation, User

OnConflict = Literal["skip", "update", "report"]
ON_CONFLICT: tuple[OnConflict, ...] = ("skip", "update", "report")
ROLES = ("member", "admin")


@dataclass(frozen=True)
class Outcome:
    """What happened (or, in a dry run, would happen) to one user; never a secret."""

    position: str
    username: str
    action: Literal["create", "update", "skip"]
    changes: tuple[str, ...] = ()

    def __str__(self) -> str:
        detail = f" ({', '.join(self.changes)})" if self.changes else ""
        return f"{self.action} {self.username}{detail}"


@dataclass
class ImportReport:
    source: str
    dry_run: bool
    outcomes: list[Outcome] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.action == action)

    @property
    def summary(self) -> str:
        verb = "would be " if self.dry_run else ""
        return (
            f"{self.count('create')} {verb}created, {self.count('update')} {verb}updated, "
            f"{self.count('skip')} skipped, {len(self.problems)} not imported"
        )


class Importer:
    def __init__(
        self, db: Database, clock: Clock, audit: AuditLog, totp: TotpService, orgs: OrgService
    ) -> None:
        self._db = db
        self._clock = clock
        self._audit = audit
        self._totp = totp
        self._orgs = orgs

    def run(
        self, source: Source, *, on_conflict: OnConflict = "skip", dry_run: bool = False
    ) -> ImportReport:
        if on_conflict not in ON_CONFLICT:
            raise InvalidInput(f"on-conflict must be one of {', '.join(ON_CONFLICT)}")
        report = ImportReport(source.name, dry_run, problems=list(source.problems))
        report.notes.extend(source.notes)
        planned = self._organisations(source.organisations, report)
        for user in self._unique(source.users, report):
            try:
                outcome = self._one(user, on_conflict, dry_run=dry_run, planned_orgs=planned)
            except (BridgeError, ValueError) as error:
                report.problems.append(Problem(user.position, _reason(error)))
            except SQLAlchemyError as error:
                reason = f"the database refused it ({type(error).__name__})"
                report.problems.append(Problem(user.position, reason))
            else:
                report.outcomes.append(outcome)
        if not dry_run:
            self._audit.record(
                AuditEventName.USERS_IMPORTED,
                reason=source.name,
                details={
                    "source": source.name,
                    "files": list(source.files),
                    "on_conflict": on_conflict,
                    "created": report.count("create"),
                    "updated": report.count("update"),
                    "skipped": report.count("skip"),
                    "problems": len(report.problems),
                },
            )
        return report

    # --- organisations ------------------------------------------------------------------------

    def _organisations(self, specs: Iterable[OrgSpec], report: ImportReport) -> set[str]:
        """Create the organisations the source names and the bridge lacks; the slugs a dry run
        would create."""
        planned: set[str] = set()
        for spec in specs:
            with self._db.session() as session:
                exists = session.scalar(
                    select(Organisation.id).where(Organisation.slug == spec.slug)
                )
            if exists is not None:
                continue
            if report.dry_run:
                planned.add(spec.slug)
                report.notes.append(f"would create organisation {spec.slug}")
                continue
            try:
                self._orgs.create(
                    Actor.operator(),
                    spec.slug,
                    spec.name,
                    kind=spec.kind,
                    mode=spec.mode,
                    parent=spec.parent,
                )
                for domain in spec.verified_domains:
                    self._orgs.add_domain(Actor.operator(), spec.slug, domain)
                if spec.policy:
                    self._orgs.update_policy(Actor.operator(), spec.slug, dict(spec.policy))
            except BridgeError as error:
                report.problems.append(Problem(f"organisation {spec.slug}", _reason(error)))
            else:
                report.notes.append(f"created organisation {spec.slug}")
        return planned

    # --- users ----------------------------------------------------------------------------------

    @staticmethod
    def _unique(users: Iterable[ImportedUser], report: ImportReport) -> Iterable[ImportedUser]:
        """A username twice in one source: the first wins, the second is reported."""
        seen: dict[str, str] = {}
        for user in users:
            key = user.username.strip().casefold()
            if key in seen:
                reason = f"username {key!r} appears twice (first at {seen[key]})"
                report.problems.append(Problem(user.position, reason))
                continue
            seen[key] = user.position
            yield user

    def _one(
        self, user: ImportedUser, on_conflict: OnConflict, *, dry_run: bool, planned_orgs: set[str]
    ) -> Outcome:
        username = valid_username(user.username)
        if user.totp is not None:
            totp = user.totp
            check_imported(
                totp.secret, algorithm=totp.algorithm, digits=totp.digits, period=totp.period
            )
        for membership in user.memberships:
            if membership.role not in ROLES:
                raise InvalidInput(f"role {membership.role!r} is not member or admin")
        changes = _changes(user)
        with self._db.session() as session:
            row = session.scalar(select(User).where(User.username == username))
            if row is not None and on_conflict == "skip":
                return Outcome(user.position, username, "skip", ("exists",))
            if row is not None and on_conflict == "report":
                raise Conflict(f"a user named {username!r} exists")
            action: Literal["create", "update"] = "create" if row is None else "update"
            org_ids = self._org_ids(session, user, planned_orgs)
            self._check_links(session, user, row)
            if dry_run:
                return Outcome(user.position, username, action, changes)
            row = self._write_user(session, row, username, user)
            if user.totp is not None:
                self._totp.import_confirmed(
                    session,
                    row.id,
                    user.totp.secret,
                    algorithm=user.totp.algorithm,
                    digits=user.totp.digits,
                    period=user.totp.period,
                    last_used_step=user.totp.last_used_step,
                )
            self._write_memberships(session, row.id, user, org_ids)
            self._write_links(session, row.id, user)
            session.flush()
            user_id = row.id
        self._audit.record(
            AuditEventName.USER_IMPORTED,
            user_id=user_id,
            reason=action,
            details={"source_position": user.position, "changes": list(changes)},
        )
        return Outcome(user.position, username, action, changes)

    def _org_ids(
        self, session: Session, user: ImportedUser, planned_orgs: set[str]
    ) -> dict[str, str]:
        ids: dict[str, str] = {}
        for membership in user.memberships:
            org_id = session.scalar(
                select(Organisation.id).where(Organisation.slug == membership.org)
            )
            if org_id is None and membership.org not in planned_orgs:
                raise InvalidInput(f"organisation {membership.org!r} does not exist")
            ids[membership.org] = org_id or ""
        return ids

    @staticmethod
    def _check_links(session: Session, user: ImportedUser, row: User | None) -> None:
        for provider, subject in user.links:
            owner = session.scalar(
                select(FederatedIdentity.user_id).where(
                    FederatedIdentity.provider == provider, FederatedIdentity.subject == subject
                )
            )
            if owner is not None and (row is None or owner != row.id):
                raise Conflict(f"the {provider} identity {subject!r} is linked to another user")

    def _write_user(
        self, session: Session, row: User | None, username: str, user: ImportedUser
    ) -> User:
        now = utc_datetime(self._clock)
        if row is None:
            row = User(id=uuid.uuid4().hex, username=username, created_at=now)
            session.add(row)
        row.email = user.email
        row.email_verified = user.email_verified
        row.name = user.name
        row.disabled = user.disabled
        row.updated_at = now
        row.mfa_required = user.mfa_required or bool(row.mfa_required)
        row.service_account = user.service_account or bool(row.service_account)
        if user.password is not None:
            row.password_hash = user.password.stored
            row.password_imported_at = now
        elif user.native_password_hash is not None:
            row.password_hash = user.native_password_hash
            row.password_imported_at = None
        session.flush()
        return row

    def _write_memberships(
        self, session: Session, user_id: str, user: ImportedUser, org_ids: dict[str, str]
    ) -> None:
        now = utc_datetime(self._clock)
        for membership in user.memberships:
            org_id = org_ids[membership.org]
            existing = session.get(Membership, (org_id, user_id))
            if existing is None:
                session.add(
                    Membership(org_id=org_id, user_id=user_id, role=membership.role, created_at=now)
                )
            elif membership.role == "admin":
                existing.role = "admin"

    def _write_links(self, session: Session, user_id: str, user: ImportedUser) -> None:
        now = utc_datetime(self._clock)
        for provider, subject in user.links:
            exists = session.scalar(
                select(FederatedIdentity.id).where(
                    FederatedIdentity.provider == provider, FederatedIdentity.subject == subject
                )
            )
            if exists is None:
                session.add(
                    FederatedIdentity(
                        id=uuid.uuid4().hex,
                        provider=provider,
                        subject=subject,
                        user_id=user_id,
                        created_at=now,
                        last_login_at=now,
                    )
                )


def _changes(user: ImportedUser) -> tuple[str, ...]:
    """What the per-user line and audit event say: kinds and parameters, never a secret."""
    changes: list[str] = []
    if user.password is not None:
        changes.append(f"password: {user.password.scheme}")
    elif user.native_password_hash is not None:
        changes.append("password: argon2id")
    if user.totp is not None:
        totp = user.totp
        changes.append(f"totp: {totp.algorithm}/{totp.digits}/{totp.period}s")
    if user.memberships:
        orgs = " ".join(f"{m.org}:{m.role}" for m in user.memberships)
        changes.append(f"orgs: {orgs}")
    if user.links:
        changes.append(f"links: {' '.join(provider for provider, _ in user.links)}")
    if user.disabled:
        changes.append("disabled")
    return tuple(changes)


def _reason(error: Exception) -> str:
    if isinstance(error, BridgeError):
        return error.message
    return str(error)
