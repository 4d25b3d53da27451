"""What the configuration raises: ``SettingsError`` to its callers, one line per problem, and
``FieldError`` inside the models, for a problem that belongs to another key than where raised."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["FieldError", "SettingsError"]


class SettingsError(Exception):
    """The configuration cannot be used; ``problems`` holds one line per problem."""

    def __init__(self, problems: str | Iterable[str]) -> None:
        self.problems = (problems,) if isinstance(problems, str) else tuple(problems)
        super().__init__("\n".join(self.problems))


class FieldError(ValueError):
    """A validation problem that belongs to ``path`` (and its origin) rather than where raised."""

    def __init__(self, path: tuple[str, ...], message: str) -> None:
        super().__init__(message)
        self.path = path
