"""An organisation admin's actions on a member's account, authorised and done in one call
(issue 14). The admin API and the console's account page both call these, so who may act on
whom (``member_accounts``) and what the action does (``lifecycle``, ``erasure``) meet once."""

from __future__ import annotations

from bridge.domain.errors import InvalidInput, NotFound
from bridge.domain.wording import N_, Phrase
from bridge.services.account.erasure import Erasure, delete_account
from bridge.services.account.lifecycle import disable, enable
from bridge.services.account.member_accounts import ACCOUNT_ACTIONS, member_account
from bridge.services.container import Services
from bridge.services.orgs.access import Actor

NOT_CONFIRMED = N_("Tick the box to confirm that the account and its data are deleted.")


def change_member_account(
    services: Services, actor: Actor, slug: str, username: str, action: str
) -> None:
    """Disable or enable (``action``, one of ``ACCOUNT_ACTIONS``) the account of ``username``,
    a member of ``slug``, as ``actor``."""
    change = {"disable": disable, "enable": enable}.get(action)
    if change is None:
        raise NotFound(
            Phrase(
                "Unknown account action %(action)r; known: %(known)s.",
                action=action,
                known=", ".join(ACCOUNT_ACTIONS),
            )
        )
    change(services, username, authority=member_account(services, actor, slug, username, action))


def delete_member_account(
    services: Services, actor: Actor, slug: str, username: str, *, confirmed: bool = True
) -> Erasure:
    """Delete the account of ``username``, a member of ``slug``, as ``actor`` (GDPR Art. 17);
    ``confirmed`` False (the console's box not ticked) refuses once the actor may delete."""
    authority = member_account(services, actor, slug, username, "delete")
    if not confirmed:
        raise InvalidInput(NOT_CONFIRMED, field="confirm")
    return delete_account(services, username, authority=authority)
