"""``idp_redirect``: log in at an upstream identity provider (org SSO, Google, ...)."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import Field

from flows.errors import FlowRuntimeError
from flows.results import (
    NOT_APPLICABLE,
    Challenge,
    NotApplicable,
    Possible,
    Redirect,
    Resolution,
    StepResult,
)
from flows.steps.base import Step, StepConfig, StepContext


class IdpRedirectConfig(StepConfig):
    # A named provider; without one, home-realm discovery by the e-mail domain of the
    # request's login_hint.
    provider: str | None = Field(default=None, min_length=1)


class IdpRedirectStep(Step[IdpRedirectConfig]):
    """Send the browser to the upstream provider the directory names, or not apply.

    The login leaves this flow: when the provider answers, the bridge runs the federated
    (post-broker) flow bound for the login, which starts with the user identified. Does not
    apply when no configured provider matches, so a browser flow may list it first as an
    alternative to the password.
    """

    type = "idp_redirect"
    label = "Sign in with your organisation"
    config_model = IdpRedirectConfig
    asks = False

    def challenge(self, ctx: StepContext) -> Challenge | Resolution:
        url = ctx.directory.upstream_login_url(self.config.provider, ctx.request.login_hint)
        return NotApplicable() if url is None else Redirect(url)

    def offered(self, ctx: StepContext) -> bool:
        url = ctx.directory.upstream_login_url(self.config.provider, ctx.request.login_hint)
        return url is not None

    def submit(self, ctx: StepContext, answer: Mapping[str, str]) -> StepResult:
        raise FlowRuntimeError(f"idp_redirect at {ctx.path} never asks, so it takes no answer")

    def possible(self) -> tuple[Possible, ...]:
        return (Possible("redirect"), NOT_APPLICABLE)
