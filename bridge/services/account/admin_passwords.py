"""An admin's or the operator's help with a member's password (issue 14): a temporary password
that the next sign-in replaces, or the "forgot password" link sent for them.

One service for the admin API, the console and the CLI. Who may act on whom (R13, R18):

- an organisation admin acts on the members of that organisation (or of a customer its partner
  manages, R15), never on their own account, and the operator on anyone (``org=None``);
- a **temporary password** puts the credential in the admin's hands, like a 2FA reset, so it
  follows the reset's rules: with the organisation's ``admin_reset_requires_verified_domain``
  (on by default) only for members whose e-mail domain it verified, and for a member who also
  belongs to other organisations only with a verified domain in any case. Never for a member of
  an organisation with single sign-on: their sign-in belongs to the identity provider;
- a **reset link** goes to the member's own address and the admin never holds the password, so
  any admin of the organisation may send one; it is the "forgot password" link with its rules
  (``PasswordResets.refusal``: an enabled account with a password and an address, in no
  organisation with SSO or with ``password_reset_allowed`` off) and its hourly limit.

A password set for someone, temporary or not (the operator's ``bridge user set-password``
without ``--temporary``), obeys the password policy, ends every session, application grant and
app password of the account (as a reset does), voids open links, is audited
(``password_set_by_admin`` with ``temporary``) and mailed. After a temporary one the login asks
for a new password after every factor, before the application
(``bridge.login.required_password``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bridge.domain.clock import utc_datetime
from bridge.domain.events import AuditEventName
from bridge.domain.wording import N_, Phrase
from bridge.services.account.sign_out import sign_out_everywhere
from bridge.services.container import Services
from bridge.services.orgs.access import Actor, Authority, authorise
from bridge.services.orgs.domains import domain_verified, email_domain, require_verified_domain
from bridge.services.orgs.errors import (
    DomainNotVerified,
    NotFound,
    ResetLinkRefused,
    SelfAction,
    TemporaryPasswordRefused,
)
from bridge.services.users import UnknownUser, no_user_named, normalise_username
from bridge.storage.db.models import Membership, Organisation, User

LINK_REFUSALS = {
    "disabled": N_("The account is disabled."),
    "no_password": N_(
        "The account has no password: it signs in through an identity provider. "
        "Set a temporary password instead."
    ),
    "no_email": N_("The account has no e-mail address to send the link to."),
    "organisation_policy": N_(
        "An organisation of the account uses single sign-on or does not allow password "
        "resets (password_reset_allowed)."
    ),
}


def set_temporary_password(
    s: Services, actor: Actor, org: str | None, username: str, password: str
) -> User:
    """Give ``username`` a temporary password that the next sign-in replaces."""
    return set_password(s, actor, org, username, password, temporary=True)


def set_password(
    s: Services,
    actor: Actor,
    org: str | None,
    username: str,
    password: str,
    *,
    temporary: bool,
) -> User:
    """Set ``username``'s password for them: temporary (the next sign-in replaces it) or not.

    Either way the credential passed through someone else's hands, so both end every session,
    grant and app password, void open reset links, are audited (``password_set_by_admin``
    with ``temporary``) and mailed to the person in their language."""
    user, authority = _target(s, actor, org, username, temporary=True)
    s.users.replace_password(user.id, password, temporary=temporary)
    s.password_resets.void_all(user.id)
    grants = sign_out_everywhere(
        s, user.id, "temporary_password" if temporary else "password_set_by_admin"
    )
    _record(
        s,
        AuditEventName.PASSWORD_SET_BY_ADMIN,
        actor,
        authority,
        user.id,
        temporary=temporary,
        grants_revoked=grants,
    )
    s.mailer.notify(
        "password_set_by_admin",
        to=user.email,
        language=user.language,
        user_id=user.id,
        username=user.username,
        temporary=temporary,
        when=utc_datetime(s.clock).strftime("%Y-%m-%d %H:%M UTC"),
    )
    return user


def send_reset_link(s: Services, actor: Actor, org: str | None, username: str) -> User:
    """Mail ``username`` the "forgot password" link, as if they had asked for it."""
    user, authority = _target(s, actor, org, username, temporary=False)
    reason = s.password_resets.refusal(user)
    if reason is not None:
        raise ResetLinkRefused(LINK_REFUSALS.get(reason, N_("No link can go to this account.")))
    if not s.password_resets.take_mail_slot(user.id):
        raise ResetLinkRefused(
            Phrase(
                "The account was sent %(count)s links in the last hour: wait before sending "
                "another.",
                count=s.password_resets.mails_per_hour,
            )
        )
    s.password_resets.send_link(user)
    _record(s, AuditEventName.PASSWORD_RESET_LINK_SENT_BY_ADMIN, actor, authority, user.id)
    return user


# --- who may act on whom ------------------------------------------------------------------------


def _target(
    s: Services, actor: Actor, org: str | None, username: str, *, temporary: bool
) -> tuple[User, Authority | None]:
    name = normalise_username(username)
    with s.db.session() as session:
        if org is None:
            actor.require_operator("Acting on a user outside an organisation")
            user = session.scalar(select(User).where(User.username == name))
            if user is None:
                raise UnknownUser(no_user_named(name))
            return user, None
        authority = authorise(session, actor, org)
        user = session.scalar(select(User).where(User.username == name))
        if user is None:
            raise NotFound(Phrase("There is no user %(user)r.", user=name))
        if session.get(Membership, (authority.org.id, user.id)) is None:
            raise NotFound(Phrase("%(user)r is not a member of %(org)r.", user=name, org=org))
        if actor.user_id == user.id:
            raise SelfAction(N_("Change your own password on your account page."))
        if temporary:
            _may_set_temporary(session, authority, user)
        return user, authority


def _may_set_temporary(session: Any, authority: Authority, user: User) -> None:
    if (
        authority.org.admin_reset_requires_verified_domain
        and not authority.actor.is_operator
        and not domain_verified(session, authority, user)
    ):
        raise DomainNotVerified(
            Phrase(
                "%(user)r has an e-mail address at %(domain)s, which %(org)r has not "
                "verified: by the organisation's policy (admin_reset_requires_verified_"
                "domain) an admin sets a temporary password only for members of its "
                "verified domains. Send a password reset link instead.",
                user=user.username,
                domain=email_domain(user.email) or "no domain",
                org=authority.org.slug,
            )
        )
    require_verified_domain(session, authority, user, "temporary-password")
    sso = session.scalar(
        select(func.count())
        .select_from(Organisation)
        .join(Membership, Membership.org_id == Organisation.id)
        .where(Membership.user_id == user.id, Organisation.sso_enabled.is_(True))
    )
    if sso:
        raise TemporaryPasswordRefused(
            N_(
                "The member belongs to an organisation that uses single sign-on: they sign in "
                "through its identity provider, not with a password of the bridge."
            )
        )


def _record(
    s: Services,
    event: AuditEventName,
    actor: Actor,
    authority: Authority | None,
    user_id: str,
    **details: Any,
) -> None:
    s.audit.record(
        event,
        user_id=user_id,
        actor_id=actor.user_id,
        org_id=None if authority is None else authority.org.id,
        ip=actor.ip,
        user_agent=actor.user_agent,
        details=(
            authority.audit_details(**details)
            if authority is not None
            else {"via": actor.via, "operator": True, **details}
        ),
    )
