"""What a step tells the executor, and what it shows the user.

A step never decides what comes next: it returns one of these small values and the executor
alone applies the flow's requirements to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from flows.context import DeviceTrust

# RFC 8176 values that are not factor kinds of their own when factors are counted.
NOT_FACTORS = frozenset({"mfa", "mca"})


@dataclass(frozen=True)
class Failure:
    """A failed attempt, for the audit log and lockout counters (never shown verbatim)."""

    reason: str  # "wrong_password", "unknown_user", "invalid_code", ...
    factor: str | None = None  # RFC 8176 value of the factor that failed: "pwd", "otp", ...
    user_id: str | None = None  # the account concerned, when known


class Mark(StrEnum):
    """How a login got past a level, beyond its factors: kept in the state, put in the result."""

    RECOVERY_CODE = "recovery_code"  # a recovery code stood in for the authenticator's code
    TRUSTED_DEVICE = "trusted_device"  # a trusted browser stood in for the second factor


@dataclass(frozen=True)
class Done:
    """The execution succeeded. ``user_id`` identifies the user (first identifying step)."""

    user_id: str | None = None
    amr: tuple[str, ...] = ()  # factors proven by this step (or carried by an existing session)
    auth_time: int | None = None  # set only when reusing an earlier authentication (a session)
    acr: str | None = None
    mark: Mark | None = None  # how the step succeeded, when that matters after the login
    trust: DeviceTrust | None = None  # a browser trusted now (its token lives in no state)


@dataclass(frozen=True)
class Retry:
    """The answer was not accepted: ask again, showing ``errors``."""

    errors: tuple[str, ...]
    failure: Failure | None = None


@dataclass(frozen=True)
class Fail:
    """This execution failed for good (the executor decides what that means for the flow)."""

    reason: str
    failure: Failure | None = None


@dataclass(frozen=True)
class NotApplicable:
    """The step does not apply here (e.g. ``cookie`` without a session, ``totp`` without one)."""


@dataclass(frozen=True)
class Redirect:
    """Send the browser elsewhere (an upstream identity provider); the login resumes later."""

    url: str


@dataclass(frozen=True)
class Deny:
    """End the login now, whatever the enclosing levels say; ``message`` is shown to the user.

    ``reason`` says why (``denied`` for the ``deny`` step; ``locked`` or ``restart`` when the
    lockout ends the login); ``failure`` is the attempt that ended it, for the audit log.
    """

    message: str
    reason: str = "denied"
    failure: Failure | None = None


StepResult = Done | Retry | Fail | NotApplicable | Redirect | Deny
"""What ``Step.submit`` returns."""

Resolution = Done | Fail | NotApplicable | Redirect | Deny
"""What ``Step.challenge`` returns when it can decide without asking."""


@dataclass(frozen=True)
class Alternative:
    """Another way to pass the current level ("try another way")."""

    path: str
    step: str
    label: str


@dataclass(frozen=True)
class Challenge:
    """What to ask the user: the page for ``step`` at ``path`` with ``data`` to render."""

    step: str
    path: str
    data: Mapping[str, str] = field(default_factory=dict)
    errors: tuple[str, ...] = ()
    alternatives: tuple[Alternative, ...] = ()


@dataclass(frozen=True)
class Possible:
    """One way a step may end, as the safety proof (``flows.checks``) models it.

    ``kind`` is "done", "not_applicable", "fail", "redirect" or "deny". A "done" proves the
    RFC 8176 factors in ``proves``; ``session`` marks reusing an earlier login's session.
    """

    kind: str
    proves: tuple[str, ...] = ()
    session: bool = False


DONE = Possible("done")
NOT_APPLICABLE = Possible("not_applicable")
FAIL = Possible("fail")
