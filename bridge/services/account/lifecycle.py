"""An account's life as the operator manages it (issue 14): disable, enable, unlock, show.

Disabling ends every session, every application's grant and every app password at once; the
token endpoint's re-check (``bridge.services.issuance``) refuses the account from then on, and
the password step refuses it. Disabling and enabling are audited, with the operator as actor
(the command line: no actor) or, through the admin API, the organisation's admin who did it
(``authority``, checked by ``bridge.services.account.member_accounts``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bridge.domain.events import AuditEventName
from bridge.services.account.sign_out import sign_out_everywhere
from bridge.services.container import Services
from bridge.services.orgs.access import Authority
from bridge.services.users import UnknownUser, no_user_named
from bridge.storage.db.models import AuditEvent, User


@dataclass(frozen=True)
class AccountFacts:
    """What ``bridge user show`` prints."""

    user: User
    totp: bool
    locked: bool
    app_passwords: int


def account(services: Services, username: str) -> User:
    user = services.users.find(username)
    if user is None:
        raise UnknownUser(no_user_named(username))
    return user


def record(
    services: Services,
    event: AuditEventName,
    user_id: str,
    authority: Authority | None,
    **details: Any,
) -> AuditEvent:
    """Audit a lifecycle change: by the operator (reason ``operator``) or by an organisation's
    admin (reason ``admin``, with the organisation, the admin and where they asked from)."""
    if authority is None:
        return services.audit.record(
            event, user_id=user_id, reason="operator", details=details or None
        )
    actor = authority.actor
    return services.audit.record(
        event,
        user_id=user_id,
        actor_id=actor.user_id,
        org_id=authority.org.id,
        ip=actor.ip,
        user_agent=actor.user_agent,
        reason="admin",
        details=authority.audit_details(**details),
    )


def _set_disabled(services: Services, user: User, disabled: bool) -> None:
    with services.db.session() as session:
        row = session.get(User, user.id)
        if row is None:
            raise UnknownUser(no_user_named(user.username))
        row.disabled = disabled


def disable(services: Services, username: str, *, authority: Authority | None = None) -> bool:
    """Disable the account and sign it out everywhere; False when it was disabled already."""
    user = account(services, username)
    if user.disabled:
        return False
    _set_disabled(services, user, True)
    revoked = sign_out_everywhere(services, user.id, "user_disabled")
    record(services, AuditEventName.USER_DISABLED, user.id, authority, grants_revoked=revoked)
    return True


def enable(services: Services, username: str, *, authority: Authority | None = None) -> bool:
    """Enable the account again; False when it was enabled already."""
    user = account(services, username)
    if not user.disabled:
        return False
    _set_disabled(services, user, False)
    record(services, AuditEventName.USER_ENABLED, user.id, authority)
    return True


def unlock(services: Services, username: str, *, actor_id: str | None = None) -> bool:
    """Lift the lockout's lock (any account, in an organisation or none); False: not locked."""
    user = account(services, username)
    return services.lockout.unlock(user.id, actor_id=actor_id)


def facts(services: Services, username: str) -> AccountFacts:
    user = account(services, username)
    return AccountFacts(
        user=user,
        totp=services.totp.has_totp(user.id),
        locked=user.locked_at is not None,
        app_passwords=len(services.app_passwords.list_own(user.id)),
    )
