"""A person's own password: set again through a "forgot password" link, or changed on the
account page (issue 14). Each ends other sessions, is audited and e-mailed.

Neither signs anybody in: after a reset, the login flow judges the new password and asks for the
second factor as it always does (``bridge.login.after_reset``).
"""

from __future__ import annotations

from dataclasses import dataclass

from bridge.domain.clock import utc_datetime
from bridge.domain.events import AuditEventName
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
