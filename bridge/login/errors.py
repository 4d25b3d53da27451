"""Why a login cannot go on: raised by the login service, shown as an error page by the web.

Each carries the page's title and message (what happened, what to do) and the status the web
layer answers with; the service itself knows nothing of HTTP beyond that number.
"""

from __future__ import annotations


class LoginError(Exception):
    """A login that cannot go on: ``title`` and ``message`` for the person, ``status``."""

    def __init__(self, title: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.title = title
        self.message = message
        self.status = status


class LoginStopped(LoginError):  # noqa: N818 (reads as a state)
    """The login is over (refused, finished, expired); the person may start again."""


class LoginEnded(LoginError):  # noqa: N818 (reads as a state)
    """The lockout ended the login: the account is locked now, or the ``restart`` policy."""


class Throttled(LoginError):  # noqa: N818 (reads as a state)
    """Too many failed sign-in submissions from this address: wait ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "Too many attempts",
            f"Too many failed sign-in attempts from your network. Try again in {retry_after} s.",
            429,
        )
        self.retry_after = retry_after
