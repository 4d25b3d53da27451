"""What a flow would do for one user and request right now, in words an admin can read.

Pure: it asks the directory for the user's facts like the executor does, and evaluates every
conditional's conditions, showing each condition's value. It runs no step.
"""

from __future__ import annotations

from dataclasses import dataclass

from flows.conditions import AllOf, AnyOf, ConditionContext, ConditionExpr, Not, evaluate
from flows.context import Directory, LoginRequest
from flows.model import Execution, Flow, Requirement, StepExecution


def expression(expr: ConditionExpr) -> str:
    """A condition expression as text: ``any(mfa_required, not user_has_totp)``."""
    if isinstance(expr, Not):
        return f"not {expression(expr.condition)}"
    if isinstance(expr, AllOf | AnyOf):
        name = "all" if isinstance(expr, AllOf) else "any"
        return f"{name}({', '.join(expression(item) for item in expr.conditions)})"
    return expr.describe()


def valued(expr: ConditionExpr, ctx: ConditionContext) -> str:
    """The expression with each condition's current value: ``any(mfa_required=true, ...)``."""
    if isinstance(expr, Not):
        return f"not {valued(expr.condition, ctx)}"
    if isinstance(expr, AllOf | AnyOf):
        name = "all" if isinstance(expr, AllOf) else "any"
        return f"{name}({', '.join(valued(item, ctx) for item in expr.conditions)})"
    if expr.needs_user and ctx.user_id is None:
        return f"{expr.describe()}=unknown (no user yet)"
    return f"{expr.describe()}={str(expr.holds(ctx)).lower()}"


def explain(
    flow: Flow,
    request: LoginRequest,
    directory: Directory,
    *,
    user_id: str | None,
    now: int,
    device: str | None = None,
) -> list[str]:
    """The plan as lines: each execution, its requirement, and for conditionals the verdict."""
    lines = [f"flow {flow.id} ({flow.kind.value}) from {flow.source}:{flow.line}"]
    _level(flow.steps, 1, True, flow, request, directory, user_id, now, device, lines)
    return lines


def _level(
    children: tuple[Execution, ...],
    depth: int,
    live: bool,
    flow: Flow,
    request: LoginRequest,
    directory: Directory,
    user_id: str | None,
    now: int,
    device: str | None,
    lines: list[str],
) -> None:
    for child in children:
        indent = "  " * depth
        name = (
            f"{child.display_label} [{child.step.type}]"
            if isinstance(child, StepExecution)
            else f"sub-flow {child.path}"
        )
        head = f"{indent}{child.path:<8} {child.requirement.value:<11} {name}"
        runs = live and child.requirement is not Requirement.DISABLED
        if child.requirement is Requirement.CONDITIONAL:
            ctx = ConditionContext(child.path, directory, request, user_id, now, device)
            shown = ", ".join(valued(expr, ctx) for expr in child.when)
            decidable = user_id is not None or not any(
                "unknown" in valued(expr, ctx) for expr in child.when
            )
            if not decidable:
                verdict = "decided once a user is identified"
            else:
                holds = all(evaluate(expr, ctx) for expr in child.when)
                verdict = "runs" if holds else "skipped"
                runs = runs and holds
            head += f"  when {shown} → {verdict}"
        elif not live:
            head += "  (not reached)"
        if child.requirement is Requirement.DISABLED:
            head += "  (disabled)"
        lines.append(head)
        if not isinstance(child, StepExecution):
            _level(
                child.children,
                depth + 1,
                runs,
                flow,
                request,
                directory,
                user_id,
                now,
                device,
                lines,
            )


@dataclass(frozen=True)
class Asked:
    """One step of the plan for a person: its ``type``, its label, whether it is one of a
    level's ``alternative``s, and whether it ``runs`` (``None``: decided only at sign-in)."""

    type: str
    label: str
    alternative: bool
    runs: bool | None


def asked(
    flow: Flow,
    request: LoginRequest,
    directory: Directory,
    *,
    user_id: str | None,
    now: int,
    device: str | None = None,
) -> list[Asked]:
    """The plan's steps in order, each with whether it runs for this person right now (what
    ``explain`` shows as lines, as data): disabled steps and those under them are left out."""
    found: list[Asked] = []
    _asked(flow.steps, True, False, request, directory, user_id, now, device, found)
    return found


def _asked(
    children: tuple[Execution, ...],
    runs: bool | None,
    alternative: bool,
    request: LoginRequest,
    directory: Directory,
    user_id: str | None,
    now: int,
    device: str | None,
    found: list[Asked],
) -> None:
    for child in children:
        if child.requirement is Requirement.DISABLED:
            continue
        here = runs
        if child.requirement is Requirement.CONDITIONAL and here is not False:
            ctx = ConditionContext(child.path, directory, request, user_id, now, device)
            if user_id is None and any("unknown" in valued(e, ctx) for e in child.when):
                here = None
            elif not all(evaluate(expr, ctx) for expr in child.when):
                here = False
        alt = child.requirement is Requirement.ALTERNATIVE
        if isinstance(child, StepExecution):
            found.append(Asked(child.step.type, child.display_label, alt, here))
        else:
            _asked(child.children, here, alt, request, directory, user_id, now, device, found)
