"""Reading YAML nodes into values, each problem reported with the file, line and key path.

A flow file is read from PyYAML's node tree rather than from plain values, so every issue can
name the 1-based line its node starts on. ``NodeReader`` holds the issues found so far; the
flow grammar (``flows/parser.py``) builds on it.
"""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import ValidationError

from flows.errors import ConfigIssue, FlowConfigError
from flows.steps.base import StepConfig


def line_of(node: yaml.Node) -> int:
    """The 1-based line ``node`` starts on (PyYAML counts from 0)."""
    return int(node.start_mark.line) + 1


class NodeReader:
    """The YAML nodes of one file, read into values; every problem becomes a ``ConfigIssue``."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.issues: list[ConfigIssue] = []
        self._yaml: yaml.SafeLoader | None = None  # set while a document is parsed

    def issue(self, node_or_line: yaml.Node | int, path: str, message: str) -> None:
        line = node_or_line if isinstance(node_or_line, int) else line_of(node_or_line)
        self.issues.append(ConfigIssue(self.filename, line, path, message))

    def fail(self) -> FlowConfigError:
        return FlowConfigError(sorted(self.issues, key=lambda issue: issue.line))

    def value(self, node: yaml.Node) -> Any:
        assert self._yaml is not None
        return self._yaml.construct_object(node, deep=True)

    def mapping(
        self, node: yaml.Node, path: str, what: str, known: tuple[str, ...]
    ) -> dict[str, tuple[yaml.Node, yaml.Node]] | None:
        """The mapping's entries by key; reports a non-mapping, odd or unknown keys."""
        if not isinstance(node, yaml.MappingNode):
            self.issue(node, path, f"{what} must be a mapping")
            return None
        entries: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            key = self.value(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            where = f"{path}.{key}" if path and isinstance(key, str) else path
            if not isinstance(key, str):
                self.issue(key_node, path, f"keys must be strings, not {key_node.tag}")
            elif key in entries:
                self.issue(key_node, where, f"duplicate key {key!r}")
            elif key not in known:
                self.issue(key_node, path, f"unknown key {key!r} (known: {', '.join(known)})")
            else:
                entries[key] = (key_node, value_node)
        return entries

    def string(self, node: yaml.Node, path: str, what: str) -> str | None:
        value = self.value(node) if isinstance(node, yaml.ScalarNode) else None
        if not isinstance(value, str) or not value:
            self.issue(node, path, f"{what} must be a non-empty string")
            return None
        return value

    def config(
        self,
        model: type[StepConfig],
        node: yaml.Node | None,
        at: yaml.Node,
        path: str,
        kind: str,
    ) -> StepConfig | None:
        """Validate a step's or condition's config against its typed schema."""
        entries: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        data: Any = {}
        if node is not None:
            if not isinstance(node, yaml.MappingNode):
                self.issue(node, path, f"{kind} config must be a mapping")
                return None
            data = _freeze(self.value(node))
            for key_node, value_node in node.value:
                entries[str(self.value(key_node))] = (key_node, value_node)
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            for error in exc.errors():
                loc = [str(part) for part in error["loc"]]
                entry = entries.get(loc[0]) if loc else None
                where = entry[1] if entry else (node or at)
                sub = ".".join([path, *loc])
                if error["type"] == "extra_forbidden":
                    known = ", ".join(model.model_fields) or "none"
                    self.issue(
                        entry[0] if entry else where,
                        path,
                        f"unknown {kind} config key {loc[-1]!r} (known: {known})",
                    )
                else:
                    self.issue(where, sub, f"bad {kind} config: {error['msg']}")
            return None


def _freeze(value: Any) -> Any:
    """YAML lists as tuples, so frozen (hashable) configs declare ``tuple[...]`` fields."""
    if isinstance(value, list):
        return tuple(_freeze(item) for item in value)
    if isinstance(value, dict):
        return {key: _freeze(item) for key, item in value.items()}
    return value
