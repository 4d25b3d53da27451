"""What the login service returns to the web layer, and what it needs from it.

A ``Visit`` is what the web layer knows of the request; ``Links`` are the URLs it serves. A
``Screen`` is what to show next: a step's page, a redirect, the finished login (``SignedIn``)
or a refusal to send back to the application.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import flows
from bridge.domain.language import LanguageHints
from bridge.federation.providers import IdentityProvider
from bridge.login.hooks import SignedIn, Visit


class Links(Protocol):
    """The URLs of the web layer that a login sends the browser to."""

    def step(self, flow_id: str) -> str: ...

    def recovery_codes(self, flow_id: str) -> str: ...

    def new_password(self, flow_id: str) -> str: ...

    def upstream_start(self, alias: str, flow_id: str, login_hint: str | None) -> str: ...


@dataclass(frozen=True)
class ShowStep:
    """Render the page of ``challenge``."""

    flow_id: str
    challenge: flows.Challenge
    errors: tuple[str, ...]
    client_id: str | None
    trust_days: int | None  # N of "trust this browser for N days", when offered
    linking: bool  # proving a local account for linking: no provider buttons
    providers: tuple[IdentityProvider, ...] = ()  # "log in with ..." on the password page
    # For the page's language (the application's ui_locales, the person, the organisation).
    hints: LanguageHints = field(default_factory=LanguageHints)
    # The factors the application asked for (``acr_values``): why a page asks for a code.
    required_factors: int = 0
    # The account is locked (only after its right password): the admins to ask, maybe none.
    locked_contacts: tuple[str, ...] | None = None


@dataclass(frozen=True)
class GoTo:
    """Send the browser to ``url`` (the next page of this login, or a provider)."""

    url: str
    trust: flows.DeviceTrust | None = None


@dataclass(frozen=True)
class DeniedToClient:
    """The flow refused an OIDC login: send ``error`` back to the application."""

    params: Mapping[str, str]
    error: str
    description: str
    trust: flows.DeviceTrust | None = None


Screen = ShowStep | GoTo | SignedIn | DeniedToClient

__all__ = ["DeniedToClient", "GoTo", "Links", "Screen", "ShowStep", "SignedIn", "Visit"]
