"""A person's own password: set again through a "forgot password" link, or changed on the
account page (issue 14). Each ends other sessions, is audited and e-mailed.

Neither signs anybody in: after a reset, the login flow judges the new password and asks for the
second factor as it always does (``bridge.login.after_reset``).
"""

from __future__ import annotations

from dataclasses import dataclass

from bridge.domain.clock import utc_datetime
from bridge.domain.errors import InvalidInput
from bridge.domain.events import AuditEventName
from bridge.domain.wording import N_
from bridge.login.directory import BridgeDirectory
from bridge.login.sessions import BrowserSession
from bridge.services.account.sign_out import sign_out_everywhere
from bridge.services.container import Services
from bridge.services.password_resets import ResetTicket


@dataclass(frozen=True)
class Where:
    """Where a change came from, for the audit log."""

    ip: str | None = None
    user_agent: str | None = None


def reset_password(s: Services, token: str, password: str, where: Where) -> ResetTicket:
    """Set a new password with a link's token; returns the spent ticket (whose login goes on).

    The policy judges the password before the link is spent, so a refused password leaves the
    link working. Every session, grant and app password of the account ends.
    """
    ticket = s.password_resets.open(token)
    s.users.check_new_password(ticket.user_id, password)
    s.password_resets.spend(ticket)
    s.users.replace_password(ticket.user_id, password)
    sign_out_everywhere(s, ticket.user_id, "password_reset")
    s.audit.record(
        AuditEventName.PASSWORD_RESET,
        user_id=ticket.user_id,
        actor_id=ticket.user_id,
        ip=where.ip,
        user_agent=where.user_agent,
    )
    notify_password_changed(s, ticket.user_id, "reset")
    return ticket


def notify_password_changed(s: Services, user_id: str, how: str) -> None:
    """E-mail the user that their password changed (``password_changed``; never blocks)."""
    user = s.users.get(user_id)
    if user is None:
        return
    s.mailer.notify(
        "password_changed",
        to=user.email,
        language=user.language,
        user_id=user.id,
        username=user.username,
        how=how,
        when=utc_datetime(s.clock).strftime("%Y-%m-%d %H:%M UTC"),
    )


class WrongCurrentPassword(InvalidInput):
    """The current password given to change it is not right (it counts toward the lockout)."""

    code = "wrong-current-password"
    title = N_("The current password is not right")


def change_password(
    s: Services,
    directory: BridgeDirectory,
    session: BrowserSession,
    session_token: str,
    current: str,
    new: str,
    *,
    end_other_sessions: bool,
    where: Where,
) -> None:
    """Change one's own password on the account page: the current one first, judged by the
    login's directory (a wrong one counts toward the lockout, like at sign-in)."""
    user = s.users.get(session.user_id)
    if user is None:
        raise WrongCurrentPassword(N_("Sign in again."))
    s.users.check_new_password(user.id, new)
    if directory.check_password(user.username, current).user_id != user.id:
        raise WrongCurrentPassword(N_("The current password is not right."))
    s.users.replace_password(user.id, new)
    s.password_resets.void_all(user.id)
    if end_other_sessions:
        # Every other browser's session and every application's grant; this browser's goes on.
        s.sessions.end_all(user.id, keep=session_token)
        s.tokens.revoke_user_grants(user.id, "password_changed")
    s.audit.record(
        AuditEventName.PASSWORD_CHANGED,
        user_id=user.id,
        actor_id=user.id,
        ip=where.ip,
        user_agent=where.user_agent,
        details={"other_sessions_ended": end_other_sessions},
    )
    notify_password_changed(s, user.id, "changed")
