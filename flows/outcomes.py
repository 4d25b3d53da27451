"""What a call to the executor answers, and the claims a completed login has earned.

The caller sees one of four outcomes: the next challenge, a redirect to an upstream provider,
a denial, or the completed login as a ``FlowResult`` (what the ID token's claims are made
from). Each also reports what happened during the call, for the audit log and the cookies.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flows.context import DeviceTrust
from flows.results import NOT_FACTORS, Challenge, Failure, Mark
from flows.state import FlowState

#: The amr value of a login an upstream identity provider vouched for (RFC 8176 has none).
FEDERATED = "fed"


@dataclass(frozen=True)
class FlowResult:
    """Who the user is and how they proved it: what the ID token's claims are made from."""

    user_id: str
    amr: tuple[str, ...]
    auth_time: int
    acr: str | None = None
    marks: frozenset[Mark] = frozenset()  # a recovery code or a trusted browser stood in

    @property
    def used_recovery_code(self) -> bool:
        return Mark.RECOVERY_CODE in self.marks

    @property
    def used_trusted_device(self) -> bool:
        return Mark.TRUSTED_DEVICE in self.marks


@dataclass(frozen=True)
class StepDone:
    """A step that succeeded during this call, and the factors it proved (for audit)."""

    path: str
    step: str
    proven: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class _Report:
    failure: Failure | None = None  # the failed attempt of this call's submit, for the audit log
    done: tuple[StepDone, ...] = ()  # the steps that succeeded during this call
    trust: DeviceTrust | None = None  # a browser trusted during this call (its cookie to set)

    @property
    def proven(self) -> tuple[str, ...]:
        """The factors proven during this call, e.g. ``("otp",)`` after a TOTP code."""
        return _dedupe(factor for step in self.done for factor in step.proven)


@dataclass(frozen=True)
class NeedsInput(_Report):
    challenge: Challenge


@dataclass(frozen=True)
class Completed(_Report):
    result: FlowResult


@dataclass(frozen=True)
class Denied(_Report):
    reason: str  # "login_required", "no_user", "user_mismatch", "no_alternative", a Fail reason
    message: str  # for logs and the "explain" view, not for end users verbatim


@dataclass(frozen=True)
class RedirectTo(_Report):
    url: str


Outcome = NeedsInput | Completed | Denied | RedirectTo


def flow_result(state: FlowState, user_id: str, now: int) -> FlowResult:
    """The claims of the login ``state`` records: ``mfa`` joins the amr once two distinct
    factors were proven in this login."""
    amr = _dedupe(state.amr)
    if len(set(state.proven) - NOT_FACTORS) >= 2 and "mfa" not in amr:
        amr = (*amr, "mfa")
    return FlowResult(
        user_id=user_id,
        amr=amr,
        auth_time=_auth_time(state, now),
        acr=state.acr,
        marks=frozenset(state.marks),
    )


def _auth_time(state: FlowState, now: int) -> int:
    """When the user authenticated: the latest proof of this login (a factor proven now;
    ``fed`` at the upstream's time, never later than now), else the reused session's."""
    upstream = state.federated_auth_time
    proofs = [
        min(upstream, now) if factor == FEDERATED and upstream is not None else now
        for factor in state.proven
        if factor not in NOT_FACTORS
    ]
    if proofs:
        return max(proofs)
    return now if state.session_auth_time is None else state.session_auth_time


def _dedupe(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))
