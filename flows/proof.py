"""Every path through a flow, for every combination of condition outcomes.

The executor runs one login; this module runs all of them at once, symbolically. Each step
ends in one of the ways its ``possible()`` lists (done, proving some factors; not applicable;
failed; redirected; denied), and each condition the path asks is answered both ways, unless
the subject of the proof fixes it. A path is what one login could do, with a trace a person
can read: ``password → (mfa_required=true, device_trusted=false) → totp not applicable``.

``flows.checks`` uses the paths for the safety proof and for finding unreachable executions.

The model, precisely:

- A condition's answer is fixed for the whole path (the user's facts and the request do not
  change during a login), except for a ``monotone`` one (``user_has_totp``): once false, it may
  be true when asked again (the user may enrol in another tab), never the other way, and it is
  true for certain after a step of its ``true_after`` types (``totp_enrol``).
- Levels follow the executor: a sequence of required and conditional executions, or a list of
  alternatives tried in document order, where the user may also pick an alternative first
  ("try another way") when another alternative of the level can stop to ask and the picked
  one's first step can be offered (``allow``, ``deny`` and ``trust_device`` never are).
- Factors are RFC 8176 values (``pwd``, ``otp``, ``fed``, ...); ``mfa`` and ``mca`` do not
  count. ``cookie`` reuses a session that an earlier login made; every flow that can make a
  session is proven the same way, so a reused session counts as complete (a session made
  before 2FA was enforced keeps running until it expires, as R3 wants).
- A trusted browser (``device_trusted`` answered true on the path) counts as the second
  factor: ``trust_device`` only trusts a browser after two factors proven in the same login,
  the directory only reports a trust that was given within the admin's N days (R12) and not
  revoked, so the trust stands for a second factor the user proved earlier, and the org
  allowed to reuse it by putting the condition in its flow.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from flows.conditions import AllOf, AnyCondition, AnyOf, ConditionExpr, Not
from flows.model import Execution, Flow, FlowKind, Requirement, StepExecution, SubFlow
from flows.results import NOT_FACTORS

MAX_PATHS = 50_000


class TooManyPaths(Exception):  # noqa: N818 - reads as "raise TooManyPaths(...)"
    """The flow has more paths than the proof is willing to enumerate."""


@dataclass(frozen=True)
class Path:
    """One way through the flow so far."""

    trace: tuple[str, ...] = ()
    factors: frozenset[str] = frozenset()
    identified: bool = False
    session: bool = False  # an earlier login's session was reused
    trusted: bool = False  # device_trusted was asked and answered true
    answers: tuple[tuple[str, bool], ...] = ()  # condition answers so far on this path
    done_types: frozenset[str] = frozenset()  # step types that succeeded on this path
    last: Execution | None = None  # the last execution that succeeded
    reached: frozenset[str] = frozenset()  # execution paths that ran

    def then(self, *items: str) -> Path:
        return replace(self, trace=self.trace + items)

    def answer(self, key: str) -> bool | None:
        return next((value for k, value in self.answers if k == key), None)

    def answered(self, key: str, value: bool) -> Path:
        kept = tuple((k, v) for k, v in self.answers if k != key)
        return replace(self, answers=(*kept, (key, value)))

    @property
    def counted(self) -> frozenset[str]:
        """The factors that count: proven ones, and a trusted browser."""
        factors = self.factors - NOT_FACTORS
        return factors | {"trusted_device"} if self.trusted else factors


@dataclass(frozen=True)
class End:
    """How a path ends: "completed", "denied" (or failed), or "redirected" upstream."""

    kind: str
    path: Path


# What a node gives: "ran", "skipped" (nothing in it ran), "failed", "stopped", "redirected".
_Result = tuple[str, Path]


def explore(flow: Flow, *, assume: bool) -> list[End]:
    """Every way a login with ``flow`` can end.

    With ``assume``, conditions take the values ``Condition.assumed()`` gives for the safety
    proof's subject; without, every condition is answered both ways.
    """
    explorer = _Explorer(assume)
    start = Path(identified=flow.kind is FlowKind.FEDERATED)
    if flow.kind is FlowKind.FEDERATED:
        start = replace(start, factors=frozenset({"fed"}))
    ends: list[End] = []
    for kind, path in explorer.level(flow.steps, start):
        if kind in ("ran", "skipped"):
            ends.append(End("completed" if path.identified else "denied", path))
        elif kind == "redirected":
            ends.append(End("redirected", path))
        else:
            ends.append(End("denied", path))
    return ends


class _Explorer:
    def __init__(self, assume: bool) -> None:
        self.assume = assume
        self.count = 0

    def _bump(self, results: list[_Result]) -> list[_Result]:
        self.count += len(results)
        if self.count > MAX_PATHS:
            raise TooManyPaths(f"more than {MAX_PATHS} paths")
        return list(dict.fromkeys(results))

    # -- levels ----------------------------------------------------------------------------

    def level(self, children: tuple[Execution, ...], path: Path) -> list[_Result]:
        for child in children:
            if child.requirement is Requirement.DISABLED:
                path = path.then(f"{_name(child)} disabled")
        active = [c for c in children if c.requirement is not Requirement.DISABLED]
        if not active:
            return [("skipped", path)]
        if all(c.requirement is Requirement.ALTERNATIVE for c in active):
            return self.alternatives(active, path)
        return self.sequence(active, path)

    def sequence(self, children: list[Execution], path: Path) -> list[_Result]:
        frontier: list[tuple[Path, bool]] = [(path, False)]
        out: list[_Result] = []
        for child in children:
            following: list[tuple[Path, bool]] = []
            for current, ran in frontier:
                starts = [current]
                if child.requirement is Requirement.CONDITIONAL:
                    starts = []
                    for holds, decided in self.decide(child, current):
                        if holds:
                            starts.append(decided)
                        else:
                            following.append((decided.then(f"skip {_name(child)}"), ran))
                for begun in starts:
                    for kind, after in self.node(child, begun):
                        if kind in ("ran", "skipped"):
                            following.append((after, ran or kind == "ran"))
                        else:
                            out.append((kind, after))
            frontier = list(dict.fromkeys(following))
        out.extend(("ran" if ran else "skipped", current) for current, ran in frontier)
        return self._bump(out)

    def alternatives(self, children: list[Execution], path: Path) -> list[_Result]:
        orders = [children]
        for chosen in children[1:]:
            first = chosen.first_step()
            if first is None or not first.step.offerable:
                continue  # never listed under "try another way"
            others = [c for c in children if c is not chosen]
            if any(_may_ask(other) for other in others):
                orders.append([chosen, *others])
        out: list[_Result] = []
        for order in orders:
            frontier = [path]
            for child in order:
                following: list[Path] = []
                for current in frontier:
                    for kind, after in self.node(child, current):
                        if kind == "ran":
                            out.append(("ran", after))
                        elif kind in ("skipped", "failed"):
                            following.append(after)
                        else:
                            out.append((kind, after))
                frontier = list(dict.fromkeys(following))
            out.extend(("failed", current.then("no alternative succeeded")) for current in frontier)
        return self._bump(out)

    def node(self, execution: Execution, path: Path) -> list[_Result]:
        path = replace(path, reached=path.reached | {execution.path})
        if isinstance(execution, SubFlow):
            return self.level(execution.children, path)
        return self.step(execution, path)

    # -- steps -----------------------------------------------------------------------------

    def step(self, execution: StepExecution, path: Path) -> list[_Result]:
        name = _name(execution)
        out: list[_Result] = []
        for possible in execution.step.possible():
            if possible.kind == "done":
                after = replace(
                    path.then(name),
                    factors=path.factors | frozenset(possible.proves),
                    identified=path.identified or execution.step.identifies_user,
                    session=path.session or possible.session,
                    last=execution,
                    done_types=path.done_types | {execution.step.type},
                )
                out.append(("ran", after))
            elif possible.kind == "not_applicable":
                out.append(("failed", path.then(f"{name} not applicable")))
            elif possible.kind == "fail":
                stopped = execution.requirement is not Requirement.ALTERNATIVE
                out.append(("stopped" if stopped else "failed", path.then(f"{name} failed")))
            elif possible.kind == "redirect":
                out.append(("redirected", path.then(f"{name} (leaves for an upstream login)")))
            else:
                out.append(("stopped", path.then(f"{name} denies")))
        return out

    # -- conditions ------------------------------------------------------------------------

    def decide(self, execution: Execution, path: Path) -> list[tuple[bool, Path]]:
        """Whether all of ``execution.when`` hold, each way they can be answered."""
        results: list[tuple[bool, Path]] = []
        for holds, after, asked in self.all_of(execution.when, path, execution.path):
            results.append((holds, after.then(f"({', '.join(asked)})")))
        return results

    def all_of(
        self, exprs: Iterable[ConditionExpr], path: Path, where: str
    ) -> list[tuple[bool, Path, tuple[str, ...]]]:
        frontier: list[tuple[Path, tuple[str, ...]]] = [(path, ())]
        out: list[tuple[bool, Path, tuple[str, ...]]] = []
        for expr in exprs:
            following: list[tuple[Path, tuple[str, ...]]] = []
            for current, asked in frontier:
                for holds, after, more in self.expr(expr, current, where):
                    if holds:
                        following.append((after, asked + more))
                    else:
                        out.append((False, after, asked + more))
            frontier = following
        out.extend((True, current, asked) for current, asked in frontier)
        return out

    def expr(
        self, expr: ConditionExpr, path: Path, where: str
    ) -> list[tuple[bool, Path, tuple[str, ...]]]:
        if isinstance(expr, Not):
            return [(not v, p, a) for v, p, a in self.expr(expr.condition, path, where)]
        if isinstance(expr, AllOf):
            return self.all_of(expr.conditions, path, where)
        if isinstance(expr, AnyOf):
            negated = self.all_of([Not(item) for item in expr.conditions], path, where)
            return [(not v, p, a) for v, p, a in negated]
        return self.leaf(expr, path, where)

    def leaf(
        self, condition: AnyCondition, path: Path, where: str
    ) -> list[tuple[bool, Path, tuple[str, ...]]]:
        name = key = condition.describe()
        known = path.answer(key)
        fixed = condition.assumed() if self.assume else None
        values: list[bool]
        if not path.done_types.isdisjoint(condition.true_after):
            values = [True]
        elif known is not None:
            values = [False, True] if condition.monotone and not known else [known]
        elif fixed is not None:
            values = [fixed]
        else:
            values = [True, False]
        out: list[tuple[bool, Path, tuple[str, ...]]] = []
        for value in values:
            after = path.answered(key, value)
            if condition.type == "device_trusted" and value:
                after = replace(after, trusted=True)
            out.append((value, after, (f"{name}={str(value).lower()}",)))
        return out


def can_hold(execution: Execution) -> bool:
    """Whether some answers to its conditions make every one of ``execution.when`` hold."""
    return any(holds for holds, _ in _Explorer(assume=False).decide(execution, Path()))


def _name(execution: Execution) -> str:
    if isinstance(execution, StepExecution):
        return execution.label or execution.step.type
    return execution.label or f"sub-flow {execution.path}"


def _may_ask(execution: Execution) -> bool:
    if isinstance(execution, StepExecution):
        return execution.step.asks
    return any(
        _may_ask(child)
        for child in execution.children
        if child.requirement is not Requirement.DISABLED
    )
