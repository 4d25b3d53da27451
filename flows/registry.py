"""Step and condition types, keyed by the name YAML uses (``type: totp``).

The built-in types are registered when this module is imported (that is code, not
configuration). Third-party packages add more through the entry point groups
``bridge.flow_steps`` and ``bridge.flow_conditions``; those are loaded only when
``load_entry_points()`` is called, once, at start-up and before flows are loaded:

    [project.entry-points."bridge.flow_steps"]
    webauthn = "acme_bridge.steps:WebAuthnStep"
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib.metadata import entry_points
from typing import Generic, TypeVar

from flows.conditions import BUILTIN_CONDITIONS, COMPOSITES, AnyCondition, Condition
from flows.errors import FlowError
from flows.steps import BUILTIN_STEPS
from flows.steps.base import AnyStep, Step

STEP_GROUP = "bridge.flow_steps"
CONDITION_GROUP = "bridge.flow_conditions"

T = TypeVar("T", type[AnyStep], type[AnyCondition])


class RegistryError(FlowError):
    """A type could not be registered (duplicate name, wrong base class, broken plugin)."""


class Registry(Generic[T]):
    """Classes of one kind (steps or conditions) by their ``type`` name."""

    def __init__(self, kind: str, base: type, group: str, reserved: Iterable[str] = ()) -> None:
        self.kind = kind
        self.group = group
        self._base = base
        self._reserved = frozenset(reserved)
        self._types: dict[str, T] = {}
        self._entry_points_loaded = False

    def register(self, cls: T) -> T:
        """Add a class under its ``type`` name; usable as a decorator."""
        if not (isinstance(cls, type) and issubclass(cls, self._base)):
            raise RegistryError(f"{cls!r} is not a {self._base.__name__} subclass")
        name = getattr(cls, "type", None)
        if not isinstance(name, str) or not name:
            raise RegistryError(f"{cls.__qualname__} has no 'type' name")
        if name in self._reserved:
            raise RegistryError(f"{self.kind} type name {name!r} is reserved")
        existing = self._types.get(name)
        if existing is not None and existing is not cls:
            raise RegistryError(
                f"{self.kind} type {name!r} is already registered by {existing.__qualname__}"
            )
        self._types[name] = cls
        return cls

    def get(self, name: str) -> T | None:
        return self._types.get(name)

    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self._types))

    def __contains__(self, name: object) -> bool:
        return name in self._types

    def load_entry_points(self) -> None:
        """Register the classes third-party packages declare in this registry's group (once)."""
        if self._entry_points_loaded:
            return
        for entry_point in entry_points(group=self.group):
            try:
                cls = entry_point.load()
            except Exception as exc:
                raise RegistryError(
                    f"cannot load {self.kind} type {entry_point.name!r} "
                    f"from {entry_point.value!r}: {exc}"
                ) from exc
            if getattr(cls, "type", None) != entry_point.name:
                raise RegistryError(
                    f"entry point {entry_point.name!r} in {self.group} names "
                    f"{entry_point.value!r}, whose type is {getattr(cls, 'type', None)!r}"
                )
            self.register(cls)
        self._entry_points_loaded = True


def default_steps() -> Registry[type[AnyStep]]:
    registry: Registry[type[AnyStep]] = Registry("step", Step, STEP_GROUP)
    for cls in BUILTIN_STEPS:
        registry.register(cls)
    return registry


def default_conditions() -> Registry[type[AnyCondition]]:
    registry: Registry[type[AnyCondition]] = Registry(
        "condition", Condition, CONDITION_GROUP, reserved=COMPOSITES
    )
    for cls in BUILTIN_CONDITIONS:
        registry.register(cls)
    return registry


STEPS = default_steps()
"""The process-wide step registry the loader uses unless given another."""

CONDITIONS = default_conditions()
"""The process-wide condition registry the loader uses unless given another."""


def load_entry_points() -> None:
    """Register third-party step and condition types (call once at start-up; idempotent)."""
    STEPS.load_entry_points()
    CONDITIONS.load_entry_points()
