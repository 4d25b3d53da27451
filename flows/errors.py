"""The exceptions the flow engine raises. All derive from ``FlowError``."""

from __future__ import annotations

from dataclasses import dataclass


class FlowError(Exception):
    """Base class of every error the flow engine raises."""


@dataclass(frozen=True)
class ConfigIssue:
    """One problem in a flow file: where it is and what is wrong."""

    file: str
    line: int  # 1-based; 0 when the problem has no position (e.g. an unreadable file)
    path: str  # key path such as ``steps[1].flow[0]``; empty for the document itself
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class FlowConfigError(FlowError):
    """One or more flow files are invalid. ``issues`` lists every problem found."""

    def __init__(self, issues: list[ConfigIssue] | tuple[ConfigIssue, ...]) -> None:
        self.issues = tuple(issues)
        super().__init__("\n".join(str(issue) for issue in self.issues))


class UnknownFlow(FlowError, KeyError):  # noqa: N818 - reads as "raise UnknownFlow(...)"
    """A flow id that no loaded file defines."""

    def __init__(self, flow_id: str, known: tuple[str, ...]) -> None:
        self.flow_id = flow_id
        self.known = known
        super().__init__(f"unknown flow {flow_id!r} (known: {', '.join(known) or 'none'})")

    def __str__(self) -> str:
        # KeyError would quote the message; show it as written.
        return str(self.args[0])


class FlowStateError(FlowError):
    """A stored flow state cannot be used: wrong version, malformed, or made for another flow."""


class FlowRuntimeError(FlowError):
    """The flow reached a situation its definition should have excluded (a programming error)."""
