"""``cookie``: the browser already has a bridge session that satisfies the request."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import Field

from flows.errors import FlowRuntimeError
from flows.results import (
    NOT_APPLICABLE,
    NOT_FACTORS,
    Challenge,
    Done,
    NotApplicable,
    Possible,
    Resolution,
    StepResult,
)
from flows.steps.base import Step, StepConfig, StepContext
from flows.wording import N_


class CookieConfig(StepConfig):
    # The oldest session (seconds since its authentication) this flow accepts; the request's
    # ``max_age`` applies as well, and the stricter of the two wins.
    max_age: int | None = Field(default=None, ge=0)


class CookieStep(Step[CookieConfig]):
    """Reuse the existing session unless the request forces a login or finds it too old.

    A session that proved fewer factors than the request's level of assurance needs does not
    count either (step-up): the flow goes on to its other alternatives.
    """

    type = "cookie"
    label = N_("Continue with your current session")
    config_model = CookieConfig
    identifies_user = True
    asks = False

    def challenge(self, ctx: StepContext) -> Challenge | Resolution:
        session = ctx.session
        if session is None or ctx.request.force_login:
            return NotApplicable()
        if len(set(session.amr) - NOT_FACTORS) < ctx.request.required_factors:
            return NotApplicable()  # step-up: the request asks for more than the session proved
        limits = [age for age in (ctx.request.max_age, self.config.max_age) if age is not None]
        if limits and ctx.now - session.auth_time > min(limits):
            return NotApplicable()
        return Done(
            user_id=session.user_id,
            amr=session.amr,
            auth_time=session.auth_time,
            acr=session.acr,
        )

    def offered(self, ctx: StepContext) -> bool:
        return isinstance(self.challenge(ctx), Done)

    def submit(self, ctx: StepContext, answer: Mapping[str, str]) -> StepResult:
        raise FlowRuntimeError(f"cookie at {ctx.path} never asks, so it takes no answer")

    def possible(self) -> tuple[Possible, ...]:
        return (Possible("done", session=True), NOT_APPLICABLE)
