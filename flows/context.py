"""What a flow may know and do: typed facts in, a narrow port out.

The flow engine never imports Flask or a database. The application hands it these
values and an implementation of ``Directory``; tests hand it fakes of the same shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol


@dataclass(frozen=True)
class LoginRequest:
    """What the party that started the login asked for (an OIDC request or the account page)."""

    client_id: str | None = None
    org_id: str | None = None
    interactive: bool = True  # False for prompt=none: any challenge ends the flow
    force_login: bool = False  # prompt=login: an existing session does not count
    max_age: int | None = None  # seconds; an older session does not count
    acr_values: tuple[str, ...] = ()
    login_hint: str | None = None
    # Factors (distinct RFC 8176 kinds) the requested level of assurance needs: the bridge maps
    # ``acr_values`` to its configured levels. An existing session with fewer does not count.
    required_factors: int = 0
    # Set only for a federated (post-broker) login: the upstream identity provider the user came
    # through. The user is then identified by the broker before the flow starts.
    idp: str | None = None
    # The provider the party that started the login would like the user sent to (``kc_idp_hint``
    # or ``idp_hint`` at /authorize): a wish for ``idp_redirect``, never proof of anything, so no
    # condition looks at it (``login_is_federated`` and ``idp_is`` read ``idp`` only).
    idp_hint: str | None = None


@dataclass(frozen=True)
class ExistingSession:
    """The browser's current bridge session, if it has one."""

    user_id: str
    amr: tuple[str, ...]
    auth_time: int
    acr: str | None = None


@dataclass(frozen=True)
class UserFacts:
    """What conditions may ask about the user identified so far."""

    id: str
    username: str
    has_totp: bool
    mfa_required: bool
    is_service_account: bool = False
    roles: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class PasswordCheck:
    """The outcome of a password check. ``user_id`` is None when it failed."""

    user_id: str | None
    reason: str | None = None  # "unknown_user", "wrong_password", "disabled", ...
    # On failure, the account the username named, if it exists (for the audit log and lockout
    # counters only; it never means the check passed).
    known_user_id: str | None = None


@dataclass(frozen=True)
class EnrolmentOffer:
    """A TOTP secret that is not yet active: it becomes active once a code is confirmed."""

    credential_id: str
    secret: str
    otpauth_uri: str


class Verdict(StrEnum):
    """The directory's judgement of a code: the step maps it to its result.

    ``locked`` and ``restart`` end the login through the flow (the step denies it): the
    account is locked now, or the ``restart`` lockout policy sends the user back to the start.
    """

    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"
    RESTART = "restart"


@dataclass(frozen=True)
class DeviceTrust:
    """A browser trusted just now: the opaque token it keeps (a cookie), for ``days``."""

    token: str
    days: int


class Directory(Protocol):
    """The domain services a step may call. The bridge implements it over its stores."""

    def check_password(self, username: str, password: str) -> PasswordCheck: ...

    def user_facts(self, user_id: str) -> UserFacts | None: ...

    def verify_totp(self, user_id: str, code: str) -> Verdict: ...

    def start_totp_enrolment(self, user_id: str) -> EnrolmentOffer: ...

    def totp_enrolment_offer(self, user_id: str, credential_id: str) -> EnrolmentOffer | None:
        """The offer of an enrolment under way, its key read again from where it is kept
        sealed (so the flow state never holds it); None when it is gone (confirmed, replaced
        by a newer offer, or reset)."""
        ...

    def confirm_totp_enrolment(self, user_id: str, credential_id: str, code: str) -> bool: ...

    def has_recovery_codes(self, user_id: str) -> bool:
        """Whether the user holds at least one unused recovery code (R11)."""
        ...

    def verify_recovery_code(self, user_id: str, code: str) -> Verdict:
        """Consume one of the user's recovery codes, durably; ``ok`` only if it was unused."""
        ...

    def device_is_trusted(self, user_id: str, device: str | None) -> bool:
        """Whether this browser (``device``, an opaque id) is trusted for the user (R12)."""
        ...

    def trusted_device_days(self, user_id: str) -> int | None:
        """How long a browser may be trusted for the user, or None when it may not be."""
        ...

    def trust_device(self, user_id: str, device: str | None) -> DeviceTrust | None:
        """Trust this browser for the user: the token it keeps; None when it may not be."""
        ...

    def upstream_login_url(self, provider: str | None, login_hint: str | None) -> str | None:
        """Where to send the browser to log in at an upstream identity provider.

        ``provider`` names one; None asks for home-realm discovery from ``login_hint`` (an
        e-mail address). None when no configured provider matches, and whenever this login may
        not leave for a provider now (the application would show no page, the login came back
        from a provider, or it proves a local account).
        """
        ...


@dataclass(frozen=True)
class RunContext:
    """What the caller provides on every call: the directory, the browser's session, the time."""

    directory: Directory
    session: ExistingSession | None
    now: int
    device: str | None = None  # the browser's opaque id, for trusted devices
