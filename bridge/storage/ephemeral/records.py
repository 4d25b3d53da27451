"""Strict reads of the typed records the bridge keeps in the ephemeral store.

A record (a browser session, an authorization code) is JSON with a ``version``. It outlives the
process that wrote it: a deploy that renames a field meets records written by the old code.
Reading one is therefore strict, the way ``flows.state`` reads flow state: every field of the
expected type, none missing, none unknown, a version this code knows. Anything else is a
``RecordError``, which the caller logs and treats as "no such record", never a ``TypeError``.

Records written before versions existed carry no ``version``: they are version 1.
"""

from __future__ import annotations

import dataclasses
from typing import Any

#: The version of a record written before records carried one.
UNVERSIONED = 1


class RecordError(ValueError):
    """A stored record this code cannot read: of an unknown version, or malformed."""


class Fields:
    """Typed reads from one JSON object; refuses it if a field is missing, mistyped or unknown."""

    def __init__(self, data: Any, where: str, *, known: frozenset[str]) -> None:
        if not isinstance(data, dict):
            raise RecordError(f"malformed {where}: not an object")
        unknown = sorted(str(key) for key in data if key not in known)
        if unknown:
            raise RecordError(f"malformed {where}: unknown field(s) {', '.join(unknown)}")
        self._data: dict[str, Any] = data
        self._where = where

    def _value(self, key: str) -> Any:
        if key not in self._data:
            raise RecordError(f"malformed {self._where}: field {key} is missing")
        return self._data[key]

    def _bad(self, key: str, expected: str) -> RecordError:
        return RecordError(f"malformed {self._where}: {key} must be {expected}")

    def text(self, key: str) -> str:
        value = self._value(key)
        if not isinstance(value, str):
            raise self._bad(key, "a string")
        return value

    def optional_text(self, key: str) -> str | None:
        return None if self._value(key) is None else self.text(key)

    def integer(self, key: str) -> int:
        value = self._value(key)
        # bool is an int in Python; never accept one for the other.
        if not isinstance(value, int) or isinstance(value, bool):
            raise self._bad(key, "an integer")
        return value

    def number(self, key: str) -> float:
        """A time from the clock: JSON may hold it as an integer or a float."""
        value = self._value(key)
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise self._bad(key, "a number")
        return float(value)

    def texts(self, key: str) -> tuple[str, ...]:
        value = self._value(key)
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self._bad(key, "a list of strings")
        return tuple(value)

    def optional(self, key: str) -> Any:
        """A nested value the caller reads itself, or None."""
        return self._value(key)


def stored_fields(record_type: type[Any]) -> frozenset[str]:
    """The JSON keys of a dataclass stored field for field: its fields and ``version``."""
    return frozenset(field.name for field in dataclasses.fields(record_type)) | {"version"}


def check_version(data: Any, where: str, supported: int) -> None:
    """Refuse a record of another version than ``supported`` (no version at all is 1)."""
    if not isinstance(data, dict):
        raise RecordError(f"malformed {where}: not an object")
    version = data.get("version", UNVERSIONED)
    if not isinstance(version, int) or isinstance(version, bool):
        raise RecordError(f"malformed {where}: version must be an integer")
    if version != supported:
        raise RecordError(f"{where} version {version} is not supported (expected {supported})")
