"""Members of an organisation: who belongs, their 2FA status, and an admin's actions on them.

Actions (R9): unlock, reset 2FA, require 2FA for one user, convert to a service account and
back. Every action is audited with the actor, the target and the organisation; a partner admin
acting on a customer is recorded with both identities (R15). Admins do not use these actions on
their own account (self-service has its own rules, R10). Actions that weaken someone's sign-in
(reset 2FA, service account) on a user who also belongs to other organisations need the user's
e-mail domain to be verified by this organisation (R13).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from bridge.domain.clock import Clock, utc_datetime
from bridge.domain.errors import ServiceAccountWithoutMfa
from bridge.domain.events import AuditEventName
from bridge.domain.wording import N_, Phrase
from bridge.services.app_passwords import delete_app_passwords
from bridge.services.audit import AuditLog, member_of_key
from bridge.services.lockout import Lockout
from bridge.services.orgs.access import Actor, Authority, authorise
from bridge.services.orgs.domains import (
    domain_verified,
    require_own_domain_for_reset,
    require_verified_domain,
)
from bridge.services.orgs.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    SelfAction,
)
from bridge.services.orgs.policy import MfaPolicy, users_with_totp
from bridge.services.orgs.second_factors import wipe_second_factors
from bridge.services.service_accounts import NO_MFA
from bridge.services.users import normalise_username
from bridge.storage.db.engine import Database
from bridge.storage.db.models import Membership, User
from bridge.storage.db.unit import forget

STATUSES = ("setup_required", "configured", "not_required", "service_account", "locked")
ROLES = ("member", "admin")
ACTIONS = ("unlock", "reset-mfa", "require-mfa", "to-service-account", "from-service-account")
ROLE_CHOICES = Phrase(
    "'%(field)s' must be one of %(choices)s.", field="role", choices=", ".join(ROLES)
)


@dataclass(frozen=True)
class MemberStatus:
    user_id: str
    username: str
    email: str | None
    role: str
    status: str
    mfa_configured: bool
    mfa_required: bool
    reasons: tuple[str, ...]
    service_account: bool
    locked: bool
    disabled: bool = False  # the account cannot sign in (``bridge user disable``, issue 14)
    password_must_change: bool = False  # a temporary password waits to be replaced (issue 14)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.user_id,
            "username": self.username,
            "email": self.email,
            "role": self.role,
            "mfa_status": self.status,
            "mfa_configured": self.mfa_configured,
            "mfa_required": self.mfa_required,
            "mfa_required_because": list(self.reasons),
            "service_account": self.service_account,
            "locked": self.locked,
            "disabled": self.disabled,
            "password_must_change": self.password_must_change,
        }


@dataclass(frozen=True)
class Progress:
    """Members who set up 2FA, out of the members who need it (R4)."""

    configured: int
    needing: int

    @property
    def percent(self) -> int:
        return 100 if self.needing == 0 else (100 * self.configured) // self.needing

    def as_json(self) -> dict[str, int]:
        return {"configured": self.configured, "needing": self.needing, "percent": self.percent}


def status_of(*, locked: bool, service_account: bool, configured: bool, required: bool) -> str:
    if locked:
        return "locked"
    if service_account:
        return "service_account"
    if configured:
        return "configured"
    return "setup_required" if required else "not_required"


class MemberService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        audit: AuditLog,
        policy: MfaPolicy,
        *,
        lockout: Lockout | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._audit = audit
        self._policy = policy
        # The lockout lifts its own records (lock details, failure counters) and tells the user.
        self._lockout = lockout

    # --- reading ----------------------------------------------------------------------------

    def members(self, actor: Actor, slug: str) -> list[MemberStatus]:
        with self._db.session() as session:
            org = authorise(session, actor, slug).org
            rows = list(
                session.execute(
                    select(User, Membership.role)
                    .join(Membership, Membership.user_id == User.id)
                    .where(Membership.org_id == org.id)
                    .order_by(User.username)
                )
            )
            users = [user for user, _ in rows]
            requirements = self._policy.requirements(session, users)
            with_totp = users_with_totp(session, [u.id for u in users])
        members = []
        for user, role in rows:
            requirement = requirements[user.id]
            configured = user.id in with_totp
            members.append(
                MemberStatus(
                    user_id=user.id,
                    username=user.username,
                    email=user.email,
                    role=role,
                    status=status_of(
                        locked=user.locked_at is not None,
                        service_account=bool(user.service_account),
                        configured=configured,
                        required=requirement.required,
                    ),
                    mfa_configured=configured,
                    mfa_required=requirement.required,
                    reasons=requirement.reasons,
                    service_account=bool(user.service_account),
                    locked=user.locked_at is not None,
                    disabled=bool(user.disabled),
                    password_must_change=bool(user.password_must_change),
                )
            )
        return members

    def get(self, actor: Actor, slug: str, username: str) -> MemberStatus:
        wanted = normalise_username(username)
        for member in self.members(actor, slug):
            if member.username == wanted:
                return member
        raise NotFound(Phrase("%(user)r is not a member of %(org)r.", user=wanted, org=slug))

    def admin_contacts(self, user_id: str | None) -> list[str]:
        """Who a person asks for help (an unlock): the admins of their organisations, each as
        "name <address>" or the name alone, the person themselves left out."""
        if user_id is None:
            return []
        with self._db.session() as session:
            orgs = select(Membership.org_id).where(Membership.user_id == user_id)
            admins = session.scalars(
                select(User)
                .join(Membership, Membership.user_id == User.id)
                .where(Membership.org_id.in_(orgs), Membership.role == "admin")
                .where(User.id != user_id, User.disabled.is_(False))
                .order_by(User.username)
                .limit(5)
            ).unique()
            return [f"{u.username} <{u.email}>" if u.email else u.username for u in admins]

    def progress(self, actor: Actor, slug: str) -> Progress:
        members = self.members(actor, slug)
        needing = [m for m in members if m.mfa_required]
        return Progress(sum(1 for m in needing if m.mfa_configured), len(needing))

    # --- membership -------------------------------------------------------------------------

    def add(self, actor: Actor, slug: str, username: str, role: str = "member") -> MemberStatus:
        """Add an existing user. Admins may add only users of a domain the org verified."""
        if role not in ROLES:
            raise InvalidInput(ROLE_CHOICES, field="role")
        with self._db.session() as session:
            authority = authorise(session, actor, slug)
            user = self._addable_user(session, authority, username)
            existing = session.get(Membership, (authority.org.id, user.id))
            if existing is not None:
                raise Conflict(
                    Phrase("%(user)r is already a member of %(org)r.", user=user.username, org=slug)
                )
            session.add(
                Membership(
                    org_id=authority.org.id,
                    user_id=user.id,
                    role=role,
                    created_at=utc_datetime(self._clock),
                )
            )
        forget(member_of_key(user.id))
        self._record(AuditEventName.MEMBER_ADDED, authority, user.id, role=role)
        return self.get(actor, slug, user.username)

    def set_role(self, actor: Actor, slug: str, username: str, role: str) -> MemberStatus:
        if role not in ROLES:
            raise InvalidInput(ROLE_CHOICES, field="role")
        with self._db.session() as session:
            authority, user, membership = self._target(session, actor, slug, username)
            old = membership.role
            membership.role = role
        self._record(AuditEventName.MEMBER_ROLE_CHANGED, authority, user.id, role=[old, role])
        return self.get(actor, slug, user.username)

    def remove(self, actor: Actor, slug: str, username: str) -> None:
        with self._db.session() as session:
            authority, user, membership = self._target(session, actor, slug, username)
            session.delete(membership)
        forget(member_of_key(user.id))
        self._record(AuditEventName.MEMBER_REMOVED, authority, user.id)

    # --- actions (R9) -----------------------------------------------------------------------

    def act(self, actor: Actor, slug: str, username: str, action: str, **options: Any) -> None:
        handlers = {
            "unlock": self.unlock,
            "reset-mfa": self.reset_mfa,
            "require-mfa": self.require_mfa,
            "to-service-account": self.to_service_account,
            "from-service-account": self.from_service_account,
        }
        if action not in handlers:
            raise NotFound(
                Phrase(
                    "Unknown action %(action)r; known: %(known)s.",
                    action=action,
                    known=", ".join(ACTIONS),
                )
            )
        handlers[action](actor, slug, username, **options)

    def unlock(self, actor: Actor, slug: str, username: str) -> None:
        with self._db.session() as session:
            authority, user, _ = self._target(session, actor, slug, username)
            was_locked = user.locked_at is not None
            if self._lockout is None:
                user.locked_at = None
        if self._lockout is not None:
            self._lockout.unlock(
                user.id, actor_id=actor.user_id, ip=actor.ip, user_agent=actor.user_agent
            )
        self._record(AuditEventName.USER_UNLOCKED, authority, user.id, was_locked=was_locked)

    def reset_mfa(self, actor: Actor, slug: str, username: str) -> None:
        """Delete the user's second factor; they enrol again at the next login if required.

        Started by an admin, so with the organisation's ``admin_reset_requires_verified_domain``
        (on by default, seed 002) only for a member of a domain it verified; a reset the member
        asked for is approved through ``ResetRequests.approve`` by any admin instead. Their app
        passwords are revoked too (issue 12)."""
        with self._db.session() as session:
            authority, user, _ = self._target(session, actor, slug, username)
            if authority.org.admin_reset_requires_verified_domain:
                require_own_domain_for_reset(session, authority, user)
            require_verified_domain(session, authority, user, "reset-mfa")
            removed = wipe_second_factors(session, [user.id])
            app_passwords = delete_app_passwords(session, [user.id])
        self._record(
            AuditEventName.MFA_RESET_BY_ADMIN,
            authority,
            user.id,
            removed=removed.as_json(),
            app_passwords_revoked=app_passwords,
        )
        if app_passwords:
            self._record(
                AuditEventName.APP_PASSWORD_REVOKED,
                authority,
                user.id,
                reason="mfa_reset_by_admin",
                count=app_passwords,
            )

    def require_mfa(self, actor: Actor, slug: str, username: str, *, required: bool = True) -> None:
        if not isinstance(required, bool):
            raise InvalidInput(
                Phrase("'%(field)s' must be true or false.", field="required"), field="required"
            )
        with self._db.session() as session:
            authority, user, _ = self._target(session, actor, slug, username)
            if required and user.service_account:
                raise ServiceAccountWithoutMfa(NO_MFA)
            user.mfa_required = required
            user.updated_at = utc_datetime(self._clock)
        self._record(AuditEventName.MFA_REQUIRED_BY_ADMIN, authority, user.id, required=required)

    def to_service_account(self, actor: Actor, slug: str, username: str) -> None:
        """No 2FA from now on (for integrations using basic auth, seed 000): the user's
        authenticator, recovery codes and trusted browsers are deleted (the audit event counts
        them); their app passwords stay, since they are what a service account signs in with."""
        with self._db.session() as session:
            authority, user, _ = self._target(session, actor, slug, username)
            if authority.org.admin_reset_requires_verified_domain:
                require_own_domain_for_reset(session, authority, user)
            require_verified_domain(session, authority, user, "to-service-account")
            user.service_account = True
            user.updated_at = utc_datetime(self._clock)
            removed = wipe_second_factors(session, [user.id])
        self._record(
            AuditEventName.CONVERTED_TO_SERVICE_ACCOUNT,
            authority,
            user.id,
            removed=removed.as_json(),
        )

    def from_service_account(self, actor: Actor, slug: str, username: str) -> None:
        """A person again: 2FA applies as for any member from the next login (one who must use
        it sets up a new authenticator then: the old one was deleted by the conversion); their
        app passwords stay, listed on their account page."""
        with self._db.session() as session:
            authority, user, _ = self._target(session, actor, slug, username)
            user.service_account = False
            user.updated_at = utc_datetime(self._clock)
        self._record(AuditEventName.CONVERTED_FROM_SERVICE_ACCOUNT, authority, user.id)

    # --- internals --------------------------------------------------------------------------

    @staticmethod
    def _user(session: Any, username: str) -> User:
        user = session.scalar(select(User).where(User.username == normalise_username(username)))
        if user is None:
            raise NotFound(Phrase("There is no user %(user)r.", user=normalise_username(username)))
        return user  # type: ignore[no-any-return]

    def _target(
        self, session: Any, actor: Actor, slug: str, username: str
    ) -> tuple[Authority, User, Membership]:
        authority = authorise(session, actor, slug)
        user = self._user(session, username)
        membership = session.get(Membership, (authority.org.id, user.id))
        if membership is None:
            raise NotFound(
                Phrase("%(user)r is not a member of %(org)r.", user=user.username, org=slug)
            )
        if actor.user_id == user.id:
            raise SelfAction(
                N_("Use your account page for your own 2FA; another admin can act on your account.")
            )
        return authority, user, membership

    def _addable_user(self, session: Any, authority: Authority, username: str) -> User:
        """The user an admin adds. A user who does not exist and one whose e-mail domain the
        organisation has not verified get the same answer, naming nothing of theirs: an admin
        learns nothing about other tenants' users (issue 15). The operator is told which."""
        if authority.actor.is_operator:
            return self._user(session, username)
        name = normalise_username(username)
        user = session.scalar(select(User).where(User.username == name))
        if user is None or not domain_verified(session, authority, user):
            raise NotFound(
                Phrase(
                    "There is no user %(user)r that %(org)r can add: an admin can add only "
                    "existing users whose e-mail address is at a domain %(org)r has verified.",
                    user=name,
                    org=authority.org.slug,
                )
            )
        return user  # type: ignore[no-any-return]

    def _record(
        self, event: AuditEventName, authority: Authority, user_id: str, **details: Any
    ) -> None:
        actor = authority.actor
        self._audit.record(
            event,
            user_id=user_id,
            actor_id=actor.user_id,
            org_id=authority.org.id,
            ip=actor.ip,
            user_agent=actor.user_agent,
            details=authority.audit_details(**details),
        )
