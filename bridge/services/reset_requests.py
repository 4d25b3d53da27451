"""Reset requests (R13): a user who lost the second factor asks the organisation's admins.

``request`` stores a pending request (one per user and organisation), records
``mfa_reset_requested`` and e-mails every admin of the organisation. ``approve`` turns a pending
request into a reset in one transaction: the TOTP credential, the recovery codes and the trusted
browsers go, and the user enrols again at the next login; it records ``mfa_reset_approved`` and
``mfa_reset`` and e-mails the user.

``approve`` authorises its acting user itself, with the ``bridge.services.orgs`` access rule: an
admin of
the request's organisation (or of the partner that manages it, R15; ``NotAnAdmin`` otherwise), so
the admin API and the console cannot disagree about who may approve. It also refuses approving
one's own request, a request of another organisation, and deciding a request twice.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bridge.domain.clock import Clock, utc_datetime
from bridge.domain.errors import Conflict, NotFound
from bridge.domain.events import AuditEventName
from bridge.domain.wording import N_
from bridge.mail import Mailer
from bridge.services.app_passwords import delete_app_passwords
from bridge.services.audit import AuditLog
from bridge.services.orgs.access import Actor, authorise
from bridge.services.orgs.second_factors import wipe_second_factors
from bridge.storage.db.engine import Database, affected_rows
from bridge.storage.db.models import Membership, Organisation, ResetRequest, User

MAX_MESSAGE = 500


class ResetRequestError(Conflict):
    """The request cannot be made or decided; the message says why."""

    code = "reset-request"
    title = N_("Reset request refused")


class UnknownResetRequestError(NotFound, ResetRequestError):
    """No such request in this organisation."""

    code = ResetRequestError.code
    title = ResetRequestError.title


def _readable(clock: Clock) -> str:
    return utc_datetime(clock).strftime("%Y-%m-%d %H:%M UTC")


def _pending(session: Session, org_id: str) -> list[ResetRequest]:
    return list(
        session.scalars(
            select(ResetRequest)
            .where(ResetRequest.org_id == org_id, ResetRequest.status == "pending")
            .order_by(ResetRequest.requested_at, ResetRequest.id)
        )
    )


class ResetRequests:
    def __init__(
        self, db: Database, clock: Clock, audit: AuditLog, *, mailer: Mailer | None = None
    ) -> None:
        self._db = db
        self._clock = clock
        self._audit = audit
        self._mailer = mailer

    def request(
        self,
        user_id: str,
        org_id: str,
        *,
        message: str | None = None,
        ip: str | None = None,
        user_agent: str | None = None,
        approve_url: str | None = None,
    ) -> ResetRequest:
        """Ask the admins of ``org_id``; a second request while one is pending returns that one."""
        text = " ".join((message or "").split())[:MAX_MESSAGE] or None
        with self._db.session() as session:
            member = session.get(Membership, (org_id, user_id))
            if member is None:
                raise ResetRequestError(N_("Only a member of the organisation can ask its admins."))
            existing = session.scalar(
                select(ResetRequest).where(
                    ResetRequest.user_id == user_id,
                    ResetRequest.org_id == org_id,
                    ResetRequest.status == "pending",
                )
            )
            if existing is not None:
                return existing
            row = ResetRequest(
                id=uuid.uuid4().hex,
                user_id=user_id,
                org_id=org_id,
                status="pending",
                message=text,
                requested_at=utc_datetime(self._clock),
            )
            session.add(row)
            user = session.get(User, user_id)
            org = session.get(Organisation, org_id)
            admins = list(
                session.scalars(
                    select(User)
                    .join(Membership, Membership.user_id == User.id)
                    .where(Membership.org_id == org_id, Membership.role == "admin")
                    .where(User.id != user_id, User.disabled.is_(False))
                )
            )
        self._audit.record(
            AuditEventName.MFA_RESET_REQUESTED,
            user_id=user_id,
            actor_id=user_id,
            org_id=org_id,
            ip=ip,
            user_agent=user_agent,
            details={"request_id": row.id},
        )
        if self._mailer is not None and user is not None and org is not None:
            for admin in admins:
                self._mailer.notify(
                    "reset_requested",
                    to=admin.email,
                    language=admin.language,
                    user_id=admin.id,
                    username=user.username,
                    email=user.email,
                    org_name=org.name,
                    when=_readable(self._clock),
                    message=text or "",
                    url=approve_url,
                )
        return row

    def get(self, request_id: str) -> ResetRequest | None:
        with self._db.session() as session:
            return session.get(ResetRequest, request_id)

    def pending(self, org_id: str) -> list[ResetRequest]:
        """The organisation's open requests, oldest first."""
        with self._db.session() as session:
            return _pending(session, org_id)

    def awaiting(self, actor: Actor, org: str) -> list[ResetRequest]:
        """The open requests of the organisation ``org`` (a slug), for an admin of it
        (``OrgProblem`` otherwise): what the admin API and the console list."""
        with self._db.session() as session:
            return _pending(session, authorise(session, actor, org).org.id)

    def pending_for_user(self, user_id: str) -> list[ResetRequest]:
        with self._db.session() as session:
            return list(
                session.scalars(
                    select(ResetRequest).where(
                        ResetRequest.user_id == user_id, ResetRequest.status == "pending"
                    )
                )
            )

    def approve(self, actor: Actor, org: str, request_id: str) -> ResetRequest:
        """Approve a request of the organisation ``org`` (a slug) and reset the factor, if the
        actor is an admin of it (``OrgProblem`` otherwise)."""
        now = utc_datetime(self._clock)
        approved_by = actor.user_id
        with self._db.session() as session:
            org_id = authorise(session, actor, org).org.id
            row = session.get(ResetRequest, request_id)
            if row is None or row.org_id != org_id:
                raise UnknownResetRequestError(N_("No such reset request."))
            if row.user_id == approved_by:
                raise ResetRequestError(N_("Another admin must approve your own reset request."))
            result = session.execute(
                update(ResetRequest)
                .where(ResetRequest.id == request_id, ResetRequest.status == "pending")
                .values(status="approved", decided_at=now, decided_by=approved_by)
                .execution_options(synchronize_session=False)
            )
            if affected_rows(result) != 1:
                raise ResetRequestError(N_("The request was already decided."))
            # Another pending request of the same user (other organisation) is settled too.
            session.execute(
                update(ResetRequest)
                .where(ResetRequest.user_id == row.user_id, ResetRequest.status == "pending")
                .values(status="approved", decided_at=now, decided_by=approved_by)
                .execution_options(synchronize_session=False)
            )
            # The same wipe as an admin's reset: nothing that skips or replaces the factor stays.
            removed = wipe_second_factors(session, [row.user_id]).as_json()
            # A reset revokes the app passwords too (issue 12).
            app_passwords = delete_app_passwords(session, [row.user_id])
            user = session.get(User, row.user_id)
            session.refresh(row)
        for event in (AuditEventName.MFA_RESET_APPROVED, AuditEventName.MFA_RESET):
            self._audit.record(
                event,
                user_id=row.user_id,
                actor_id=approved_by,
                org_id=row.org_id,
                ip=actor.ip,
                user_agent=actor.user_agent,
                reason="reset_request",
                details={
                    "request_id": row.id,
                    "removed": removed,
                    "app_passwords_revoked": app_passwords,
                },
            )
        if self._mailer is not None and user is not None:
            self._mailer.notify(
                "reset_approved",
                to=user.email,
                language=user.language,
                user_id=user.id,
                username=user.username,
                when=_readable(self._clock),
            )
        return row

    def cancel(self, request_id: str, user_id: str) -> bool:
        """The user withdraws a pending request (found the phone)."""
        with self._db.session() as session:
            result = session.execute(
                update(ResetRequest)
                .where(
                    ResetRequest.id == request_id,
                    ResetRequest.user_id == user_id,
                    ResetRequest.status == "pending",
                )
                .values(status="cancelled", decided_at=utc_datetime(self._clock))
                .execution_options(synchronize_session=False)
            )
            return affected_rows(result) == 1
