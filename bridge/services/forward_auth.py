"""Forward authentication (issue 12): may this request pass the reverse proxy, and as whom?

A reverse proxy (nginx ``auth_request``, Traefik ``forwardAuth``, Caddy ``forward_auth``) asks
before passing a request to a protected application. It passes with one of:

- the bridge's **browser session** (its cookie, when the application shares the bridge's host);
- ``Authorization: Basic`` with an **app password** of scope ``proxy`` (``username:password``);
  an account's own password only when ``forward_auth.accept_account_passwords`` is on, and then
  never for an account that has or needs a second factor, nor for a service account;
- ``Authorization: Bearer`` with an **access token** the bridge issued.

Every pass re-checks the account now: not disabled, not locked, and (for app passwords) no
organisation of the user forbids them. Basic guesses go through the sign-in's lockout: a slot
is taken before the guess is judged, a wrong one counts toward the account's lock, and every
attempt takes a slot of the per-IP throttle before it is judged and only a pass gives it
back (``bridge.services.lockout``). A refusal is
audited as ``sign_in_failed`` (``details.via = forward_auth``); a pass with an app password
records ``app_password_used`` at most once a minute.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from bridge.domain.events import AuditEventName
from bridge.services.app_password_values import AppPasswordView
from bridge.services.app_passwords import forbidding_org
from bridge.services.container import Services
from bridge.storage.db.models import Membership, Organisation, User


@dataclass(frozen=True)
class Caller:
    """Where the request came from (the client, as the trusted proxy reports it)."""

    ip: str | None
    user_agent: str | None


@dataclass(frozen=True)
class Identity:
    """Who passed, for the headers the application reads."""

    username: str
    email: str | None
    organisations: tuple[str, ...]
    roles: tuple[str, ...]
    method: str  # "session", "app_password", "password", "bearer"


@dataclass(frozen=True)
class Refusal:
    """Why the request does not pass; ``scheme`` is the challenge to answer with."""

    reason: str
    scheme: str = "Basic"  # or "Bearer"
    retry_after: int | None = None


Verdict = Identity | Refusal


class ForwardAuth:
    def __init__(self, services: Services) -> None:
        self._s = services

    # --- the three ways in -----------------------------------------------------------------

    def session(self, token: str | None) -> Identity | None:
        """The browser session's user, or None (no session, or an unusable account)."""
        session = self._s.sessions.get(token)
        if session is None:
            return None
        user = self._s.users.get(session.user_id)
        if user is None or user.disabled or self._s.lockout.is_locked(user.id):
            return None
        return self._identity(user, "session")

    def bearer(self, token: str, caller: Caller) -> Verdict:
        blocked = self._s.lockout.admit(caller.ip)
        if blocked is not None:
            return Refusal("throttled", "Bearer", retry_after=blocked)
        info = self._s.tokens.access_token(token)
        user = self._s.users.get(info.user_id) if info is not None else None
        if info is None or user is None:
            return self._refuse("invalid_token", None, caller, scheme="Bearer")
        if user.disabled or self._s.lockout.is_locked(user.id):
            return self._refuse("account_unusable", user.id, caller, scheme="Bearer")
        return self._passed(user, "bearer", caller)

    def basic(self, username: str, password: str, caller: Caller) -> Verdict:
        blocked = self._s.lockout.admit(caller.ip)
        if blocked is not None:
            return Refusal("throttled", retry_after=blocked)
        user = self._s.users.find(username) if username else None
        if user is None:
            return self._refuse("unknown_user", None, caller)
        policy = self._s.directory.lockout_policy(user.id)
        attempt = self._s.lockout.attempt(user.id, "password", policy)
        if attempt.locked or not attempt.allowed:
            return self._refuse("locked", user.id, caller)
        method, match = self._judge(user, password)
        if method is None:
            self._s.lockout.failed(attempt, policy, ip=caller.ip, user_agent=caller.user_agent)
            return self._refuse("wrong_password", user.id, caller)
        self._s.lockout.succeeded(attempt)
        if user.disabled:
            return self._refuse("disabled", user.id, caller)
        if method == "password" and user.password_must_change:
            # A temporary password only signs in to choose a new one (issue 14).
            return self._refuse("password_must_change", user.id, caller)
        if match is not None:
            with self._s.db.session() as session:
                if forbidding_org(session, user.id) is not None:
                    return self._refuse("app_passwords_forbidden", user.id, caller)
            self._s.app_passwords.record_use(match, ip=caller.ip, user_agent=caller.user_agent)
        return self._passed(user, method, caller)

    def malformed(self, caller: Caller) -> Refusal:
        """Credentials that cannot be read (not Basic or Bearer, not base64, not UTF-8, too
        long): refused and counted toward the per-IP throttle like a wrong password."""
        blocked = self._s.lockout.admit(caller.ip)
        if blocked is not None:
            return Refusal("throttled", retry_after=blocked)
        return self._refuse("malformed_credentials", None, caller)

    # --- internals -------------------------------------------------------------------------

    def _judge(self, user: User, password: str) -> tuple[str | None, AppPasswordView | None]:
        """("app_password", the password), ("password", None) when the account's own password
        is allowed for it and right, or (None, None)."""
        match = self._s.app_passwords.match(user.id, password, "proxy")
        if match is not None:
            return "app_password", match
        if not self._s.settings.forward_auth.accept_account_passwords or user.service_account:
            return None, None
        # Never an account password when the account has or needs a second factor.
        if self._s.totp.has_totp(user.id) or self._s.mfa_policy.requirement(user.id).required:
            return None, None
        check = self._s.users.check_password(user.username, password)
        return ("password", None) if check.user_id == user.id else (None, None)

    def _refuse(
        self, reason: str, user_id: str | None, caller: Caller, *, scheme: str = "Basic"
    ) -> Refusal:
        # The attempt keeps the per-IP slot it was admitted with (``Lockout.admit``).
        self._s.audit.record(
            AuditEventName.SIGN_IN_FAILED,
            user_id=user_id,
            ip=caller.ip,
            user_agent=caller.user_agent,
            mfa_factor_type="app_password" if scheme == "Basic" else None,
            reason=reason,
            details={"via": "forward_auth"},
        )
        return Refusal(reason, scheme)

    def _passed(self, user: User, method: str, caller: Caller) -> Identity:
        """A pass gives its per-IP slot back: only failures use the window up."""
        self._s.lockout.give_back(caller.ip)
        return self._identity(user, method)

    def _identity(self, user: User, method: str) -> Identity:
        with self._s.db.session() as session:
            rows = session.execute(
                select(Organisation.slug, Membership.role)
                .join(Membership, Membership.org_id == Organisation.id)
                .where(Membership.user_id == user.id)
                .order_by(Organisation.slug)
            ).all()
        return Identity(
            username=user.username,
            email=user.email,
            organisations=tuple(slug for slug, _ in rows),
            roles=tuple(f"{role}@{slug}" for slug, role in rows),
            method=method,
        )
