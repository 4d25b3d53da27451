"""After a forgotten password was set again: the new password goes through the login flow.

A reset never signs anybody in by itself (issue 14): the login the person asked from (when
this browser still has it), else a new login to the account page, is given the username and
the new password on its password step, exactly as if typed there. The flow then judges them
(lockout included) and asks for the second factor when the user has one or must have one; the
proof that no path skips 2FA (``flows.proof``) covers it like any other login.
"""

from __future__ import annotations

from collections.abc import Callable

from bridge.domain.errors import LoginExpired
from bridge.login.screens import Screen, ShowStep, Visit
from bridge.login.service import LoginService
from bridge.services.password_resets import ResetTicket

PASSWORD_STEP = "password"


def sign_in_after_reset(
    logins: LoginService,
    ticket: ResetTicket,
    password: str,
    visit: Visit,
    start: Callable[[], str],
) -> Screen:
    """The screen after the reset: usually the code page of the login the person came from.

    ``start`` begins a new login (to the account page) and returns its id, for a browser that
    no longer has the login the link was asked from, or one already signing in someone else.
    """
    flow_id = _resumable(logins, ticket, visit) or start()
    screen = logins.advance(flow_id, visit)
    if isinstance(screen, ShowStep) and screen.challenge.step == PASSWORD_STEP:
        answer = {"username": ticket.username, "password": password}
        return logins.submit(flow_id, visit, screen.challenge.path, answer)
    return screen


def _resumable(logins: LoginService, ticket: ResetTicket, visit: Visit) -> str | None:
    if ticket.flow_id is None:
        return None
    try:
        pending = logins.load(ticket.flow_id, visit)
    except LoginExpired:
        return None
    if pending.flow.user_id not in (None, ticket.user_id):
        return None
    return ticket.flow_id
