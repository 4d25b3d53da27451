"""``deny`` and ``allow``: end a branch of the flow with a verdict, asking nothing."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import Field

from flows.errors import FlowRuntimeError
from flows.results import DONE, Challenge, Deny, Done, Possible, Resolution, StepResult
from flows.steps.base import NoConfig, Step, StepConfig, StepContext
from flows.wording import N_


class DenyConfig(StepConfig):
    message: str = Field(min_length=1)  # shown to the user, and sent to the application


class DenyStep(Step[DenyConfig]):
    """Stop the login with ``message``, whatever the requirement and the enclosing levels.

    Usually the only step of a conditional sub-flow: ``when: [{client_is: ...}]``.
    """

    type = "deny"
    label = N_("Access denied")
    config_model = DenyConfig
    asks = False
    offerable = False

    def challenge(self, ctx: StepContext) -> Challenge | Resolution:
        return Deny(self.config.message)

    def offered(self, ctx: StepContext) -> bool:
        return False

    def submit(self, ctx: StepContext, answer: Mapping[str, str]) -> StepResult:
        raise FlowRuntimeError(f"deny at {ctx.path} never asks, so it takes no answer")

    def possible(self) -> tuple[Possible, ...]:
        return (Possible("deny"),)


class AllowStep(Step[NoConfig]):
    """Succeed without asking or proving anything.

    It passes the level it is in; the login still completes only once a user is identified,
    and the safety proof still counts the factors proven on the way.
    """

    type = "allow"
    label = N_("Continue")
    asks = False
    offerable = False

    def challenge(self, ctx: StepContext) -> Challenge | Resolution:
        return Done()

    def offered(self, ctx: StepContext) -> bool:
        return False

    def submit(self, ctx: StepContext, answer: Mapping[str, str]) -> StepResult:
        raise FlowRuntimeError(f"allow at {ctx.path} never asks, so it takes no answer")

    def possible(self) -> tuple[Possible, ...]:
        return (DONE,)
