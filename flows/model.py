"""The flow model: a tree of executions, parsed once from YAML into frozen objects.

Every execution has a ``path``: its indexes from the root joined by dots ("1.0" is the first
child of the second top-level execution). Paths are stable for a given file and are what the
flow state and the messages refer to. The root level itself has the path "".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from flows.conditions import ConditionExpr
from flows.steps.base import AnyStep
from flows.wording import N_


class Requirement(StrEnum):
    REQUIRED = "required"  # must succeed
    ALTERNATIVE = "alternative"  # one of the level's alternatives must succeed
    CONDITIONAL = "conditional"  # runs as required when all its ``when`` conditions hold
    DISABLED = "disabled"  # ignored


@dataclass(frozen=True)
class StepExecution:
    """A step in the tree: ``type: password``."""

    path: str
    requirement: Requirement
    step: AnyStep
    when: tuple[ConditionExpr, ...] = ()
    label: str | None = None
    line: int = 0

    @property
    def display_label(self) -> str:
        return self.label or self.step.label

    def first_step(self) -> StepExecution | None:
        return self if self.requirement is not Requirement.DISABLED else None


@dataclass(frozen=True)
class SubFlow:
    """A sub-flow in the tree: ``flow: [...]``."""

    path: str
    requirement: Requirement
    children: tuple[Execution, ...]
    when: tuple[ConditionExpr, ...] = ()
    label: str | None = None
    line: int = 0

    @property
    def display_label(self) -> str:
        if self.label:
            return self.label
        first = self.first_step()
        return first.display_label if first else N_("Another way")

    def first_step(self) -> StepExecution | None:
        if self.requirement is Requirement.DISABLED:
            return None
        for child in self.children:
            found = child.first_step()
            if found is not None:
                return found
        return None


Execution = StepExecution | SubFlow


class FlowKind(StrEnum):
    BROWSER = "browser"  # starts knowing nobody; a step must identify the user
    FEDERATED = "federated"  # post-broker: starts with the user an upstream provider vouched for


@dataclass(frozen=True)
class Level:
    """One level of the tree as a run walks it: worked out once, when the flow is built."""

    path: str  # "" for the root level, else the sub-flow's
    active: tuple[Execution, ...]  # the children that are not disabled, in document order
    alternatives: bool  # every active child is an alternative (else required and conditional)


@dataclass(frozen=True)
class Flow:
    """A named login flow. ``digest`` changes whenever the tree does (see ``FlowState``).

    A flow never changes once built, so what every run would derive from the tree again (each
    level's active children and kind, the execution at each path) is derived once, here.
    """

    id: str
    steps: tuple[Execution, ...]
    source: str = "<memory>"
    line: int = 0
    digest: str = ""
    kind: FlowKind = FlowKind.BROWSER
    # Derived from ``steps`` (see ``__post_init__``): each level by its path ("" the root),
    # and each execution by its path, depth first in document order.
    levels: Mapping[str, Level] = field(init=False, repr=False, compare=False)
    executions: Mapping[str, Execution] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        executions: dict[str, Execution] = {}
        stack = list(reversed(self.steps))
        while stack:  # depth first, in document order
            execution = stack.pop()
            executions[execution.path] = execution
            if isinstance(execution, SubFlow):
                stack.extend(reversed(execution.children))
        levels = {"": _level("", self.steps)}
        for execution in executions.values():
            if isinstance(execution, SubFlow):
                levels[execution.path] = _level(execution.path, execution.children)
        object.__setattr__(self, "executions", executions)
        object.__setattr__(self, "levels", levels)

    def find(self, path: str) -> Execution:
        """The execution at ``path``; ``KeyError`` if there is none."""
        known = self.executions.get(path)
        if known is not None:
            return known
        try:  # a path spelled otherwise ("01" for "1")
            indexes = [int(part) for part in path.split(".")]
        except ValueError:
            raise KeyError(path) from None
        level: tuple[Execution, ...] = self.steps
        found: Execution | None = None
        for index in indexes:
            if not 0 <= index < len(level):
                raise KeyError(path)
            found = level[index]
            level = found.children if isinstance(found, SubFlow) else ()
        assert found is not None
        return found

    def walk(self) -> list[Execution]:
        """Every execution, depth first in document order."""
        return list(self.executions.values())


def _level(path: str, children: tuple[Execution, ...]) -> Level:
    active = tuple(c for c in children if c.requirement is not Requirement.DISABLED)
    alternatives = bool(active) and all(c.requirement is Requirement.ALTERNATIVE for c in active)
    return Level(path, active, alternatives)


def parent_path(path: str) -> str:
    """The path of the level that holds ``path`` ("" for a top-level execution)."""
    return path.rpartition(".")[0]


def key_path(path: str) -> str:
    """The YAML key path of an execution path: "1.0" -> "steps[1].flow[0]"."""
    if not path:
        return "steps"
    first, *rest = path.split(".")
    return f"steps[{first}]" + "".join(f".flow[{index}]" for index in rest)
