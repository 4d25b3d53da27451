"""What a login asks of a user, read in one go (issue 16).

A login's steps and conditions ask the same things several times per request: whether the user
has TOTP, needs 2FA, which roles they hold, their organisations' lockout and trusted-browser
policies, whether the account is locked. ``load_subject`` reads all of it in one block of three
queries; ``BridgeDirectory`` keeps it for the request it serves and reads it again after a change
it made (an enrolment confirmed, a failure counted).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from bridge.services.lockout import LockoutPolicy
from bridge.services.orgs.policy import requirement_for, roles_from, users_with_totp
from bridge.services.trusted_devices import trust_days
from bridge.storage.db.engine import Database
from bridge.storage.db.models import Membership, Organisation, User
from flows.context import UserFacts


@dataclass(frozen=True)
class Subject:
    """A user as one request found them: the row, their organisations and roles, their TOTP."""

    user: User  # detached
    organisations: tuple[Organisation, ...]
    roles: frozenset[str]
    has_totp: bool

    def facts(self, *, default_mfa_required: bool) -> UserFacts:
        """What the flow's conditions may ask (``mfa.required`` for users in no organisation)."""
        requirement = requirement_for(
            self.user, self.organisations, default_required=default_mfa_required
        )
        return UserFacts(
            id=self.user.id,
            username=self.user.username,
            has_totp=self.has_totp,
            mfa_required=requirement.required,
            is_service_account=bool(self.user.service_account),
            roles=self.roles,
        )

    @property
    def lockout_policy(self) -> LockoutPolicy:
        """The strictest lockout policy of the user's organisations (R14)."""
        return LockoutPolicy.strictest(self.organisations)

    @property
    def trusted_device_days(self) -> int | None:
        """The days the user may trust a browser (``trust_days``); None: not at all."""
        return trust_days(self.organisations)

    @property
    def locked(self) -> bool:
        """Whether ``users.locked_at`` was set (a timed lock may have run out: ``Lockout``)."""
        return self.user.locked_at is not None


def load_subject(db: Database, user_id: str, user: User | None = None) -> Subject | None:
    """The user ``user_id`` (None when there is none) with their organisations and TOTP;
    ``user``: their row, when the caller has just read it."""
    with db.session() as session:
        user = user or session.get(User, user_id)
        if user is None:
            return None
        rows = session.execute(
            select(Membership.role, Organisation)
            .join(Organisation, Organisation.id == Membership.org_id)
            .where(Membership.user_id == user_id)
        ).all()
        has_totp = bool(users_with_totp(session, [user_id]))
    return Subject(
        user=user,
        organisations=tuple(org for _, org in rows),
        roles=roles_from((role, org.slug) for role, org in rows),
        has_totp=has_totp,
    )
