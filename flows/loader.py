"""Reading flow files: YAML in, frozen ``Flow`` objects out, or every problem at once.

Each message names the file, the 1-based line (from PyYAML's node marks) and the key path:

    config/flows/browser.yaml:12: steps[1].flow[0]: unknown step type 'passwrd' (known: ...)
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from flows import registry as registries
from flows.checks import safety_issues, unreachable_issues, user_order_issues
from flows.conditions import AllOf, AnyCondition, AnyOf, ConditionExpr, Not
from flows.errors import ConfigIssue, FlowConfigError, UnknownFlow
from flows.model import (
    Execution,
    Flow,
    FlowKind,
    Requirement,
    StepExecution,
    SubFlow,
    key_path,
)
from flows.registry import Registry
from flows.steps.base import AnyStep, StepConfig

FLOW_KEYS = ("id", "kind", "description", "steps")
EXECUTION_KEYS = ("requirement", "type", "config", "flow", "when", "label", "description")
FLOW_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
KNOWN_REQUIREMENTS = ", ".join(sorted(r.value for r in Requirement))


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
    parser = _Parser(filename, steps or registries.STEPS, conditions or registries.CONDITIONS)
    return parser.parse(text, prove=prove)


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


class _Parser:
    def __init__(
        self,
        filename: str,
        steps: Registry[type[AnyStep]],
        conditions: Registry[type[AnyCondition]],
    ) -> None:
        self.filename = filename
        self.steps = steps
        self.conditions = conditions
        self.issues: list[ConfigIssue] = []
        self._yaml: yaml.SafeLoader | None = None

    # -- plumbing -------------------------------------------------------------------------

    def issue(self, node_or_line: yaml.Node | int, path: str, message: str) -> None:
        line = node_or_line if isinstance(node_or_line, int) else _line(node_or_line)
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

    # -- the document ---------------------------------------------------------------------

    def parse(self, text: str, *, prove: bool = False) -> Flow:
        self._yaml = yaml.SafeLoader(text)
        try:
            try:
                root = self._yaml.get_single_node()
            except yaml.MarkedYAMLError as exc:
                mark = exc.problem_mark or exc.context_mark
                line = int(mark.line) + 1 if mark is not None else 0
                problem = "; ".join(filter(None, [exc.context, exc.problem])) or "syntax error"
                self.issue(line, "", f"invalid YAML: {problem}")
                raise self.fail() from None
            except yaml.YAMLError as exc:
                self.issue(0, "", f"invalid YAML: {exc}")
                raise self.fail() from None
            if root is None:
                self.issue(1, "", "empty file: a flow needs 'id' and 'steps'")
                raise self.fail()
            try:
                flow = self.document(root, prove)
            except yaml.YAMLError as exc:  # a scalar that cannot be constructed
                mark = getattr(exc, "problem_mark", None)
                line = int(mark.line) + 1 if mark is not None else 0
                self.issue(line, "", f"invalid YAML value: {exc}")
                flow = None
        finally:
            self._yaml.dispose()
        if self.issues or flow is None:
            raise self.fail()
        return flow

    def document(self, root: yaml.Node, prove: bool) -> Flow | None:
        entries = self.mapping(root, "", "a flow file", FLOW_KEYS)
        if entries is None:
            return None
        flow_id: str | None = None
        if "id" not in entries:
            self.issue(root, "", "missing key 'id'")
        else:
            flow_id = self.string(entries["id"][1], "id", "id")
            if flow_id is not None and not FLOW_ID.match(flow_id):
                self.issue(
                    entries["id"][1], "id", f"flow id {flow_id!r} must match {FLOW_ID.pattern}"
                )
                flow_id = None
        kind = FlowKind.BROWSER
        if "kind" in entries:
            raw_kind = self.value(entries["kind"][1])
            try:
                kind = FlowKind(raw_kind)
            except ValueError:
                known = ", ".join(k.value for k in FlowKind)
                self.issue(
                    entries["kind"][1], "kind", f"unknown flow kind {raw_kind!r} (known: {known})"
                )
        if "description" in entries:
            self.string(entries["description"][1], "description", "description")
        executions: tuple[Execution, ...] | None = None
        if "steps" not in entries:
            self.issue(root, "", "missing key 'steps'")
        else:
            executions = self.level(entries["steps"][1], "", "steps", "steps")
        if flow_id is None or executions is None or self.issues:
            return None
        flow = Flow(
            id=flow_id,
            steps=executions,
            source=self.filename,
            line=_line(entries["id"][0]),
            digest=_digest(self.value(root)),
            kind=kind,
        )
        for line, path, message in user_order_issues(flow):
            self.issue(line, path, message)
        if not self.issues:
            for line, path, message in unreachable_issues(flow):
                self.issue(line, path, message)
        if prove and not self.issues:
            for line, path, message in safety_issues(flow):
                self.issue(line, path, message)
        return flow

    def level(
        self, node: yaml.Node, path: str, keypath: str, what: str
    ) -> tuple[Execution, ...] | None:
        """A list of executions: ``steps: [...]`` or ``flow: [...]``."""
        if not isinstance(node, yaml.SequenceNode):
            self.issue(node, keypath, f"{what} must be a list of executions")
            return None
        if not node.value:
            empty = "empty flow" if what == "steps" else "empty sub-flow"
            self.issue(node, keypath, f"{empty}: it needs at least one execution")
            return None
        children: list[Execution | None] = []
        for index, child in enumerate(node.value):
            child_path = f"{path}.{index}" if path else str(index)
            children.append(self.execution(child, child_path, f"{keypath}[{index}]"))
        if any(child is None for child in children):
            return None
        done = tuple(child for child in children if child is not None)
        self.check_mixed_level(done)
        return done

    def check_mixed_level(self, children: tuple[Execution, ...]) -> None:
        alternatives = [c for c in children if c.requirement is Requirement.ALTERNATIVE]
        others = [
            c for c in children if c.requirement in (Requirement.REQUIRED, Requirement.CONDITIONAL)
        ]
        if alternatives and others:
            first_alt, first_other = alternatives[0], others[0]
            self.issue(
                first_alt.line,
                key_path(first_alt.path),
                f"'alternative' beside '{first_other.requirement}' at the same level "
                f"(execution {first_other.path}): this is ambiguous; in Keycloak a level with "
                "a required or conditional execution ignores its alternatives. Put the "
                "alternatives in a sub-flow of their own, or make them all alternatives",
            )

    def execution(self, node: yaml.Node, path: str, keypath: str) -> Execution | None:
        before = len(self.issues)
        entries = self.mapping(node, keypath, "an execution", EXECUTION_KEYS)
        if entries is None:
            return None
        requirement: Requirement | None = None
        if "requirement" not in entries:
            self.issue(node, keypath, f"missing key 'requirement' (one of {KNOWN_REQUIREMENTS})")
        else:
            raw = self.value(entries["requirement"][1])
            try:
                requirement = Requirement(raw)
            except ValueError:
                self.issue(
                    entries["requirement"][1],
                    keypath,
                    f"unknown requirement {raw!r} (known: {KNOWN_REQUIREMENTS})",
                )
        label = None
        if "label" in entries:
            label = self.string(entries["label"][1], f"{keypath}.label", "label")
        if "description" in entries:
            self.string(entries["description"][1], f"{keypath}.description", "description")

        when: tuple[ConditionExpr, ...] | None = ()
        if "when" in entries:
            when_node = entries["when"][1]
            if requirement is not None and requirement is not Requirement.CONDITIONAL:
                self.issue(
                    entries["when"][0],
                    keypath,
                    f"'when' is only allowed on a conditional execution "
                    f"(this one is {requirement.value})",
                )
            when = self.condition_list(when_node, f"{keypath}.when")
        elif requirement is Requirement.CONDITIONAL:
            self.issue(node, keypath, "a conditional execution needs 'when: [condition, ...]'")

        step: AnyStep | None = None
        children: tuple[Execution, ...] | None = None
        if "type" in entries and "flow" in entries:
            self.issue(
                node,
                keypath,
                "an execution has either 'type' (a step) or 'flow' (a sub-flow), not both",
            )
        elif "type" in entries:
            step = self.step(entries, node, keypath)
        elif "flow" in entries:
            if "config" in entries:
                self.issue(
                    entries["config"][0], keypath, "'config' belongs to a step, not a sub-flow"
                )
            children = self.level(entries["flow"][1], path, f"{keypath}.flow", "flow")
        else:
            self.issue(node, keypath, "an execution needs 'type' (a step) or 'flow' (a sub-flow)")

        if len(self.issues) > before or requirement is None or when is None:
            return None
        if step is not None:
            return StepExecution(path, requirement, step, when, label, _line(node))
        if children is not None:
            return SubFlow(path, requirement, children, when, label, _line(node))
        return None

    def step(
        self, entries: dict[str, tuple[yaml.Node, yaml.Node]], node: yaml.Node, keypath: str
    ) -> AnyStep | None:
        type_node = entries["type"][1]
        name = self.string(type_node, keypath, "type")
        if name is None:
            return None
        cls = self.steps.get(name)
        if cls is None:
            known = ", ".join(self.steps.names())
            self.issue(type_node, keypath, f"unknown step type {name!r} (known: {known})")
            return None
        config_node = entries["config"][1] if "config" in entries else None
        config = self.config(cls.config_model, config_node, node, f"{keypath}.config", name)
        return None if config is None else cls(config)

    # -- conditions -----------------------------------------------------------------------

    def condition_list(self, node: yaml.Node, keypath: str) -> tuple[ConditionExpr, ...] | None:
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            self.issue(node, keypath, "must be a non-empty list of conditions")
            return None
        items = [self.condition(item, f"{keypath}[{i}]") for i, item in enumerate(node.value)]
        if any(item is None for item in items):
            return None
        return tuple(item for item in items if item is not None)

    def condition(self, node: yaml.Node, keypath: str) -> ConditionExpr | None:
        if isinstance(node, yaml.ScalarNode):
            name = self.value(node)
            if not isinstance(name, str):
                self.issue(node, keypath, f"a condition name must be a string, not {name!r}")
                return None
            if name in ("not", "all", "any"):
                self.issue(node, keypath, f"'{name}' needs an argument: {{{name}: ...}}")
                return None
            return self.leaf(name, None, node, keypath)
        if isinstance(node, yaml.MappingNode) and len(node.value) == 1:
            key_node, value_node = node.value[0]
            name = self.value(key_node)
            if name == "not":
                inner = self.condition(value_node, f"{keypath}.not")
                return None if inner is None else Not(inner)
            if name in ("all", "any"):
                items = self.condition_list(value_node, f"{keypath}.{name}")
                if items is None:
                    return None
                return AllOf(items) if name == "all" else AnyOf(items)
            if isinstance(name, str):
                return self.leaf(name, value_node, key_node, keypath)
        self.issue(
            node,
            keypath,
            "a condition is a name (mfa_required) or a mapping with one key: "
            "{not: c}, {all: [c, ...]}, {any: [c, ...]} or {name: {config}}",
        )
        return None

    def leaf(
        self, name: str, config_node: yaml.Node | None, at: yaml.Node, keypath: str
    ) -> AnyCondition | None:
        cls = self.conditions.get(name)
        if cls is None:
            known = ", ".join([*self.conditions.names(), "not", "all", "any"])
            self.issue(at, keypath, f"unknown condition type {name!r} (known: {known})")
            return None
        config = self.config(cls.config_model, config_node, at, keypath, name)
        return None if config is None else cls(config)


def _freeze(value: Any) -> Any:
    """YAML lists as tuples, so frozen (hashable) configs declare ``tuple[...]`` fields."""
    if isinstance(value, list):
        return tuple(_freeze(item) for item in value)
    if isinstance(value, dict):
        return {key: _freeze(item) for key, item in value.items()}
    return value


def _digest(document: Any) -> str:
    canonical = json.dumps(document, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
