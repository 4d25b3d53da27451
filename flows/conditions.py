"""Conditions that decide whether a ``conditional`` execution runs, and their composition.

A condition is a registered class with a ``type`` name (``user_has_totp``) and a typed config;
``Not``, ``AllOf`` and ``AnyOf`` compose them. Conditions read the user's facts fresh from the
directory every time they are evaluated; the executor memoizes each conditional execution's
decision in the flow state the first time it is reached.
"""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import Field

from flows.context import Directory, LoginRequest, UserFacts
from flows.errors import FlowRuntimeError
from flows.results import Mark
from flows.steps.base import NoConfig, StepConfig


@dataclass(frozen=True)
class ConditionContext:
    """What a condition may look at."""

    path: str  # of the conditional execution, for messages
    directory: Directory
    request: LoginRequest
    user_id: str | None
    now: int
    device: str | None = None
    marks: set[Mark] = field(default_factory=set)  # what a condition that held stood in for

    def facts(self) -> UserFacts:
        """The identified user's facts, read now (never cached)."""
        if self.user_id is None:
            raise FlowRuntimeError(
                f"a condition at {self.path} needs an identified user, and none is yet"
            )
        facts = self.directory.user_facts(self.user_id)
        if facts is None:
            raise FlowRuntimeError(f"user {self.user_id!r} vanished during the login")
        return facts


ConfigT = TypeVar("ConfigT", bound=StepConfig)


class Condition(ABC, Generic[ConfigT]):
    """A named test. Subclasses set ``type`` and, if configurable, ``config_model``."""

    type: ClassVar[str]
    config_model: ClassVar[builtins.type[StepConfig]] = NoConfig
    needs_user: ClassVar[bool] = False
    # For the safety proof: True when the answer may turn from false to true during one login
    # (never back), and the step types after which it is true for certain.
    monotone: ClassVar[bool] = False
    true_after: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: ConfigT) -> None:
        self.config = config

    def assumed(self) -> bool | None:
        """The value the safety proof fixes for the user it is about (non-federated, not a
        service account, 2FA required by policy); None when the proof tries both values."""
        return None

    def describe(self) -> str:
        """How traces and plans name this condition: ``user_role(admin)``,
        ``acr_requested(min_factors=2)``."""
        shown = {
            key: ",".join(str(v) for v in value) if isinstance(value, tuple) else str(value)
            for key, value in self.config.model_dump().items()
            if value is not None and value != ()
        }
        if not shown:
            return self.type
        if list(shown) == ["any_of"]:
            return f"{self.type}({shown['any_of']})"
        return f"{self.type}({'; '.join(f'{k}={v}' for k, v in shown.items())})"

    @abstractmethod
    def holds(self, ctx: ConditionContext) -> bool:
        """Whether the condition is true now."""

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.config == self.config

    def __hash__(self) -> int:
        return hash((self.type, self.config))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.config!r})"


AnyCondition = Condition[Any]


class UserHasTotp(Condition[NoConfig]):
    """The user has an active (confirmed) TOTP credential."""

    type = "user_has_totp"
    needs_user = True
    # Enrolment, in this login or in another tab, adds a credential; nothing in a login
    # removes one.
    monotone = True
    true_after = ("totp_enrol",)

    def holds(self, ctx: ConditionContext) -> bool:
        return ctx.facts().has_totp


class MfaRequired(Condition[NoConfig]):
    """A second factor is required for this user (org enforcement, per-user flag, ...)."""

    type = "mfa_required"
    needs_user = True

    def holds(self, ctx: ConditionContext) -> bool:
        return ctx.facts().mfa_required

    def assumed(self) -> bool | None:
        return True


class UserIsServiceAccount(Condition[NoConfig]):
    """The user is a service account (no 2FA; for integrations, R9, R16)."""

    type = "user_is_service_account"
    needs_user = True

    def holds(self, ctx: ConditionContext) -> bool:
        return ctx.facts().is_service_account

    def assumed(self) -> bool | None:
        return False


class DeviceTrusted(Condition[NoConfig]):
    """This browser is trusted for the user (R12): the user ticked "trust this browser" after
    a login with two factors, within the admin's N days, and nothing revoked it since."""

    type = "device_trusted"
    needs_user = True

    def holds(self, ctx: ConditionContext) -> bool:
        user_id = ctx.facts().id
        trusted = ctx.directory.device_is_trusted(user_id, ctx.device)
        if trusted:
            ctx.marks.add(Mark.TRUSTED_DEVICE)
        return trusted


