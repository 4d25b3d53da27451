"""What a login asks of a user, read in one go (issue 16).

A login's steps and conditions ask the same things several times per request: whether the user
has TOTP, needs 2FA, which roles they hold, their organisations' lockout and trusted-browser
policies, whether the account is locked, whether recovery codes are left, the TOTP credential
a code is judged with. ``load_subject`` reads all of it in one query (``load_subject_named``:
found by the username a sign-in typed, so the password page reads its user once);
``BridgeDirectory`` keeps it for the request it serves and reads it again after a change it
made (an enrolment confirmed, a failure counted, a code used).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, bindparam, func, select

from bridge.services.audit import member_of_key
from bridge.services.lockout import LockoutPolicy
from bridge.services.orgs.policy import requirement_for, roles_from
from bridge.services.totp import NEWEST_FIRST
from bridge.services.trusted_devices import trust_days
from bridge.storage.db.engine import Database
from bridge.storage.db.models import Membership, Organisation, RecoveryCode, TotpCredential, User
from bridge.storage.db.rows import Shape
from bridge.storage.db.unit import keep
from flows.context import UserFacts

#: The columns of the user a login asks about: sign-in (password, disabled, locked, service
#: account), 2FA requirement, the temporary-password mark, the page's language. The others
#: are not read (each column read costs CPU): reading one of them on ``Subject.user`` raises.
SUBJECT_USER = Shape(
    User,
    (
        "id",
        "username",
        "password_hash",
        "disabled",
        "service_account",
        "mfa_required",
        "mfa_reenrol",
        "locked_at",
        "language",
        "password_must_change",
    ),
)
#: The columns of an organisation its members' logins ask about: 2FA, lockout and
#: trusted-browser policies, roles (its slug), the default language.
SUBJECT_ORGANISATION = Shape(
    Organisation,
    (
        "id",
        "slug",
        "kind",
        "mode",
        "mfa_enforced",
        "trusted_browsers_enabled",
        "trusted_browser_days",
        "lockout_password_failures",
        "lockout_code_failures",
        "lockout_action",
        "default_language",
    ),
)
#: The columns a code is judged with (``TotpService.verify_with``).
SUBJECT_TOTP = Shape(
    TotpCredential,
    ("id", "secret_ciphertext", "algorithm", "digits", "period", "last_used_step"),
)


@dataclass(frozen=True)
class Subject:
    """A user as one request found them: the row, their organisations and roles, their TOTP,
    how many unused recovery codes they have."""

    # Detached; read from the database, only the columns of ``SUBJECT_USER``.
    user: User
    # Detached; read from the database, only the columns of ``SUBJECT_ORGANISATION``.
    organisations: tuple[Organisation, ...]
    roles: frozenset[str]
    has_totp: bool
    recovery_codes: int
    # The newest confirmed TOTP credential (detached, the columns of ``SUBJECT_TOTP``; its
    # secret still sealed), as ``TotpService`` would read it to judge a code: None when not
    # read (no database).
    totp: TotpCredential | None = None

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


#: The id of the newest confirmed TOTP credential of the user of the enclosing query.
_NEWEST_TOTP = (
    select(TotpCredential.id)
    .where(TotpCredential.user_id == User.id, TotpCredential.confirmed_at.is_not(None))
    .order_by(*NEWEST_FIRST)
    .limit(1)
    .correlate(User)
    .scalar_subquery()
)
#: The unused recovery codes of the user of the enclosing query.
_RECOVERY_CODES = (
    select(func.count())
    .select_from(RecoveryCode)
    .where(RecoveryCode.user_id == User.id, RecoveryCode.used_at.is_(None))
    .scalar_subquery()
)


def load_subject(db: Database, user_id: str) -> Subject | None:
    """The user ``user_id`` (None when there is none) with their organisations, TOTP and
    recovery codes: one row per membership (one without organisation for none)."""
    return _load(db.fetch(_BY_ID, {"user_id": user_id}))


def load_subject_named(db: Database, username: str) -> Subject | None:
    """``load_subject`` for the account whose (normalised) username is ``username``: a
    sign-in reads its user and what the login asks of them in one query."""
    return _load(db.fetch(_BY_USERNAME, {"username": username}))


#: The user, their TOTP credential, recovery codes, and one row per membership (Core, on the
#: unit's connection).
_SUBJECT = (
    select(
        *SUBJECT_USER.columns("u_"),
        *SUBJECT_TOTP.columns("t_"),
        _RECOVERY_CODES.label("recovery_codes"),
        Membership.role,
        *SUBJECT_ORGANISATION.columns("o_"),
    )
    .outerjoin(TotpCredential, TotpCredential.id == _NEWEST_TOTP)
    .outerjoin(Membership, Membership.user_id == User.id)
    .outerjoin(Organisation, Organisation.id == Membership.org_id)
)
_BY_ID = _SUBJECT.where(User.id == bindparam("user_id"))
_BY_USERNAME = _SUBJECT.where(User.username == bindparam("username"))


def _load(rows: Sequence[Row[Any]]) -> Subject | None:
    if not rows:
        return None
    first = rows[0]
    user = SUBJECT_USER.detached(first, "u_")
    memberships = [
        (row.role, SUBJECT_ORGANISATION.detached(row, "o_")) for row in rows if row.o_id is not None
    ]
    organisations = tuple(org for _, org in memberships)
    # The audit events of this request need the user's organisations too (services.audit).
    keep(member_of_key(user.id), tuple(org.id for org in organisations))
    return Subject(
        user=user,
        organisations=organisations,
        roles=roles_from((role, org.slug) for role, org in memberships),
        has_totp=first.t_id is not None,
        recovery_codes=int(first.recovery_codes or 0),
        totp=None if first.t_id is None else SUBJECT_TOTP.detached(first, "t_"),
    )
