"""Lockout (R8): failure counters per account across every session and IP, a durable lock, and
per-IP throttling.

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
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete, select, update

from bridge.domain.clock import Clock, utc_datetime
from bridge.domain.events import AuditEventName
from bridge.mail import Mailer
from bridge.services.audit import AuditLog
from bridge.storage.db.engine import Database, affected_rows
from bridge.storage.db.models import AccountLock, Organisation, User
from bridge.storage.db.unit import when_abandoned
from bridge.storage.ephemeral.base import EphemeralStore, JsonObject, Put

Kind = Literal["password", "code"]
Action = Literal["lock", "restart", "timed"]
KINDS: tuple[Kind, ...] = ("password", "code")
#: NIST SP 800-63B 5.2.2: at most 100 consecutive failed attempts on one account.
MAX_THRESHOLD = 100


#: The store key prefix of an address's per-IP throttle window.
THROTTLE = "throttle:ip:"


@dataclass(frozen=True)
class LockoutPolicy:
    """What the caller's organisation chose; the defaults are seed 001's."""

    password_failures: int = 5
    code_failures: int = 3
    action: Action = "lock"
    lock_minutes: int = 15  # for action "timed"
    window: int = 86_400  # seconds a counter lives from its first failure

    def __post_init__(self) -> None:
        for name in ("password_failures", "code_failures"):
            value = getattr(self, name)
            if not 1 <= value <= MAX_THRESHOLD:
                raise ValueError(f"{name} must be between 1 and {MAX_THRESHOLD}, got {value}")
        if self.action not in ("lock", "restart", "timed"):
            raise ValueError(f"action must be lock, restart or timed, got {self.action!r}")
        if not 1 <= self.lock_minutes <= 10_080:
            raise ValueError(f"lock_minutes must be between 1 and 10080, got {self.lock_minutes}")
        if not 60 <= self.window <= 2_592_000:
            raise ValueError(f"window must be between 60 and 2592000 s, got {self.window}")

    @classmethod
    def strictest(cls, organisations: Iterable[Organisation]) -> LockoutPolicy:
        """The policy for a user of these organisations (R14: the strictest one wins): the
        lowest thresholds, and a lock if any organisation locks. None: the defaults."""
        orgs = list(organisations)
        if not orgs:
            return cls()
        locks = any(org.lockout_action != "restart" for org in orgs)
        return cls(
            password_failures=min(org.lockout_password_failures for org in orgs),
            code_failures=min(org.lockout_code_failures for org in orgs),
            action="lock" if locks else "restart",
        )

    def threshold(self, kind: Kind) -> int:
        return self.password_failures if kind == "password" else self.code_failures


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


@dataclass
class Submission:
    """One login submission under the per-IP throttle (``admit``): whether it failed, the
    failure counters its right answers forgave, and the values it writes once judged (the
    login's state, a new browser session); ``settle`` writes those and deletes these in the
    same store call that gives its throttle slot back (issue 16: one round trip, not three)."""

    ip: str | None
    failed: bool = False
    forgiven: list[str] = field(default_factory=list)
    puts: list[Put] = field(default_factory=list)


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


class Lockout:
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
        if ip_limit < 1 or ip_window < 1:
            raise ValueError("ip_limit and ip_window must be at least 1")
        self._db = db
        self._store = store
        self._clock = clock
        self._audit = audit
        self._mailer = mailer
        self.ip_limit = ip_limit
        self.ip_window = ip_window

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

    # --- per-IP throttling ----------------------------------------------------------------
    # A login submission takes a slot of its address's window *before* it is judged and gives
    # it back when it did not fail. So at most ``ip_limit`` failed submissions are judged per
    # window, even when they all arrive at once, while successful logins (a busy office behind
    # one address) never use the window up.

    def admit(self, ip: str | None) -> int | None:
        """Take a slot for one submission from ``ip``: None when it may be judged, else the
        ``Retry-After`` seconds until the window ends (it is not judged, and holds no slot)."""
        slot = THROTTLE + (ip or "unknown")
        return self._refused(slot, self._store.incr(slot, self.ip_window))

    def admit_reading(self, ip: str | None, key: str) -> tuple[int | None, JsonObject | None]:
        """``admit``, and read ``key`` of the store in the same round trip (issue 16: the login
        a submission answers): the ``Retry-After`` or None, and the value of ``key``."""
        slot = THROTTLE + (ip or "unknown")
        number, value = self._store.incr_and_get(slot, self.ip_window, key)
        return self._refused(slot, number), value

    def _refused(self, slot: str, number: int) -> int | None:
        """None when the slot ``number`` of ``slot`` is within the limit; else the slot is given
        back and the ``Retry-After`` returned."""
        if number <= self.ip_limit:
            return None
        self._store.decr(slot)
        return max(1, self._store.ttl(slot) or self.ip_window)

    def give_back(self, ip: str | None) -> None:
        """The admitted submission did not fail: its slot is free again."""
        self._store.decr(THROTTLE + (ip or "unknown"))

    def settle(self, submission: Submission) -> None:
        """The admitted ``submission`` ended: its values are written, the failures it forgave
        deleted and, unless it failed, its slot is given back, in one store call. A failed one
        keeps its slot, unless a store outage answers 503: then the request did not happen."""
        slot = THROTTLE + (submission.ip or "unknown")
        puts, forgiven = submission.puts, submission.forgiven
        submission.puts, submission.forgiven = [], []
        if submission.failed:
            when_abandoned(lambda: self._store.decr(slot))
            if puts or forgiven:
                self._store.write_batch(put=puts, delete=forgiven)
        elif puts or forgiven:
            self._store.write_batch(put=puts, delete=forgiven, decr=slot)
        else:
            self._store.decr(slot)
