"""App passwords (seed 004; issue 12): what an integration that only knows Basic authentication
signs in with, instead of the account's own password and second factor.

- A user creates their own on the account page; an organisation's admin creates them for a
  *service account* of the organisation (seed 000) through the admin API. Each has a comment
  and scopes (what it may be used for: ``proxy``, the forward-auth endpoint for reverse
  proxies). The secret is shown once: 30 characters of Crockford's base32 (150 random bits) in
  six groups of five for typing (``k7dqm-3zp4x-...``); separators, spaces and case are ignored
  when it is checked.
- Only ``HMAC-SHA256(key, secret)`` is stored, the key derived from the bridge's secret key. A
  random 150-bit secret cannot be guessed offline, so argon2's cost would buy nothing but slower
  integrations; the key means a copy of the database alone does not even allow checking one.
- Listed with comment, scopes, created, last used (time and address). Revoked one by one or all
  at once (the row is deleted); automatically when the user signs out everywhere, resets their
  2FA (themselves or by an admin) or is disabled (``revoke_all``); deleting a user deletes them.
- An organisation's policy may forbid them (``app_passwords_allowed``): then none of its
  members may create one, and existing ones stop working (``usable_by``).
- Audited (``app_password_created``, ``app_password_revoked``; ``app_password_used`` at most once
  a minute per password, together with "last used") and mailed (``factor_changed``).

An app password never signs in to a browser page (the login flow checks only the account's
password) and never stands in for a second factor.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from bridge.domain.clock import Clock, utc_datetime
from bridge.domain.errors import (
    AppPasswordsForbidden,
    Conflict,
    NotAServiceAccount,
    NotFound,
)
from bridge.domain.events import AuditEventName
from bridge.domain.wording import N_, Phrase
from bridge.mail import Mailer
from bridge.services.app_password_values import (
    ALPHABET,
    LENGTH,
    MAX_PER_USER,
    USE_RECORD_INTERVAL,
    AppPasswordView,
    NewAppPassword,
    Origin,
    check_comment,
    check_scopes,
    format_secret,
    normalise_secret,
)
from bridge.services.audit import AuditLog
from bridge.services.orgs.access import Actor, Authority, authorise
from bridge.services.users import normalise_username
from bridge.storage.db.engine import Database, affected_rows
from bridge.storage.db.models import AppPassword, Membership, Organisation, User

NO_SUCH_PASSWORD = N_("No such app password.")


def forbidding_org(session: Session, user_id: str) -> Organisation | None:
    """An organisation of the user that forbids app passwords, or None."""
    return session.scalar(
        select(Organisation)
        .join(Membership, Membership.org_id == Organisation.id)
        .where(Membership.user_id == user_id, Organisation.app_passwords_allowed.is_(False))
        .order_by(Organisation.slug)
        .limit(1)
    )


def delete_app_passwords(session: Session, user_ids: Collection[str]) -> int:
    """Delete every app password of these users inside the caller's transaction."""
    if not user_ids:
        return 0
    result = session.execute(
        delete(AppPassword)
        .where(AppPassword.user_id.in_(list(user_ids)))
        .execution_options(synchronize_session=False)
    )
    return affected_rows(result)


