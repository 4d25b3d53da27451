"""The step contract: a ``type`` name, a typed config, ``challenge`` and ``submit``."""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from flows.context import Directory, ExistingSession, LoginRequest
from flows.errors import FlowRuntimeError
from flows.results import DONE, FAIL, NOT_APPLICABLE, Challenge, Possible, Resolution, StepResult


class StepConfig(BaseModel):
    """Base of every step's config schema: strict, frozen, no unknown keys.

    The loader hands YAML lists over as tuples: declare list fields as ``tuple[...]``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class NoConfig(StepConfig):
    """The config of a step that takes none."""


@dataclass
class StepContext:
    """What a step may see and touch while it runs at ``path``.

    ``scratch`` is the step's own small store, kept in the flow state between requests (strings
    only, so it stays JSON). A step may set ``username`` to remember what the user typed.
    """

    path: str
    directory: Directory
    request: LoginRequest
    session: ExistingSession | None
    now: int
    user_id: str | None
    proven: tuple[str, ...]  # factors proven so far in this login (not those of a session)
    scratch: dict[str, str] = field(default_factory=dict)
    username: str | None = None
    device: str | None = None  # the browser's opaque id, for trusted devices

    def require_user(self) -> str:
        """The identified user; a step that needs one may only be reached after one is known."""
        if self.user_id is None:
            raise FlowRuntimeError(f"step at {self.path} needs an identified user, and none is")
        return self.user_id


ConfigT = TypeVar("ConfigT", bound=StepConfig)


class Step(ABC, Generic[ConfigT]):
    """A kind of execution. Subclasses set ``type`` and, if configurable, ``config_model``."""

    type: ClassVar[str]
    label: ClassVar[str]  # shown in "try another way"
    config_model: ClassVar[builtins.type[StepConfig]] = NoConfig
    identifies_user: ClassVar[bool] = False  # may establish who the user is
    needs_user: ClassVar[bool] = False  # may only run once the user is identified
    asks: ClassVar[bool] = True  # may stop to ask the user (who may then "try another way")
    offerable: ClassVar[bool] = True  # False when ``offered`` is always False

    def __init__(self, config: ConfigT) -> None:
        self.config = config

    @abstractmethod
    def challenge(self, ctx: StepContext) -> Challenge | Resolution:
        """What to ask; or a result when the step can decide without asking."""

    @abstractmethod
    def submit(self, ctx: StepContext, answer: Mapping[str, str]) -> StepResult:
        """Judge the user's answer to this step's challenge."""

    def possible(self) -> tuple[Possible, ...]:
        """Every way this step may end, for the safety proof.

        The default is the cautious one for a step that proves nothing: it may succeed, not
        apply or fail. A step that proves a factor says so by overriding this.
        """
        return (DONE, NOT_APPLICABLE, FAIL)

    def offered(self, ctx: StepContext) -> bool:
        """Whether "try another way" may list this step now. No side effects; default yes."""
        return True

    def ask(self, ctx: StepContext, data: Mapping[str, str] | None = None) -> Challenge:
        """A challenge for this step at the context's path (the executor adds errors, choices)."""
        return Challenge(step=self.type, path=ctx.path, data=dict(data or {}))

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.config == self.config

    def __hash__(self) -> int:
        return hash((self.type, self.config))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.config!r})"


AnyStep = Step[Any]
