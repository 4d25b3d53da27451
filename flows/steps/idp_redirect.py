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
from flows.wording import N_


class IdpRedirectConfig(StepConfig):
    # A named provider; without one, the provider the request hints at (``kc_idp_hint`` or
    # ``idp_hint``), else home-realm discovery by the e-mail domain of its login_hint.
    provider: str | None = Field(default=None, min_length=1)


class IdpRedirectStep(Step[IdpRedirectConfig]):
    """Send the browser to the upstream provider the directory names, or not apply.

    The login leaves this flow: when the provider answers, the bridge runs the federated
    (post-broker) flow bound for the login, which starts with the user identified. Does not
    apply when no configured provider matches, so a browser flow may list it first as an
    alternative to the password. Never applies to a login that already came back from a
    provider (``request.idp``): a federated login is not sent upstream again.
    """

    type = "idp_redirect"
    label = N_("Sign in with your organisation")
    config_model = IdpRedirectConfig
    asks = False

    def challenge(self, ctx: StepContext) -> Challenge | Resolution:
        url = self._url(ctx)
        return NotApplicable() if url is None else Redirect(url)

    def offered(self, ctx: StepContext) -> bool:
        return self._url(ctx) is not None

    def _url(self, ctx: StepContext) -> str | None:
        request, directory = ctx.request, ctx.directory
        if request.idp is not None:
            return None
        if self.config.provider is not None:
            return directory.upstream_login_url(self.config.provider, request.login_hint)
        # A hint naming no provider is ignored: discovery by the login_hint, as without one.
        hinted = request.idp_hint and directory.upstream_login_url(
            request.idp_hint, request.login_hint
        )
        return hinted or directory.upstream_login_url(None, request.login_hint)

    def submit(self, ctx: StepContext, answer: Mapping[str, str]) -> StepResult:
        raise FlowRuntimeError(f"idp_redirect at {ctx.path} never asks, so it takes no answer")

    def possible(self) -> tuple[Possible, ...]:
        return (Possible("redirect"), NOT_APPLICABLE)
