"""Who is acting, and on whose authority: an org admin, a partner admin, or the operator."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.domain.wording import Phrase
from bridge.services.orgs.errors import NotAnAdmin, NotFound, OperatorOnly
from bridge.storage.db.models import Membership, Organisation, User


@dataclass(frozen=True)
class Actor:
    """Who asks. ``user_id=None`` is the operator at the command line, trusted like the database."""

    user_id: str | None
    via: str = "api"  # "api", "console" or "cli"
    ip: str | None = None
    user_agent: str | None = None

    @classmethod
    def operator(cls) -> Actor:
        return cls(user_id=None, via="cli")

    @property
    def is_operator(self) -> bool:
        return self.user_id is None

    def require_operator(self, what: str) -> None:
        """``what`` (``N_("Creating an organisation")``) is shown translated in a refusal."""
        if not self.is_operator:
            raise OperatorOnly(
                Phrase("%(what)s is reserved to the bridge's operator.", what=Phrase(what))
            )


@dataclass(frozen=True)
class Authority:
    """An actor's right to act on one organisation.

    ``via_partner`` is set when a partner admin acts as the admin of a customer it manages (R15):
    the audit log then records both identities.
    """

    org: Organisation
    actor: Actor
    via_partner: Organisation | None = None

    def audit_details(self, **details: Any) -> dict[str, Any]:
        details = {"org": self.org.slug, "via": self.actor.via, **details}
        if self.actor.is_operator:
            details["operator"] = True
        if self.via_partner is not None:
            details["impersonation"] = {
                "partner_admin_id": self.actor.user_id,
                "partner_org": self.via_partner.slug,
                "acting_as": f"admin@{self.org.slug}",
            }
        return details


def find_org(session: Session, slug: str) -> Organisation:
    org = session.scalar(select(Organisation).where(Organisation.slug == slug))
    if org is None:
        raise NotFound(Phrase("There is no organisation %(org)r.", org=slug))
    return org


def is_admin(session: Session, user_id: str, org_id: str) -> bool:
    role = session.scalar(
        select(Membership.role).where(Membership.user_id == user_id, Membership.org_id == org_id)
    )
    return role == "admin"


def authorise(session: Session, actor: Actor, slug: str) -> Authority:
    """The actor's authority over ``slug``, or ``NotAnAdmin`` (R18: checked on the server)."""
    org = find_org(session, slug)
    if actor.is_operator:
        return Authority(org, actor)
    assert actor.user_id is not None
    user = session.get(User, actor.user_id)
    if user is None or user.disabled:
        raise NotAnAdmin(Phrase("You are not an admin of %(org)r.", org=slug))
    if is_admin(session, actor.user_id, org.id):
        return Authority(org, actor)
    if org.kind == "customer" and org.parent_id is not None:
        parent = session.get(Organisation, org.parent_id)
        if (
            parent is not None
            and parent.kind == "partner"
            and is_admin(session, actor.user_id, parent.id)
        ):
            return Authority(org, actor, via_partner=parent)
    raise NotAnAdmin(
        Phrase("You are not an admin of %(org)r or of the partner that manages it.", org=slug)
        if org.kind == "customer"
        else Phrase("You are not an admin of %(org)r.", org=slug)
    )


def administered(session: Session, actor: Actor) -> list[Organisation]:
    """Every organisation the actor may act on, by slug."""
    if actor.is_operator:
        return list(session.scalars(select(Organisation).order_by(Organisation.slug)))
    own = list(
        session.scalars(
            select(Organisation)
            .join(Membership, Membership.org_id == Organisation.id)
            .where(Membership.user_id == actor.user_id, Membership.role == "admin")
        )
    )
    partner_ids = [o.id for o in own if o.kind == "partner"]
    customers = (
        list(
            session.scalars(
                select(Organisation).where(
                    Organisation.parent_id.in_(partner_ids), Organisation.kind == "customer"
                )
            )
        )
        if partner_ids
        else []
    )
    by_id = {o.id: o for o in [*own, *customers]}
    return sorted(by_id.values(), key=lambda o: o.slug)
