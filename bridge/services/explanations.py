"""What a page tells a person about their login, in names rather than identifiers (issue 13):
the organisation they sign in to, and why they are asked to set up a second factor."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from bridge.services.languages import named
from bridge.services.orgs import MfaPolicy
from bridge.storage.db.engine import Database
from bridge.storage.db.models import Organisation


@dataclass(frozen=True)
class MfaReason:
    """One rule that asks for 2FA: ``kind`` is ``organisation`` (with its ``name``),
    ``admin``, ``reenrol`` or ``default``."""

    kind: str
    name: str | None = None


class Explanations:
    def __init__(self, db: Database, policy: MfaPolicy) -> None:
        self._db = db
        self._policy = policy

    def organisation_name(self, org_id: str | None) -> str | None:
        """The name of the organisation with this id or slug (a login request has its slug)."""
        if org_id is None:
            return None
        with self._db.session() as session:
            return session.scalar(select(Organisation.name).where(named(org_id)))

    def mfa_reasons(self, user_id: str) -> list[MfaReason]:
        """Why the person needs 2FA, organisations first; empty when no rule asks for it (the
        person chose it, or the application asks for two factors)."""
        reasons = self._policy.requirement(user_id).reasons
        slugs = [
            reason.split(":", 1)[1]
            for reason in reasons
            if reason.startswith(("org_enforces:", "production_partner:"))
        ]
        names: dict[str, str] = {}
        if slugs:
            with self._db.session() as session:
                rows = session.execute(
                    select(Organisation.slug, Organisation.name).where(Organisation.slug.in_(slugs))
                )
                names = {row.slug: row.name for row in rows}
        found = [MfaReason("organisation", names.get(slug, slug)) for slug in slugs]
        kinds = {
            "required_by_admin": "admin",
            "reenrol_after_reset": "reenrol",
            "default": "default",
        }
        found += [MfaReason(kinds[reason]) for reason in reasons if reason in kinds]
        return found
