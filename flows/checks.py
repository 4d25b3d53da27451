"""Static checks of a parsed flow, beyond the shape of its YAML.

- steps and conditions that need an identified user must come after a step that can identify
  one;
- no execution may be unreachable;
- the safety proof: no path lets a non-federated, non-service-account user whom policy
  requires to use 2FA finish with fewer than two factors (the model is in ``flows.proof``).
"""

from __future__ import annotations

from flows.conditions import needs_user
from flows.model import Execution, Flow, FlowKind, Requirement, StepExecution, SubFlow, key_path
from flows.proof import TooManyPaths, can_hold, explore


def user_order_issues(flow: Flow) -> list[tuple[int, str, str]]:
    """(line, key path, message) for every user-needing execution no step can precede."""
    check = _UserOrder()
    check.check_level(flow.steps, identified=flow.kind is FlowKind.FEDERATED)
    return check.issues


class _UserOrder:
    """Reject steps and conditions that need a user where no earlier step can identify one."""

    def __init__(self) -> None:
        self.issues: list[tuple[int, str, str]] = []

    def check_level(self, children: tuple[Execution, ...], identified: bool) -> bool:
        active = [c for c in children if c.requirement is not Requirement.DISABLED]
        if active and all(c.requirement is Requirement.ALTERNATIVE for c in active):
            # Each alternative starts from what was known before the level.
            found = [self.check(child, identified) for child in active]
            return identified or any(found)
        for child in active:
            identified = self.check(child, identified)
        return identified

    def check(self, execution: Execution, identified: bool) -> bool:
        keypath = key_path(execution.path)
        if not identified:
            for index, expr in enumerate(execution.when):
                if needs_user(expr):
                    self.issues.append(
                        (
                            execution.line,
                            f"{keypath}.when[{index}]",
                            "this condition asks about the user, but no step before it can "
                            "identify one",
                        )
                    )
        if isinstance(execution, StepExecution):
            step = execution.step
            if step.needs_user and not identified:
                self.issues.append(
                    (
                        execution.line,
                        keypath,
                        f"step {step.type!r} needs an identified user, but no step before it "
                        "can identify one (put it after a step such as 'password')",
                    )
                )
            return identified or step.identifies_user
        return self.check_level(execution.children, identified)


# -- unreachable executions ------------------------------------------------------------------


def unreachable_issues(flow: Flow) -> list[tuple[int, str, str]]:
    """(line, key path, message) for every execution no login can reach (the topmost only)."""
    try:
        ends = explore(flow, assume=False)
    except TooManyPaths:
        return []  # reported by the safety proof, which walks the same paths
    reached = frozenset().union(*(end.path.reached for end in ends))
    issues: list[tuple[int, str, str]] = []
    _unreached(flow.steps, reached, issues)
    return issues


def _unreached(
    children: tuple[Execution, ...], reached: frozenset[str], issues: list[tuple[int, str, str]]
) -> None:
    for child in children:
        if child.requirement is Requirement.DISABLED:
            continue
        if child.path not in reached:
            if child.requirement is Requirement.CONDITIONAL and not can_hold(child):
                why = "its conditions can never all hold"
            else:
                why = (
                    "every login ends before it (an earlier execution always succeeds, "
                    "always stops the login, or leaves for an upstream login)"
                )
            issues.append((child.line, key_path(child.path), f"unreachable: {why}"))
        elif isinstance(child, SubFlow):
            _unreached(child.children, reached, issues)


# -- the safety proof ------------------------------------------------------------------------

SUBJECT = "a user whom policy requires to use 2FA (not federated, not a service account)"
MAX_TRACES = 3


def safety_issues(flow: Flow) -> list[tuple[int, str, str]]:
    """(line, key path, message) for every way ``flow`` lets the proof's subject in with fewer
    than two factors; none means the flow is proven safe. See ``flows.proof`` for the model.

    A federated flow is not about the subject (R7: the upstream provider owns the second
    factor); the bindings make sure only federated logins run one.
    """
    if flow.kind is FlowKind.FEDERATED:
        return []
    try:
        ends = explore(flow, assume=True)
    except TooManyPaths as exc:
        return [(flow.line, "steps", f"cannot prove this flow safe: {exc}; split it up")]
    bad = [
        end
        for end in ends
        if end.kind == "completed" and not end.path.session and len(end.path.counted) < 2
    ]
    issues: list[tuple[int, str, str]] = []
    seen: set[tuple[str, ...]] = set()
    for end in bad:
        if end.path.trace in seen:
            continue
        seen.add(end.path.trace)
        if len(seen) > MAX_TRACES:
            issues.append((flow.line, "steps", f"... and more unsafe paths ({len(bad)} in all)"))
            break
        last = end.path.last
        factors = ", ".join(sorted(end.path.counted)) or "none"
        issues.append(
            (
                last.line if last else flow.line,
                key_path(last.path) if last else "steps",
                f"unsafe: {SUBJECT} can finish with fewer than two factors "
                f"(factors: {factors}): {' → '.join(end.path.trace)} → login completes",
            )
        )
    return issues
