"""Static checks of a parsed flow, beyond the shape of its YAML.

Today: steps and conditions that need an identified user must come after a step that can
identify one. The later safety proof (no 2FA user finishes without a second factor) belongs here.
"""

from __future__ import annotations

from flows.conditions import needs_user
from flows.model import Execution, Flow, FlowKind, Requirement, StepExecution, key_path


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
