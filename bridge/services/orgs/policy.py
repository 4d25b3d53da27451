"""Who needs a second factor: the one place that decides ``mfa_required`` for a user.

A user needs 2FA when (first match wins):

1. the user is a service account: never (R9, R16);
2. an admin required it for this one user (R9);
3. any organisation of the user enforces it (R14), or is a partner in production mode (R15);
4. the user belongs to no organisation: the global setting ``mfa.required`` decides.

Members of organisations that enforce nothing do not need 2FA: their organisations decide, and
``mfa.required`` is only the default for users outside every organisation. Federated logins are
not decided here: the login flow skips the bridge's TOTP for them (R7).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.storage.db.engine import Database
from bridge.storage.db.models import Membership, Organisation, TotpCredential, User


@dataclass(frozen=True)
class MfaRequirement:
    """Whether a user needs 2FA, and why (``reasons`` name the rules that apply)."""

    required: bool
    reasons: tuple[str, ...]


def enforces_mfa(org: Organisation) -> bool:
    """Whether ``org`` enforces 2FA for its members: by its policy, or as a production partner."""
    return bool(org.mfa_enforced) or org.production_partner


def wipes_second_factors(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    """Whether a policy change deletes every member's 2FA: enforcement turned off while the
    policy says ``on_disable: wipe`` (R5). Every face that warns or confirms asks this."""
    turning_off = bool(before["mfa_enforced"]) and not after["mfa_enforced"]
    return turning_off and after["on_disable"] == "wipe"


def requirement_for(
    user: User, orgs: Iterable[Organisation], *, default_required: bool
) -> MfaRequirement:
    if user.service_account:
        return MfaRequirement(False, ("service_account",))
    reasons: list[str] = []
    if user.mfa_required:
        reasons.append("required_by_admin")
    if user.mfa_reenrol:
        reasons.append("reenrol_after_reset")
    orgs = list(orgs)
    for org in sorted(orgs, key=lambda o: o.slug):
        if org.production_partner:
            reasons.append(f"production_partner:{org.slug}")
        elif org.mfa_enforced:
            reasons.append(f"org_enforces:{org.slug}")
    if not orgs and not reasons and default_required:
        reasons.append("default")
    return MfaRequirement(bool(reasons), tuple(reasons))


def roles_from(memberships: Iterable[tuple[str, str]]) -> frozenset[str]:
    """The roles of ``(role, organisation slug)`` memberships: ``admin``/``member`` and
    ``admin@<slug>``/``member@<slug>``."""
    roles: set[str] = set()
    for role, slug in memberships:
        roles.update({role, f"{role}@{slug}"})
    return frozenset(roles)


def users_with_totp(session: Session, user_ids: Iterable[str]) -> set[str]:
    """Which of these users have an active (confirmed) TOTP credential."""
    ids = list(user_ids)
    if not ids:
        return set()
    return set(
        session.scalars(
            select(TotpCredential.user_id).where(
                TotpCredential.user_id.in_(ids), TotpCredential.confirmed_at.is_not(None)
            )
        )
    )


class MfaPolicy:
    def __init__(self, db: Database, *, default_required: bool) -> None:
        self._db = db
        self.default_required = default_required

    def requirement(self, user_id: str) -> MfaRequirement:
        with self._db.session() as session:
            user = session.get(User, user_id)
            if user is None:
                return MfaRequirement(self.default_required, ("unknown_user",))
            return self.requirements(session, [user])[user.id]

    def mfa_required(self, user_id: str) -> bool:
        return self.requirement(user_id).required

    def requirements(self, session: Session, users: list[User]) -> dict[str, MfaRequirement]:
        """The requirement of each user, with one query for all their organisations."""
        orgs_of: dict[str, list[Organisation]] = defaultdict(list)
        if users:
            rows = session.execute(
                select(Membership.user_id, Organisation)
                .join(Organisation, Organisation.id == Membership.org_id)
                .where(Membership.user_id.in_([u.id for u in users]))
            )
            for user_id, org in rows:
                orgs_of[user_id].append(org)
        return {
            u.id: requirement_for(u, orgs_of[u.id], default_required=self.default_required)
            for u in users
        }

    def roles(self, user_id: str) -> frozenset[str]:
        """The user's roles: ``admin``/``member`` and ``admin@<slug>``/``member@<slug>``."""
        with self._db.session() as session:
            rows = session.execute(
                select(Membership.role, Organisation.slug)
                .join(Organisation, Organisation.id == Membership.org_id)
                .where(Membership.user_id == user_id)
            )
            return roles_from(rows)
