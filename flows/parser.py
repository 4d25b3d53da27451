"""The grammar of a flow file: its keys, executions, sub-flows and conditions.

``FlowParser`` reads one document into a frozen ``Flow`` and runs the flow's checks on it
(user order, reachability and, when asked, the safety proof), collecting every problem
rather than stopping at the first.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import yaml

from flows.checks import safety_issues, unreachable_issues, user_order_issues
from flows.conditions import AllOf, AnyCondition, AnyOf, ConditionExpr, Not
from flows.model import Execution, Flow, FlowKind, Requirement, StepExecution, SubFlow, key_path
from flows.registry import Registry
from flows.steps.base import AnyStep
from flows.yaml_nodes import NodeReader, line_of

FLOW_KEYS = ("id", "kind", "description", "steps")
EXECUTION_KEYS = ("requirement", "type", "config", "flow", "when", "label", "description")
FLOW_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
KNOWN_REQUIREMENTS = ", ".join(sorted(r.value for r in Requirement))


class FlowParser(NodeReader):
    """One flow document, parsed against the registered step and condition types."""

    def __init__(
        self,
        filename: str,
        steps: Registry[type[AnyStep]],
        conditions: Registry[type[AnyCondition]],
    ) -> None:
        super().__init__(filename)
        self.steps = steps
        self.conditions = conditions

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
            line=line_of(entries["id"][0]),
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
            return StepExecution(path, requirement, step, when, label, line_of(node))
        if children is not None:
            return SubFlow(path, requirement, children, when, label, line_of(node))
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


def _digest(document: Any) -> str:
    canonical = json.dumps(document, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
