"""An organisation's admin acting on a member's account itself, not only on the membership
(issue 14): disable, enable, delete, through the admin API and the console's account page
(``bridge.web.admin.console_member_accounts``).

The account serves every organisation the person belongs to (R14), so an admin acts on it
only where the organisation answers for it:

- disable and enable: as for a 2FA reset, a member who also belongs to other organisations
  only with an e-mail address at a domain this organisation verified (``DomainNotVerified``);
- delete: only a member of this organisation alone (otherwise ``OperatorOnly``: the other
  organisations lose the person too) whose address is at a domain it verified (a managed
  account, as in Google Workspace or Entra ID: an organisation erases only its own people).

Renaming, a new e-mail address and the data export stay the operator's: a new address lets
whoever sets it receive the account's reset links, and the export shows every organisation's
events about the person. No admin acts on their own account here (``SelfAction``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select

from bridge.domain.wording import N_, Phrase
from bridge.services.orgs.access import Actor, Authority, authorise
from bridge.services.orgs.domains import domain_verified, email_domain, require_verified_domain
from bridge.services.orgs.errors import DomainNotVerified, NotFound, OperatorOnly, SelfAction
from bridge.services.users import normalise_username
from bridge.storage.db.models import Membership, User

if TYPE_CHECKING:  # the admin API's schemas read ACCOUNT_ACTIONS without the container
    from bridge.services.container import Services

#: What an admin does to a member's account with ``POST .../account/<action>`` (besides
#: ``DELETE .../account``).
ACCOUNT_ACTIONS = ("disable", "enable")


def member_account(
    services: Services, actor: Actor, slug: str, username: str, action: str
) -> Authority:
    """The actor's authority to ``action`` the account of ``username``, a member of ``slug``.

    A user who does not exist and one who is not a member get the same answer: an admin
    learns nothing about other organisations' users (issue 15)."""
    name = normalise_username(username)
    with services.db.session() as session:
        authority = authorise(session, actor, slug)
        user = session.scalar(select(User).where(User.username == name))
        if user is None or session.get(Membership, (authority.org.id, user.id)) is None:
            raise NotFound(Phrase("%(user)r is not a member of %(org)r.", user=name, org=slug))
        if actor.user_id == user.id:
            raise SelfAction(
                N_(
                    "Admins do not disable or delete their own account here; another admin of "
                    "the organisation or the operator can."
                )
            )
        if action != "delete":
            require_verified_domain(session, authority, user, action)
            return authority
        if actor.is_operator:
            return authority
        elsewhere = session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.user_id == user.id, Membership.org_id != authority.org.id)
        )
        if elsewhere:
            raise OperatorOnly(
                Phrase(
                    "%(user)r also belongs to other organisations: deleting the account is "
                    "reserved to the bridge's operator (remove the member from %(org)r "
                    "instead).",
                    user=name,
                    org=slug,
                )
            )
        if not domain_verified(session, authority, user):
            raise DomainNotVerified(
                Phrase(
                    "%(user)r has an e-mail address at %(domain)s, which %(org)r has not "
                    "verified: an admin deletes only accounts at the organisation's verified "
                    "domains; the operator can delete any.",
                    user=name,
                    domain=email_domain(user.email) or "no domain",
                    org=slug,
                )
            )
    return authority