class Names(StepConfig):
    """A non-empty list of names: ``{user_role: {any_of: [admin, auditor]}}``."""

    any_of: tuple[str, ...] = Field(min_length=1)


class UserRole(Condition[Names]):
    """The user holds at least one of the roles ``any_of``."""

    type = "user_role"
    config_model = Names
    needs_user = True

    def holds(self, ctx: ConditionContext) -> bool:
        return not ctx.facts().roles.isdisjoint(self.config.any_of)


class ClientIs(Condition[Names]):
    """The login was started by one of the clients ``any_of`` (client ids)."""

    type = "client_is"
    config_model = Names

    def holds(self, ctx: ConditionContext) -> bool:
        return ctx.request.client_id in self.config.any_of


class AcrValues(StepConfig):
    # The request names one of these acr values.
    any_of: tuple[str, ...] = ()
    # The requested level of assurance needs at least this many factors (the bridge maps
    # acr values to levels; see ``LoginRequest.required_factors``).
    min_factors: int | None = Field(default=None, ge=1)


class AcrRequested(Condition[AcrValues]):
    """The request asks for a level of assurance: one of ``any_of``, one that needs at least
    ``min_factors`` factors (both, when both are given), or any at all (neither given).
    Step-up: ``{acr_requested: {min_factors: 2}}`` asks for a second factor only when the
    application wants one."""

    type = "acr_requested"
    config_model = AcrValues

    def holds(self, ctx: ConditionContext) -> bool:
        request, config = ctx.request, self.config
        if not config.any_of and config.min_factors is None:
            return bool(request.acr_values)
        named = not config.any_of or any(value in config.any_of for value in request.acr_values)
        strong = config.min_factors is None or request.required_factors >= config.min_factors
        return named and strong


class LoginIsFederated(Condition[NoConfig]):
    """The user logged in at an upstream identity provider (org SSO, Google, ...): R7."""

    type = "login_is_federated"

    def holds(self, ctx: ConditionContext) -> bool:
        return ctx.request.idp is not None

    def assumed(self) -> bool | None:
        return False


class IdpIs(Condition[Names]):
    """The login is federated through one of the upstream providers ``any_of``."""

    type = "idp_is"
    config_model = Names

    def holds(self, ctx: ConditionContext) -> bool:
        return ctx.request.idp is not None and ctx.request.idp in self.config.any_of

    def assumed(self) -> bool | None:
        return False


BUILTIN_CONDITIONS: tuple[type[AnyCondition], ...] = (
    UserHasTotp,
    MfaRequired,
    UserIsServiceAccount,
    DeviceTrusted,
    UserRole,
    ClientIs,
    AcrRequested,
    LoginIsFederated,
    IdpIs,
)


@dataclass(frozen=True)
class Not:
    """``{not: c}``"""

    condition: ConditionExpr


@dataclass(frozen=True)
class AllOf:
    """``{all: [c, ...]}``: every condition holds (evaluated in order, stops at the first false)."""

    conditions: tuple[ConditionExpr, ...]


@dataclass(frozen=True)
class AnyOf:
    """``{any: [c, ...]}``: some condition holds (evaluated in order, stops at the first true)."""

    conditions: tuple[ConditionExpr, ...]


ConditionExpr = AnyCondition | Not | AllOf | AnyOf

COMPOSITES = ("not", "all", "any")


def evaluate(expr: ConditionExpr, ctx: ConditionContext) -> bool:
    """Evaluate a condition expression."""
    if isinstance(expr, Not):
        return not evaluate(expr.condition, ctx)
    if isinstance(expr, AllOf):
        return all(evaluate(item, ctx) for item in expr.conditions)
    if isinstance(expr, AnyOf):
        return any(evaluate(item, ctx) for item in expr.conditions)
    return expr.holds(ctx)


def needs_user(expr: ConditionExpr) -> bool:
    """Whether evaluating the expression may ask about the user (conservatively: any leaf)."""
    if isinstance(expr, Not):
        return needs_user(expr.condition)
    if isinstance(expr, AllOf | AnyOf):
        return any(needs_user(item) for item in expr.conditions)
    return expr.needs_user
