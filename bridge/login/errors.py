"""Why a login cannot go on: the login service's refusals, in the domain's error tree.

Each names what a person is shown (``title``, ``message``); ``bridge.web.errors`` maps the
semantic class to the page's status (``NotAllowed`` 403, ``InvalidRequest`` 400, ``Conflict``
409, ``TooManyAttempts`` 429 with ``Retry-After``).
"""

from __future__ import annotations

from bridge.domain.errors import (
    AccountLocked,
    Conflict,
    InvalidRequest,
    LoginExpired,
    NotAllowed,
    TooManyAttempts,
)
from bridge.domain.wording import N_, Phrase

__all__ = [
    "AccountLocked",
    "LoginExpired",
    "LoginFinished",
    "LoginRestarted",
    "LoginStopped",
    "NoAdminsToAsk",
    "Throttled",
]


class LoginStopped(NotAllowed):
    """The login was refused and is over; the person may start again."""

    code = "login-stopped"
    title = N_("Sign-in stopped")


class LoginFinished(InvalidRequest):
    """The login already ended (or its account went away); the person starts again."""

    code = "login-finished"
    title = N_("This login has already finished")


class LoginRestarted(NotAllowed):
    """The ``restart`` lockout policy ended the login after too many wrong codes (R8)."""

    code = "login-restarted"
    title = N_("Sign-in ended")


class NoAdminsToAsk(Conflict):
    """A lost device, and no organisation whose admins could reset it."""

    code = "no-admins"
    title = N_("Ask your administrator")


class Throttled(TooManyAttempts):
    """Too many failed sign-in submissions from this address."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            Phrase(
                "Too many failed sign-in attempts from your network. Try again in %(seconds)s s.",
                seconds=retry_after,
            ),
            retry_after=retry_after,
        )
