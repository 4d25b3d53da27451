"""Reading flow files: YAML in, frozen ``Flow`` objects out, or every problem at once.

Each message names the file, the 1-based line (from PyYAML's node marks) and the key path:

    config/flows/browser.yaml:12: steps[1].flow[0]: unknown step type 'passwrd' (known: ...)

This module reads files and directories; the grammar of one flow document is in
``flows/parser.py``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from flows import registry as registries
from flows.conditions import AnyCondition
from flows.errors import ConfigIssue, FlowConfigError, UnknownFlow
from flows.model import Flow
from flows.parser import FlowParser
from flows.registry import Registry
from flows.steps.base import AnyStep


@dataclass(frozen=True)
class FlowSet:
    """The flows of a directory, by id."""

    flows: Mapping[str, Flow]

    def get(self, flow_id: str) -> Flow:
        """The flow ``flow_id``; ``UnknownFlow`` (a ``KeyError``) when no file defines it."""
        try:
            return self.flows[flow_id]
        except KeyError:
            raise UnknownFlow(flow_id, self.ids()) from None

    def ids(self) -> tuple[str, ...]:
        return tuple(sorted(self.flows))

    def __contains__(self, flow_id: object) -> bool:
        return flow_id in self.flows

    def __iter__(self) -> Iterator[Flow]:
        return iter(self.flows.values())

    def __len__(self) -> int:
        return len(self.flows)


def load_flows(
    directory: Path,
    *,
    steps: Registry[type[AnyStep]] | None = None,
    conditions: Registry[type[AnyCondition]] | None = None,
    prove: bool = True,
) -> FlowSet:
    """Load every ``*.yaml`` file directly in ``directory`` (not its subdirectories).

    Raises ``FlowConfigError`` listing every problem in every file, including a flow id that
    two files define and, with ``prove``, every path the safety proof finds unsafe.
    """
    if not directory.is_dir():
        raise FlowConfigError([ConfigIssue(str(directory), 0, "", "no such directory")])
    issues: list[ConfigIssue] = []
    flows: dict[str, Flow] = {}
    for path in sorted(p for p in directory.glob("*.yaml") if p.is_file()):
        filename = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            issues.append(ConfigIssue(filename, 0, "", f"cannot read: {exc}"))
            continue
        try:
            flow = load_flow_text(text, filename, steps=steps, conditions=conditions, prove=prove)
        except FlowConfigError as exc:
            issues.extend(exc.issues)
            continue
        first = flows.get(flow.id)
        if first is not None:
            issues.append(
                ConfigIssue(
                    filename,
                    flow.line,
                    "id",
                    f"duplicate flow id {flow.id!r} (also defined at {first.source}:{first.line})",
                )
            )
            continue
        flows[flow.id] = flow
    if issues:
        raise FlowConfigError(issues)
    return FlowSet(flows)


def load_flow_text(
    text: str,
    filename: str = "<string>",
    *,
    steps: Registry[type[AnyStep]] | None = None,
    conditions: Registry[type[AnyCondition]] | None = None,
    prove: bool = False,
) -> Flow:
    """Parse one flow document; ``FlowConfigError`` lists every problem found in it.

    Unreachable executions are always errors; ``prove`` adds the safety proof (off by default
    here so tests can build deliberately weak flows; ``load_flows`` turns it on).
    """
    parser = FlowParser(filename, steps or registries.STEPS, conditions or registries.CONDITIONS)
    return parser.parse(text, prove=prove)
