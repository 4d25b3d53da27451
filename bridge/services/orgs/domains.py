"""Which members an organisation's admin may act on, by the domain of their e-mail address (seed
002): the rules ``MemberService`` applies before adding a member, resetting their 2FA or making
them a service account."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bridge.domain.wording import Phrase
from bridge.services.orgs.access import Authority
from bridge.services.orgs.errors import DomainNotVerified
from bridge.storage.db.models import Membership, OrgDomain, User

#: The "domain" of a user without an e-mail address, in a refusal.
NO_DOMAIN = Phrase("no domain")


def email_domain(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    return email.rsplit("@", 1)[1].strip().lower()


def domain_verified(session: Any, authority: Authority, user: User) -> bool:
    """Whether the organisation verified the domain of the user's e-mail address."""
    domain = email_domain(user.email)
    return domain is not None and bool(
        session.scalar(
            select(OrgDomain.domain).where(
                OrgDomain.domain == domain, OrgDomain.org_id == authority.org.id
            )
        )
    )


def require_own_domain_for_reset(session: Any, authority: Authority, user: User) -> None:
    """``admin_reset_requires_verified_domain``: an admin deletes a member's second factor
    (a reset, or making them a service account) only for a domain the organisation verified."""
    if authority.actor.is_operator or domain_verified(session, authority, user):
        return
    domain = email_domain(user.email)
    raise DomainNotVerified(
        Phrase(
            "%(user)r has an e-mail address at %(domain)s, which %(org)r has not verified: by "
            "the organisation's policy (admin_reset_requires_verified_domain) an admin may "
            "reset 2FA only for members of its verified domains (making a service account "
            'deletes 2FA too). The member can ask for a reset instead ("Lost your device?" '
            "when signing in), which any admin may approve.",
            user=user.username,
            domain=domain or NO_DOMAIN,
            org=authority.org.slug,
        )
    )


def require_verified_domain(session: Any, authority: Authority, user: User, action: str) -> None:
    """A member who also belongs to other organisations is acted on (2FA reset, service account)
    by an admin only for a domain this organisation verified."""
    if authority.actor.is_operator:
        return
    other_orgs = session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.user_id == user.id, Membership.org_id != authority.org.id)
    )
    if action != "add" and not other_orgs:
        return
    if not domain_verified(session, authority, user):
        domain = email_domain(user.email)
        raise DomainNotVerified(
            Phrase(
                "%(user)r has an e-mail address at %(domain)s, which %(org)r has not verified; "
                "the user also belongs to other organisations, so their admins or the "
                "operator must do this.",
                user=user.username,
                domain=domain or NO_DOMAIN,
                org=authority.org.slug,
            )
        )
