"""``totp``: a code from the user's authenticator app (RFC 6238), judged by the directory."""

from __future__ import annotations

from collections.abc import Mapping

from flows.context import Verdict
from flows.results import (
    NOT_APPLICABLE,
    Challenge,
    Deny,
    Done,
    Failure,
    Mark,
    NotApplicable,
    Possible,
    Resolution,
    Retry,
    StepResult,
)
from flows.steps.base import NoConfig, Step, StepContext
from flows.wording import N_

INVALID_CODE = N_("Invalid code. Enter the current 6-digit code from your authenticator app.")
MISSING_CODE = N_("Enter the 6-digit code from your authenticator app.")
#: The messages of the lockout's ``Deny`` (for the flow's logs; the bridge shows the person its
#: own ``AccountLocked`` page, in the same words).
LOCKED = N_(
    "Your account is locked after too many failed attempts. "
    "Contact an administrator of your organisation to unlock it."
)
RESTARTED = N_("Too many wrong codes. For your security this sign-in has ended: start again.")
#: What a step that judges a code may end in: the lockout may end the login (R8).
CODE_ENDS = (Possible("deny"),)


def normalise_code(raw: str) -> str:
    """Remove the spaces people type or paste ("123 456"); the directory judges the rest."""
    return "".join(raw.split())


def judged(
    verdict: Verdict,
    failure: Failure,
    wrong: str,
    *,
    mark: Mark | None = None,
) -> StepResult:
    """A code's verdict as a step result: a factor proven, asked again, or the login ended."""
    if verdict is Verdict.OK:
        return Done(amr=("otp",), mark=mark)
    if verdict is Verdict.LOCKED:
        return Deny(LOCKED, reason="locked", failure=failure)
    if verdict is Verdict.RESTART:
        return Deny(RESTARTED, reason="restart", failure=failure)
    return Retry(errors=(wrong,), failure=failure)


class TotpStep(Step[NoConfig]):
    """Ask for a TOTP code.

    Resolves without asking when a code was already proven in this login (for example by
    ``totp_enrol`` a moment ago). Does not apply to a user without an active TOTP credential:
    as an alternative the next one is tried, as a required step the login is denied rather
    than asking for a code that can never be right. An empty answer is asked again without
    calling the directory, so it does not count as a wrong code.
    """

    type = "totp"
    label = N_("Authenticator app")
    needs_user = True

    def challenge(self, ctx: StepContext) -> Challenge | Resolution:
        if "otp" in ctx.proven:
            return Done()
        facts = ctx.directory.user_facts(ctx.require_user())
        if facts is None or not facts.has_totp:
            return NotApplicable()
        return self.ask(ctx)

    def offered(self, ctx: StepContext) -> bool:
        if ctx.user_id is None:
            return False
        facts = ctx.directory.user_facts(ctx.user_id)
        return facts is not None and facts.has_totp

    def submit(self, ctx: StepContext, answer: Mapping[str, str]) -> StepResult:
        user_id = ctx.require_user()
        code = normalise_code(answer.get("code", ""))
        if not code:
            return Retry(errors=(MISSING_CODE,))
        verdict = ctx.directory.verify_totp(user_id, code)
        return judged(verdict, Failure("invalid_code", "otp", user_id), INVALID_CODE)

    def possible(self) -> tuple[Possible, ...]:
        return (Possible("done", ("otp",)), NOT_APPLICABLE, *CODE_ENDS)
