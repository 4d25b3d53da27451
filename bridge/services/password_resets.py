"""Forgot password (issue 14): the single-use links that let a person set a new password.

``request`` takes a username or an e-mail address and answers nothing: whether or not an
account matched, whether or not a mail went out, the caller shows the same page, and the call
takes at least ``RESPONSE_FLOOR`` seconds, so neither the answer nor its timing tells which
accounts exist. A link goes out only to an account that may reset (``refusal`` says why not,
for the audit log), at most ``mails_per_hour`` times an hour per account.

A link's token is 256 random bits, stored as its SHA-256; it works for ``ttl`` seconds, once,
for the user it was made for, and only while that user's password is the one it was made
against (``password_fingerprint``): a changed password, a newer link or its use voids it. The
URL is built from the configured issuer, never from the request's Host or X-Forwarded-* headers.

Setting the new password (``bridge.services.account.passwords``) never signs anybody in: the
login flow judges the new password afterwards and asks for the second factor as it always does.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update

from bridge.domain.clock import Clock, utc_datetime
from bridge.domain.errors import LoginExpired
from bridge.domain.events import AuditEventName
from bridge.domain.wording import N_
from bridge.mail import Mailer
from bridge.services.audit import AuditLog
from bridge.storage.db.engine import Database, affected_rows
from bridge.storage.db.models import Membership, Organisation, PasswordReset, User
from bridge.storage.ephemeral.base import EphemeralStore

#: The least time ``request`` takes, whatever it found (seconds of real time).
RESPONSE_FLOOR = 0.25
#: The store key prefix of an account's hourly count of reset mails.
MAILS = "password-reset:mails:"
LINK_PATH = "/password/reset/"


class ResetLinkInvalid(LoginExpired):
    """The link is unknown, used, expired, or void; one message for all, it tells nothing."""

    code = "reset-link-invalid"
    title = N_("This link no longer works")

    def __init__(self) -> None:
        super().__init__(
            N_(
                "This password reset link was used, has expired or was replaced by a newer one. "
                "Ask for a new one."
            )
        )


@dataclass(frozen=True)
class ResetTicket:
    """An open link: whose it is and the login it was asked from."""

    reset_id: str
    user_id: str
    username: str
    flow_id: str | None
    fingerprint: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def fingerprint(password_hash: str | None) -> str:
    return hashlib.sha256((password_hash or "").encode()).hexdigest()


class PasswordResets:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        audit: AuditLog,
        mailer: Mailer,
        store: EphemeralStore,
        *,
        issuer: str,
        ttl: int = 15 * 60,
        mails_per_hour: int = 3,
    ) -> None:
        self._db = db
        self._clock = clock
        self._audit = audit
        self._mailer = mailer
        self._store = store
        self._issuer = issuer.rstrip("/")
        self.ttl = ttl
        self.mails_per_hour = mails_per_hour

    # --- asking for a link -------------------------------------------------------------------

    def request(
        self,
        identifier: str,
        *,
        flow_id: str | None = None,
        ip: str | None = None,
        user_agent: str | None = None,
    ) -> None:
        """Mail a link to the account ``identifier`` names, if it may have one; answer nothing."""
        started = time.monotonic()
        try:
            user = self.account_for(identifier)
            if user is not None:
                self._offer(user, flow_id, ip=ip, user_agent=user_agent)
        finally:
            remaining = RESPONSE_FLOOR - (time.monotonic() - started)
            if remaining > 0:
                time.sleep(remaining)

    def account_for(self, identifier: str) -> User | None:
        """The account of a username, else of an e-mail address that exactly one account has
        (case-insensitive)."""
        text = identifier.strip()
        if not text or len(text) > 320:
            return None
        with self._db.reading() as session:
            user = session.scalar(select(User).where(User.username == text.casefold()))
            if user is not None or "@" not in text:
                return user
            matches = list(
                session.scalars(select(User).where(func.lower(User.email) == text.lower()).limit(2))
            )
        return matches[0] if len(matches) == 1 else None

    def refusal(self, user: User) -> str | None:
        """Why this account gets no link (for the audit log), or None when it may have one."""
        if user.disabled:
            return "disabled"
        if user.password_hash is None:
            return "no_password"
        if not user.email:
            return "no_email"
        with self._db.reading() as session:
            blocked = session.scalar(
                select(Organisation.id)
                .join(Membership, Membership.org_id == Organisation.id)
                .where(
                    Membership.user_id == user.id,
                    (Organisation.sso_enabled.is_(True))
                    | (Organisation.password_reset_allowed.is_(False)),
                )
                .limit(1)
            )
        return "organisation_policy" if blocked is not None else None

    def _offer(
        self, user: User, flow_id: str | None, *, ip: str | None, user_agent: str | None
    ) -> None:
        reason = self.refusal(user)
        if reason is None and not self.take_mail_slot(user.id):
            reason = "throttled"
        if reason is not None:
            self._audit.record(
                AuditEventName.PASSWORD_RESET_REQUESTED,
                user_id=user.id,
                ip=ip,
                user_agent=user_agent,
                reason=reason,
                details={"sent": False},
            )
            return
        self.send_link(user, flow_id)
        self._audit.record(
            AuditEventName.PASSWORD_RESET_REQUESTED,
            user_id=user.id,
            ip=ip,
            user_agent=user_agent,
            details={"sent": True},
        )

    def take_mail_slot(self, user_id: str) -> bool:
        """Count one more link mailed to the account this hour; False when none is left."""
        return self._store.incr(MAILS + user_id, 3600) <= self.mails_per_hour

    def send_link(self, user: User, flow_id: str | None = None) -> None:
        """A new link for ``user`` (every older one void), mailed in their language. The caller
        has checked ``refusal`` and ``take_mail_slot``, and audits."""
        token = secrets.token_urlsafe(32)
        now = utc_datetime(self._clock)
        with self._db.session() as session:
            # A newer link voids every older one of the account.
            session.execute(
                update(PasswordReset)
                .where(
                    PasswordReset.user_id == user.id,
                    PasswordReset.used_at.is_(None),
                    PasswordReset.voided_at.is_(None),
                )
                .values(voided_at=now)
            )
            session.add(
                PasswordReset(
                    id=uuid.uuid4().hex,
                    user_id=user.id,
                    token_hash=token_hash(token),
                    password_fingerprint=fingerprint(user.password_hash),
                    flow_id=flow_id,
                    created_at=now,
                    expires_at=now + timedelta(seconds=self.ttl),
                )
            )
        self._mailer.notify(
            "password_reset",
            to=user.email,
            language=user.language,
            user_id=user.id,
            username=user.username,
            link=self._issuer + LINK_PATH + token,
            minutes=self.ttl // 60,
        )

    # --- using a link ------------------------------------------------------------------------

    def open(self, token: str) -> ResetTicket:
        """The link's ticket while it works; ``ResetLinkInvalid`` otherwise."""
        if not token or len(token) > 200:
            raise ResetLinkInvalid()
        now = utc_datetime(self._clock)
        with self._db.reading() as session:
            row = session.scalar(
                select(PasswordReset).where(PasswordReset.token_hash == token_hash(token))
            )
            user = None if row is None else session.get(User, row.user_id)
        if (
            row is None
            or user is None
            or row.used_at is not None
            or row.voided_at is not None
            or row.expires_at <= now
            or user.disabled
            or row.password_fingerprint != fingerprint(user.password_hash)
        ):
            raise ResetLinkInvalid()
        return ResetTicket(row.id, user.id, user.username, row.flow_id, row.password_fingerprint)

    def spend(self, ticket: ResetTicket) -> None:
        """Use the link up, once: of two requests with it, one wins (``ResetLinkInvalid``)."""
        now = utc_datetime(self._clock)
        with self._db.session() as session:
            result = session.execute(
                update(PasswordReset)
                .where(
                    PasswordReset.id == ticket.reset_id,
                    PasswordReset.used_at.is_(None),
                    PasswordReset.voided_at.is_(None),
                    PasswordReset.expires_at > now,
                )
                .values(used_at=now)
            )
            if affected_rows(result) != 1:
                raise ResetLinkInvalid()
            session.execute(
                update(PasswordReset)
                .where(
                    PasswordReset.user_id == ticket.user_id,
                    PasswordReset.used_at.is_(None),
                    PasswordReset.voided_at.is_(None),
                )
                .values(voided_at=now)
            )

    def void_all(self, user_id: str) -> None:
        """Every open link of the user stops working (its password changed)."""
        with self._db.session() as session:
            session.execute(
                update(PasswordReset)
                .where(
                    PasswordReset.user_id == user_id,
                    PasswordReset.used_at.is_(None),
                    PasswordReset.voided_at.is_(None),
                )
                .values(voided_at=utc_datetime(self._clock))
            )
