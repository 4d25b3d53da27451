"""Lockout (R8): failure counters per account across every session and IP, and a durable lock.
The per-IP throttle is ``bridge.services.ip_throttle``; the policy is ``lockout_policy``.

Counting is atomic and happens *before* a guess is judged: ``attempt`` takes a numbered slot
from the ephemeral store's ``incr``, and only slots up to the threshold may be evaluated, so 20
parallel wrong codes against a threshold of 3 evaluate exactly 3 and lock once::

    attempt = lockout.attempt(user_id, "code", policy)
    if not attempt.allowed:
        ...                                   # locked, or over the threshold: do not evaluate
    elif code_is_right:
        lockout.succeeded(attempt)
    else:
        outcome = lockout.failed(attempt, policy)   # RETRY, LOCKED or RESTART

Wrong recovery codes are wrong codes (``kind="code"``). A locked account may still have its
password evaluated (``attempt.allowed`` with ``attempt.locked``) so that the login page can show
the same message as for a wrong password until the password is right, and only then say that an
admin must unlock it; it never signs in. The lock is durable (``users.locked_at`` plus an
``account_locks`` row saying why and until when); the counters are ephemeral.

Audit and mail: ``account_locked`` and ``account_unlocked`` are recorded here, and the user is
e-mailed when the account locks or is unlocked (when a ``Mailer`` is given). Who may unlock is
the caller's check (``bridge.services.orgs`` access rules).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from bridge.domain.clock import Clock, utc_datetime
from bridge.domain.events import AuditEventName
from bridge.mail import Mailer
from bridge.services.audit import AuditLog
from bridge.services.ip_throttle import THROTTLE as THROTTLE  # re-exported
from bridge.services.ip_throttle import IpThrottle
from bridge.services.ip_throttle import Submission as Submission  # re-exported
from bridge.services.lockout_policy import KINDS
from bridge.services.lockout_policy import MAX_THRESHOLD as MAX_THRESHOLD  # re-exported
from bridge.services.lockout_policy import Action as Action  # re-exported
from bridge.services.lockout_policy import Kind as Kind  # re-exported
from bridge.services.lockout_policy import LockoutPolicy as LockoutPolicy  # re-exported
from bridge.storage.db.engine import Database, affected_rows
from bridge.storage.db.models import AccountLock, User
from bridge.storage.db.unit import when_abandoned
from bridge.storage.ephemeral.base import EphemeralStore


class Outcome(enum.Enum):
    RETRY = "retry"  # wrong; the user may try again
    LOCKED = "locked"  # the account is locked now
    RESTART = "restart"  # the login ends; start again (action "restart")


@dataclass(frozen=True)
class Attempt:
    user_id: str
    kind: Kind
    number: int  # this guess's slot among the counted failures; 0 when not counted
    allowed: bool  # evaluate the guess only when True
    locked: bool  # the account is locked (durably)


@dataclass(frozen=True)
class Lock:
    user_id: str
    reason: str  # "passwords", "codes", or "admin" when set elsewhere
    locked_at: datetime
    expires_at: datetime | None  # None: until an admin unlocks


def _counter(kind: Kind, user_id: str) -> str:
    return f"lockout:{kind}:{user_id}"


def _readable(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M UTC")


class Lockout(IpThrottle):
    """The account lockout, with the per-IP throttle of the submissions it counts."""

    def __init__(
        self,
        db: Database,
        store: EphemeralStore,
        clock: Clock,
        audit: AuditLog,
        *,
        mailer: Mailer | None = None,
        ip_limit: int = 30,
        ip_window: int = 60,
    ) -> None:
        super().__init__(store, ip_limit=ip_limit, ip_window=ip_window)
        self._db = db
        self._clock = clock
        self._audit = audit
        self._mailer = mailer

    # --- the counters ---------------------------------------------------------------------

    def attempt(
        self,
        user_id: str,
        kind: Kind,
        policy: LockoutPolicy,
        *,
        locked: bool | None = None,
        submission: Submission | None = None,
    ) -> Attempt:
        """Reserve a slot for one guess before it is evaluated (see the module docstring).

        ``locked``: whether ``users.locked_at`` is set, when the caller read the user in this
        request already (False spares the query); None: read it here. ``submission``: the
        login submission this guess belongs to (``succeeded``).
        """
        if locked is not False and self.status(user_id) is not None:
            return Attempt(user_id, kind, 0, allowed=kind == "password", locked=True)
        counter = _counter(kind, user_id)
        if submission is not None and counter in submission.forgiven:
            # Forgiven earlier in this submission: forgotten now, so that this guess counts
            # from one as it would have had the deletion not waited for ``settle``.
            submission.forgiven.remove(counter)
            self._store.delete(counter)
        number = self._store.incr(counter, policy.window)
        # A request that a store outage ends (503) did not happen: its slot is given back.
        when_abandoned(lambda: self._store.decr(counter))
        return Attempt(
            user_id, kind, number, allowed=number <= policy.threshold(kind), locked=False
        )

    def failed(
        self,
        attempt: Attempt,
        policy: LockoutPolicy,
        *,
        ip: str | None = None,
        user_agent: str | None = None,
    ) -> Outcome:
        """The guess of ``attempt`` was wrong: what happens now."""
        if attempt.locked:
            return Outcome.LOCKED
        if not attempt.allowed:  # refused unjudged: no side effects
            return Outcome.RESTART if policy.action == "restart" else Outcome.LOCKED
        if attempt.number < policy.threshold(attempt.kind):
            return Outcome.RETRY
        if policy.action == "restart":
            self._store.delete(_counter(attempt.kind, attempt.user_id))
            return Outcome.RESTART
        # The guess that reached the threshold locks.
        until = None
        if policy.action == "timed":
            until = utc_datetime(self._clock) + timedelta(minutes=policy.lock_minutes)
        self.lock(
            attempt.user_id,
            reason="passwords" if attempt.kind == "password" else "codes",
            until=until,
            ip=ip,
            user_agent=user_agent,
        )
        return Outcome.LOCKED

    def succeeded(self, attempt: Attempt, submission: Submission | None = None) -> None:
        """The guess was right: its kind's failures are forgiven, at once or, within a login
        ``submission``, when it is settled (a later guess of that kind in the same submission
        forgets them first: ``attempt``)."""
        if attempt.locked:
            return
        counter = _counter(attempt.kind, attempt.user_id)
        if submission is None:
            self._store.delete(counter)
        elif counter not in submission.forgiven:
            submission.forgiven.append(counter)

    def reset(self, user_id: str) -> None:
        for kind in KINDS:
            self._store.delete(_counter(kind, user_id))

    # --- the durable lock -----------------------------------------------------------------

    def lock(
        self,
        user_id: str,
        *,
        reason: str,
        until: datetime | None = None,
        actor_id: str | None = None,
        ip: str | None = None,
        user_agent: str | None = None,
    ) -> bool:
        """Lock the account; True when this call locked it (False: it already was)."""
        now = utc_datetime(self._clock)
        with self._db.session() as session:
            result = session.execute(
                update(User)
                .where(User.id == user_id, User.locked_at.is_(None))
                .values(locked_at=now)
                .execution_options(synchronize_session=False)
            )
            if affected_rows(result) != 1:
                return False
            session.execute(delete(AccountLock).where(AccountLock.user_id == user_id))
            session.add(
                AccountLock(user_id=user_id, reason=reason, locked_at=now, expires_at=until)
            )
            user = session.get(User, user_id)
            email, username = (user.email, user.username) if user else (None, user_id)
            language = user.language if user else None
        self._audit.record(
            AuditEventName.ACCOUNT_LOCKED,
            user_id=user_id,
            actor_id=actor_id,
            ip=ip,
            user_agent=user_agent,
            reason=reason,
            details={"until": until.isoformat() if until else None},
        )
        if self._mailer is not None:
            self._mailer.notify(
                "account_locked",
                to=email,
                language=language,
                user_id=user_id,
                username=username,
                when=_readable(now),
                reason=reason,
                until=_readable(until) if until else None,
            )
        return True

    def status(self, user_id: str) -> Lock | None:
        """The account's lock, or None; a timed lock that has run out is lifted here."""
        now = utc_datetime(self._clock)
        with self._db.session() as session:
            locked_at = session.scalar(select(User.locked_at).where(User.id == user_id))
            if locked_at is None:
                return None
            row = session.get(AccountLock, user_id)
            if row is None or row.locked_at != locked_at:
                return Lock(user_id, "admin", locked_at, None)
            lock = Lock(user_id, row.reason, row.locked_at, row.expires_at)
        if lock.expires_at is not None and lock.expires_at <= now:
            self._lift(user_id, locked_at, actor_id=None, reason="lock_expired")
            return None
        return lock

    def is_locked(self, user_id: str) -> bool:
        return self.status(user_id) is not None

    def unlock(
        self,
        user_id: str,
        *,
        actor_id: str | None,
        ip: str | None = None,
        user_agent: str | None = None,
    ) -> bool:
        """Lift the lock (an admin's action; the caller checks the right). False: not locked."""
        with self._db.session() as session:
            locked_at = session.scalar(select(User.locked_at).where(User.id == user_id))
        if locked_at is None:
            self.reset(user_id)
            return False
        return self._lift(user_id, locked_at, actor_id=actor_id, ip=ip, user_agent=user_agent)

    def _lift(
        self,
        user_id: str,
        locked_at: datetime,
        *,
        actor_id: str | None,
        reason: str | None = None,
        ip: str | None = None,
        user_agent: str | None = None,
    ) -> bool:
        with self._db.session() as session:
            result = session.execute(
                update(User)
                .where(User.id == user_id, User.locked_at == locked_at)
                .values(locked_at=None)
                .execution_options(synchronize_session=False)
            )
            if affected_rows(result) != 1:
                return False  # someone else lifted (or renewed) it first
            session.execute(delete(AccountLock).where(AccountLock.user_id == user_id))
            user = session.get(User, user_id)
            email, username = (user.email, user.username) if user else (None, user_id)
            language = user.language if user else None
        self.reset(user_id)
        self._audit.record(
            AuditEventName.ACCOUNT_UNLOCKED,
            user_id=user_id,
            actor_id=actor_id,
            ip=ip,
            user_agent=user_agent,
            reason=reason,
        )
        if self._mailer is not None:
            self._mailer.notify(
                "account_unlocked",
                to=email,
                language=language,
                user_id=user_id,
                username=username,
                when=_readable(utc_datetime(self._clock)),
            )
        return True