class AppPasswords:
    def __init__(
        self, db: Database, clock: Clock, audit: AuditLog, key: bytes, *, mailer: Mailer
    ) -> None:
        self._db = db
        self._clock = clock
        self._audit = audit
        self._key = key
        self._mailer = mailer

    def _hash(self, raw: str) -> str:
        return hmac.new(self._key, raw.encode(), hashlib.sha256).hexdigest()

    # --- the user's own (the account page) --------------------------------------------------

    def create_own(self, user_id: str, comment: Any, scopes: Any, origin: Origin) -> NewAppPassword:
        return self._create(user_id, check_comment(comment), check_scopes(scopes), origin)

    def list_own(self, user_id: str) -> list[AppPasswordView]:
        with self._db.session() as session:
            rows = session.scalars(
                select(AppPassword)
                .where(AppPassword.user_id == user_id)
                .order_by(AppPassword.created_at, AppPassword.id)
            )
            return [AppPasswordView.of(row) for row in rows]

    def revoke_own(self, user_id: str, password_id: str, origin: Origin) -> None:
        """Revoke one; ``NotFound`` when the user has no password of that id."""
        with self._db.session() as session:
            row = session.get(AppPassword, password_id)
            if row is None or row.user_id != user_id:
                raise NotFound(NO_SUCH_PASSWORD)
            view = AppPasswordView.of(row)
            session.delete(row)
        self._revoked(user_id, [view], reason="revoked", origin=origin)

    def revoke_all(self, user_id: str, reason: str, origin: Origin | None = None) -> int:
        """Revoke every app password of the user (sign-out everywhere, a 2FA reset, ...)."""
        with self._db.session() as session:
            rows = list(session.scalars(select(AppPassword).where(AppPassword.user_id == user_id)))
            views = [AppPasswordView.of(row) for row in rows]
            if views:
                delete_app_passwords(session, [user_id])
        if views:
            self._revoked(user_id, views, reason=reason, origin=origin or Origin(None))
        return len(views)

    # --- a service account's, by an admin of its organisation -------------------------------

    def create_for(
        self, actor: Actor, slug: str, username: str, comment: Any, scopes: Any
    ) -> NewAppPassword:
        with self._db.session() as session:
            authority, user = self._service_account(session, actor, slug, username)
        return self._create(
            user.id,
            check_comment(comment),
            check_scopes(scopes),
            Origin(actor.user_id, actor.ip, actor.user_agent),
            authority=authority,
        )

    def list_for(self, actor: Actor, slug: str, username: str) -> list[AppPasswordView]:
        with self._db.session() as session:
            _, user = self._service_account(session, actor, slug, username)
        return self.list_own(user.id)

    def revoke_for(self, actor: Actor, slug: str, username: str, password_id: str) -> None:
        with self._db.session() as session:
            authority, user = self._service_account(session, actor, slug, username)
            row = session.get(AppPassword, password_id)
            if row is None or row.user_id != user.id:
                raise NotFound(NO_SUCH_PASSWORD)
            view = AppPasswordView.of(row)
            session.delete(row)
        origin = Origin(actor.user_id, actor.ip, actor.user_agent)
        self._revoked(user.id, [view], reason="revoked", origin=origin, authority=authority)

    @staticmethod
    def _service_account(
        session: Session, actor: Actor, slug: str, username: str
    ) -> tuple[Authority, User]:
        authority = authorise(session, actor, slug)
        user = session.scalar(select(User).where(User.username == normalise_username(username)))
        if user is None or session.get(Membership, (authority.org.id, user.id)) is None:
            raise NotFound(
                Phrase(
                    "%(user)r is not a member of %(org)r.",
                    user=normalise_username(username),
                    org=slug,
                )
            )
        if not user.service_account:
            raise NotAServiceAccount(
                Phrase(
                    "%(user)r is a person: people create and revoke their own app passwords on "
                    "their account page.",
                    user=user.username,
                )
            )
        return authority, user

    # --- use -------------------------------------------------------------------------------

    def usable_by(self, user_id: str) -> None:
        """``AppPasswordsForbidden`` when an organisation of the user forbids app passwords."""
        with self._db.session() as session:
            org = forbidding_org(session, user_id)
        if org is not None:
            raise AppPasswordsForbidden(
                Phrase("The organisation %(org)s does not allow app passwords.", org=org.slug)
            )

    def match(self, user_id: str, secret: str, scope: str) -> AppPasswordView | None:
        """The user's app password with this secret and scope, or None. Constant in what it
        reveals: a secret of another user, of no one, or malformed are all None."""
        raw = normalise_secret(secret)
        if raw is None:
            return None
        with self._db.session() as session:
            row = session.scalar(
                select(AppPassword).where(AppPassword.secret_hash == self._hash(raw))
            )
            if row is None or row.user_id != user_id or scope not in row.scopes:
                return None
            return AppPasswordView.of(row)

    def record_use(
        self, password: AppPasswordView, *, ip: str | None, user_agent: str | None
    ) -> bool:
        """Write "last used" and ``app_password_used``, at most once a minute per password
        (one conditional UPDATE: of parallel uses, one records). True when this use did."""
        now = utc_datetime(self._clock)
        with self._db.session() as session:
            result = session.execute(
                update(AppPassword)
                .where(
                    AppPassword.id == password.id,
                    or_(
                        AppPassword.last_used_at.is_(None),
                        AppPassword.last_used_at <= now - USE_RECORD_INTERVAL,
                    ),
                )
                .values(last_used_at=now, last_used_ip=(ip or "")[:64] or None)
                .execution_options(synchronize_session=False)
            )
            if affected_rows(result) != 1:
                return False
        self._audit.record(
            AuditEventName.APP_PASSWORD_USED,
            user_id=password.user_id,
            actor_id=password.user_id,
            ip=ip,
            user_agent=user_agent,
            details={"app_password_id": password.id, "comment": password.comment},
        )
        return True

    # --- internals -------------------------------------------------------------------------

    def _create(
        self,
        user_id: str,
        comment: str,
        scopes: Sequence[str],
        origin: Origin,
        *,
        authority: Authority | None = None,
    ) -> NewAppPassword:
        self.usable_by(user_id)
        raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
        now = utc_datetime(self._clock)
        row = AppPassword(
            id=uuid.uuid4().hex,
            user_id=user_id,
            secret_hash=self._hash(raw),
            comment=comment,
            scopes=list(scopes),
            created_at=now,
            created_by=origin.actor_id,
        )
        with self._db.session() as session:
            user = session.get(User, user_id)
            if user is None or user.disabled:
                raise Conflict(N_("A disabled account cannot have app passwords."))
            count = len(
                list(session.scalars(select(AppPassword.id).where(AppPassword.user_id == user_id)))
            )
            if count >= MAX_PER_USER:
                raise Conflict(
                    Phrase(
                        "An account may have at most %(most)s app passwords; revoke one first.",
                        most=MAX_PER_USER,
                    )
                )
            session.add(row)
        view = AppPasswordView.of(row)
        self._record(
            AuditEventName.APP_PASSWORD_CREATED, view, origin, authority, scopes=list(scopes)
        )
        self._notify(user_id, "app_password_created")
        return NewAppPassword(view, format_secret(raw))

    def _revoked(
        self,
        user_id: str,
        views: list[AppPasswordView],
        *,
        reason: str,
        origin: Origin,
        authority: Authority | None = None,
    ) -> None:
        for view in views:
            self._record(
                AuditEventName.APP_PASSWORD_REVOKED, view, origin, authority, reason=reason
            )
        self._notify(user_id, "app_password_revoked")

    def _record(
        self,
        event: AuditEventName,
        view: AppPasswordView,
        origin: Origin,
        authority: Authority | None,
        *,
        reason: str | None = None,
        **details: Any,
    ) -> None:
        more = {"app_password_id": view.id, "comment": view.comment, **details}
        self._audit.record(
            event,
            user_id=view.user_id,
            actor_id=origin.actor_id,
            org_id=authority.org.id if authority else None,
            ip=origin.ip,
            user_agent=origin.user_agent,
            reason=reason,
            details=authority.audit_details(**more) if authority else more,
        )

    def _notify(self, user_id: str, change: str) -> None:
        with self._db.session() as session:
            user = session.get(User, user_id)
            if user is None:
                return
            to, username = user.email, user.username
        self._mailer.notify(
            "factor_changed",
            to=to,
            user_id=user_id,
            username=username,
            change=change,
            when=utc_datetime(self._clock).strftime("%Y-%m-%d %H:%M UTC"),
        )
