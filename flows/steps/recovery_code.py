"""``recovery_code``: one of the user's single-use recovery ("reserve") codes (R11)."""

from __future__ import annotations

from collections.abc import Mapping

from flows.results import (
    NOT_APPLICABLE,
    Challenge,
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
from flows.steps.totp import CODE_ENDS, judged, normalise_code
from flows.wording import N_

INVALID_RECOVERY_CODE = N_("That recovery code is not valid or was already used.")
MISSING_RECOVERY_CODE = N_("Enter one of your recovery codes.")


class RecoveryCodeStep(Step[NoConfig]):
    """Accept a recovery code in place of an authenticator code; each works once.

    Proves ``otp`` (RFC 8176: a one-time password). Does not apply to a user who holds no
    unused code, so as an alternative to ``totp`` it is only offered to users who have some.
    The directory consumes the code durably before it says yes.
    """

    type = "recovery_code"
    label = N_("Use a recovery code")
    needs_user = True

    def challenge(self, ctx: StepContext) -> Challenge | Resolution:
        if "otp" in ctx.proven:
            return Done()
        if not ctx.directory.has_recovery_codes(ctx.require_user()):
            return NotApplicable()
        return self.ask(ctx)

    def offered(self, ctx: StepContext) -> bool:
        return ctx.user_id is not None and ctx.directory.has_recovery_codes(ctx.user_id)

    def submit(self, ctx: StepContext, answer: Mapping[str, str]) -> StepResult:
        user_id = ctx.require_user()
        code = normalise_code(answer.get("code", ""))
        if not code:
            return Retry(errors=(MISSING_RECOVERY_CODE,))
        return judged(
            ctx.directory.verify_recovery_code(user_id, code),
            Failure("invalid_recovery_code", "otp", user_id),
            INVALID_RECOVERY_CODE,
            mark=Mark.RECOVERY_CODE,
        )

    def possible(self) -> tuple[Possible, ...]:
        return (Possible("done", ("otp",)), NOT_APPLICABLE, *CODE_ENDS)
