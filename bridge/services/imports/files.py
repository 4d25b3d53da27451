"""Reading an import's files: every failure to read a whole file is an ``ImportFailed`` naming
the file (and line, where the parser knows it), never a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from bridge.services.imports.records import ImportFailed


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise ImportFailed(f"{path}: no such file") from error
    except UnicodeDecodeError as error:
        raise ImportFailed(f"{path}: not UTF-8 text (byte {error.start})") from error
    except OSError as error:
        raise ImportFailed(f"{path}: cannot be read ({error.strerror})") from error


def read_json(path: Path) -> Any:
    try:
        return json.loads(read_text(path))
    except json.JSONDecodeError as error:
        raise ImportFailed(
            f"{path}: line {error.lineno}, column {error.colno}: not JSON ({error.msg})"
        ) from error


def read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(read_text(path))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise ImportFailed(f"{path}: {where}not YAML ({error.problem})") from error
    except yaml.YAMLError as error:
        raise ImportFailed(f"{path}: not YAML ({error})") from error


def expect_object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ImportFailed(f"{where}: expected an object, found {type(value).__name__}")
    return value


def text_field(record: dict[str, Any], key: str) -> str | None:
    """An optional string field (a number is taken as its text); anything else is refused."""
    value = record.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"{key!r} must be text")
    text = str(value).strip()
    return text or None


def flag(record: dict[str, Any], key: str, default: bool = False) -> bool:
    value = record.get(key, default)
    if not isinstance(value, bool):
        raise ValueError(f"{key!r} must be true or false")
    return value
