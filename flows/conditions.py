"""Conditions that decide whether a ``conditional`` execution runs, and their composition.

A condition is a registered class with a ``type`` name (``user_has_totp``) and a typed config;
``Not``, ``AllOf`` and ``AnyOf`` compose them. Conditions read the user's facts fresh from the
directory every time they are evaluated; the executor memoizes each conditional execution's
decision in the flow state the first time it is reached.
"""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from flows.context import Directory, LoginRequest, UserFacts
from flows.errors import FlowRuntimeError
from flows.steps.base import NoConfig, StepConfig


@dataclass(frozen=True)
class ConditionContext:
    """What a condition may look at."""

    path: str  # of the conditional execution, for messages
    directory: Directory
    request: LoginRequest
    user_id: str | None
    now: int

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

    def __init__(self, config: ConfigT) -> None:
        self.config = config

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

    def holds(self, ctx: ConditionContext) -> bool:
        return ctx.facts().has_totp


class MfaRequired(Condition[NoConfig]):
    """A second factor is required for this user (org enforcement, per-user flag, ...)."""

    type = "mfa_required"
    needs_user = True

    def holds(self, ctx: ConditionContext) -> bool:
        return ctx.facts().mfa_required


BUILTIN_CONDITIONS: tuple[type[AnyCondition], ...] = (UserHasTotp, MfaRequired)


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
