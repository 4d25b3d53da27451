"""``trust_device``: offer to skip the second factor on this browser next time (R12)."""

from __future__ import annotations

from collections.abc import Mapping

from flows.results import DONE, NOT_FACTORS, Challenge, Done, Possible, Resolution, StepResult
from flows.steps.base import NoConfig, Step, StepContext
from flows.wording import N_

YES = ("yes", "on", "true", "1")


class TrustDeviceStep(Step[NoConfig]):
    """Ask "trust this browser for N days?"; a yes asks the directory to remember it.

    It proves nothing and never blocks a login: it is done whatever the answer. It only
    offers to trust a browser after two distinct factors were proven in this very login, so a
    trusted browser always stands for a completed second factor (the safety proof checks the
    same of the flow, and relies on it when it counts ``device_trusted`` as a factor). Without
    interaction, or when the directory offers no trust for the user, it is done silently.
    """

    type = "trust_device"
    label = N_("Trust this browser")
    needs_user = True
    offerable = False

    def challenge(self, ctx: StepContext) -> Challenge | Resolution:
        user_id = ctx.require_user()
        factors = set(ctx.proven) - NOT_FACTORS
        if len(factors) < 2 or not ctx.request.interactive or ctx.device is None:
            return Done()
        days = ctx.directory.trusted_device_days(user_id)
        if days is None:
            return Done()
        return self.ask(ctx, {"days": str(days)})

    def submit(self, ctx: StepContext, answer: Mapping[str, str]) -> StepResult:
        user_id = ctx.require_user()
        if answer.get("trust", "").strip().lower() in YES:
            return Done(trust=ctx.directory.trust_device(user_id, ctx.device))
        return Done()

    def offered(self, ctx: StepContext) -> bool:
        return False

    def possible(self) -> tuple[Possible, ...]:
        return (DONE,)
