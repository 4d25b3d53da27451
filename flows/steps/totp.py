"""``totp``: a code from the user's authenticator app (RFC 6238), judged by the directory."""

from __future__ import annotations

from collections.abc import Mapping

from flows.results import (
    NOT_APPLICABLE,
    Challenge,
    Done,
    Failure,
    NotApplicable,
    Possible,
    Resolution,
    Retry,
    StepResult,
)
from flows.steps.base import NoConfig, Step, StepContext

INVALID_CODE = "Invalid code. Enter the current 6-digit code from your authenticator app."
MISSING_CODE = "Enter the 6-digit code from your authenticator app."


def normalise_code(raw: str) -> str:
    """Remove the spaces people type or paste ("123 456"); the directory judges the rest."""
    return "".join(raw.split())


class TotpStep(Step[NoConfig]):
    """Ask for a TOTP code.

    Resolves without asking when a code was already proven in this login (for example by
    ``totp_enrol`` a moment ago). Does not apply to a user without an active TOTP credential:
    as an alternative the next one is tried, as a required step the login is denied rather
    than asking for a code that can never be right. An empty answer is asked again without
    calling the directory, so it does not count as a wrong code.
    """

    type = "totp"
    label = "Authenticator app"
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
        if ctx.directory.verify_totp(user_id, code):
            return Done(amr=("otp",))
        return Retry(errors=(INVALID_CODE,), failure=Failure("invalid_code", "otp", user_id))

    def possible(self) -> tuple[Possible, ...]:
        return (Possible("done", ("otp",)), NOT_APPLICABLE)
