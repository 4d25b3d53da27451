"""``totp_enrol``: set up an authenticator app and prove it with one code (R2)."""

from __future__ import annotations

from collections.abc import Mapping

from flows.context import EnrolmentOffer
from flows.results import Challenge, Done, Failure, Possible, Resolution, Retry, StepResult
from flows.steps.base import NoConfig, Step, StepContext
from flows.steps.totp import CODE_ENDS, INVALID_CODE, MISSING_CODE, judged, normalise_code
from flows.wording import N_

#: What a flow state written before the key was sealed kept in the scratch data, in clear.
LEGACY_SCRATCH = ("secret", "otpauth_uri")

ENROL_INVALID = N_(
    "That code did not match. Add the key to your authenticator app, "
    "then enter the 6-digit code it shows now."
)


class TotpEnrolStep(Step[NoConfig]):
    """Enrol a TOTP credential; when done, the user holds an active one AND proved it now.

    That postcondition is why an already enrolled user is not waved through: skipping
    (``NotApplicable``) would deny a required step, and a silent ``Done()`` would let a flow
    whose only second factor is this step finish without one. So:

    - a code was already proven in this login: ``Done()``, nothing to ask;
    - an enrolment is under way (its ``credential_id`` in the scratch data): show the same key
      again, so a page reload does not invalidate what the user has already scanned. The key
      is read from the directory each time (kept sealed there), never kept in the flow state,
      which waits in the ephemeral store; a state written when it was kept there loses it at
      the next save. An offer that is gone (replaced in another tab) is started afresh;
    - the user already has an active credential (an admin put this step where it is always
      reached, or the user enrolled in another tab): ask for a code from that app
      (``data["mode"] == "verify"``), judged like ``totp``;
    - otherwise start an enrolment once and show its key (``data["mode"] == "enrol"``, with
      ``secret`` and ``otpauth_uri``); a confirmed code activates it and proves ``otp``.

    Nothing is started for a non-interactive request: the executor denies it anyway.
    """

    type = "totp_enrol"
    label = N_("Set up an authenticator app")
    needs_user = True

    def challenge(self, ctx: StepContext) -> Challenge | Resolution:
        if "otp" in ctx.proven:
            return Done()
        user_id = ctx.require_user()
        for legacy in LEGACY_SCRATCH:
            ctx.scratch.pop(legacy, None)
        if "credential_id" in ctx.scratch:
            offer = ctx.directory.totp_enrolment_offer(user_id, ctx.scratch["credential_id"])
            if offer is not None:
                return self._show_offer(ctx, offer)
            del ctx.scratch["credential_id"]
        facts = ctx.directory.user_facts(user_id)
        if facts is not None and facts.has_totp:
            return self.ask(ctx, {"mode": "verify"})
        if not ctx.request.interactive:
            return self.ask(ctx, {"mode": "enrol"})
        offer = ctx.directory.start_totp_enrolment(user_id)
        ctx.scratch["credential_id"] = offer.credential_id
        return self._show_offer(ctx, offer)

    def submit(self, ctx: StepContext, answer: Mapping[str, str]) -> StepResult:
        user_id = ctx.require_user()
        code = normalise_code(answer.get("code", ""))
        if not code:
            return Retry(errors=(MISSING_CODE,))
        credential_id = ctx.scratch.get("credential_id")
        if credential_id is None:
            verdict = ctx.directory.verify_totp(user_id, code)
            return judged(verdict, Failure("invalid_code", "otp", user_id), INVALID_CODE)
        for legacy in LEGACY_SCRATCH:
            ctx.scratch.pop(legacy, None)
        if ctx.directory.confirm_totp_enrolment(user_id, credential_id, code):
            return Done(amr=("otp",))
        return Retry(errors=(ENROL_INVALID,), failure=Failure("invalid_code", "otp", user_id))

    def _show_offer(self, ctx: StepContext, offer: EnrolmentOffer) -> Challenge:
        """The page's data (shown, never stored: the challenge is not part of the state)."""
        return self.ask(
            ctx, {"mode": "enrol", "secret": offer.secret, "otpauth_uri": offer.otpauth_uri}
        )

    def possible(self) -> tuple[Possible, ...]:
        return (Possible("done", ("otp",)), *CODE_ENDS)
