"""One tree for every refusal the bridge's services make, with no HTTP in it.

A ``BridgeError`` says what went wrong in terms a caller can act on:

- ``code``: a stable machine name (the admin API's problem ``type`` is
  ``urn:bridge:problem:<code>``; API clients depend on it, so it never changes);
- ``title``: a short human summary of the kind of refusal;
- ``detail``: what happened in this occurrence;
- ``message``: what a person is shown (the detail, unless a family keeps its detail for the
  audit log, as upstream logins do);
- ``field``: the input at fault, when one is.

The semantic classes below (``NotFound``, ``NotAllowed``, ``Conflict``, ...) are what each face
maps: ``bridge.web.errors`` to HTTP statuses, RFC 9457 problems and error pages,
``bridge.cli.errors`` to command-line messages. A family (``bridge.services.orgs.errors``,
``bridge.federation.errors``, ``bridge.services.users``, ...) subclasses the semantic class that
says
what its refusal *is*, never a status.
"""

# ruff: noqa: N818 - the names say what the refusal is (NotFound, Conflict), as RFC 9110 does

from __future__ import annotations

from typing import Any, ClassVar

from bridge.domain.wording import N_


class BridgeError(Exception):
    """A refusal by the bridge's rules; the faces turn it into a page, a problem or a message."""

    code: ClassVar[str] = "error"
    #: The same as ``code``, under the name the admin API's OpenAPI document reads.
    slug: ClassVar[str] = "error"
    title: str = N_("The request cannot be done")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.slug = cls.code

    def __init__(
        self, detail: str, *, title: str | None = None, field: str | None = None, **extra: Any
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if title is not None:
            self.title = title
        self.field = field
        #: Members the admin API adds to the problem document (``field`` among them).
        self.extra: dict[str, Any] = {**({"field": field} if field is not None else {}), **extra}

    @property
    def message(self) -> str:
        """What a person is shown."""
        return self.detail


class InvalidRequest(BridgeError):
    """The request cannot be used as it is: an expired or malformed link, a step out of turn."""

    code = "invalid-request"
    title = N_("The request cannot be used")


class InvalidInput(BridgeError):
    """A value the caller sent breaks a rule; ``field`` names it when it is one field."""

    code = "invalid-input"
    title = N_("The request is not valid")


class NotFound(BridgeError):
    code = "not-found"
    title = N_("No such resource")


class NotAllowed(BridgeError):
    """The caller may not do this (not an admin, the wrong factor, a locked account...)."""

    code = "not-allowed"
    title = N_("Not allowed")


class Conflict(BridgeError):
    """The request is valid but the current state forbids it."""

    code = "conflict"
    title = N_("The request conflicts with the current state")


class TooManyAttempts(BridgeError):
    """Too many failed attempts from one place: wait ``retry_after`` seconds."""

    code = "too-many-attempts"
    title = N_("Too many attempts")

    def __init__(self, detail: str, *, retry_after: int, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.retry_after = retry_after


class Unavailable(BridgeError):
    """Something the bridge needs (its storage, a mail server) is not answering."""

    code = "unavailable"
    title = N_("Temporarily unavailable")


class UpstreamFailure(BridgeError):
    """A system the bridge relies on for this request answered something it cannot use."""

    code = "upstream-failure"
    title = N_("Sign-in did not work")


class UpstreamUnavailable(UpstreamFailure):
    """That system does not answer at all (timeouts, refused connections, 5xx)."""

    code = "upstream-unavailable"


# --- refusals more than one face shows ---------------------------------------------------------


#: Shown when the account is locked, and only to someone who proved the password (R8).
ACCOUNT_LOCKED = N_(
    "Your account is locked after too many failed attempts. "
    "Contact an administrator of your organisation to unlock it."
)


class AccountLocked(NotAllowed):
    """Too many failed attempts locked the account; an admin unlocks it."""

    code = "account-locked"
    title = N_("Account locked")

    def __init__(self, detail: str = ACCOUNT_LOCKED, **extra: Any) -> None:
        super().__init__(detail, **extra)


class LoginExpired(InvalidRequest):
    """A login in progress that is unknown, expired, or belongs to another browser."""

    code = "login-expired"
    title = N_("Please sign in again")


# --- integrations that cannot do 2FA (issue 12) -------------------------------------------------


class ServiceAccountWithoutMfa(Conflict):
    """A service account is for an integration: it never has a second factor (seed 000)."""

    code = "service-account-without-mfa"
    title = N_("Service accounts have no two-factor authentication")


class AppPasswordsForbidden(NotAllowed):
    """An organisation of the user forbids app passwords."""

    code = "app-passwords-forbidden"
    title = N_("App passwords are not allowed")


class NotAServiceAccount(Conflict):
    """An admin may manage app passwords of service accounts only; a person manages their own."""

    code = "not-a-service-account"
    title = N_("Not a service account")
