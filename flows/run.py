"""One call's run through a flow, with Keycloak's requirement semantics, against a ``FlowState``.

Every walk goes through the tree from the root in document order (a call walks once, or
twice when it submits an answer: to find the challenge answered, then to go on from it). Steps
whose outcome is recorded in the state are not asked again; the others are asked
(``Step.challenge``) until one needs the user's input. So a call either makes progress and
records it, or returns the same challenge: there is no loop to get stuck in. The walk reads
each level's active children and kind from ``Flow.levels``, worked out when the flow was built.

Requirements, level by level:

- A level is either all alternatives (plus disabled ones), or required and conditional
  executions (plus disabled ones); the loader rejects a mix.
- required: must succeed. ``NotApplicable`` fails the level it is in; ``Fail`` denies the
  login outright, so a step that failed for good cannot be routed around higher up.
- alternative: tried in order (the one the user chose with "try another way" first); the
  first that succeeds passes the level, ``NotApplicable`` or ``Fail`` moves to the next, a
  sub-flow in which nothing ran does not count; when none succeeds the level fails.
- conditional: its ``when`` is evaluated the first time it is reached and the decision is
  recorded; when false it is skipped (neutral), when true it runs as required.
- disabled: skipped.
- a step that answers ``Deny`` (the ``deny`` step) ends the login at once, whatever its
  requirement and the enclosing levels.
- a request that allows no interaction (``prompt=none``) ends with ``login_required`` where
  the flow would ask the user, or send the browser to an upstream provider.

The login completes when the root level passes with an identified user.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from flows.conditions import ConditionContext, evaluate
from flows.context import DeviceTrust, RunContext
from flows.errors import FlowRuntimeError, FlowStateError
from flows.model import Execution, Flow, Level, Requirement, StepExecution, SubFlow
from flows.outcomes import (
    Completed,
    Denied,
    NeedsInput,
    Outcome,
    RedirectTo,
    StepDone,
    flow_result,
)
from flows.results import (
    Alternative,
    Challenge,
    Deny,
    Done,
    Fail,
    Failure,
    Mark,
    NotApplicable,
    Redirect,
    StepResult,
)
from flows.state import STATE_VERSION, FlowState, Status
from flows.steps.base import StepContext

# -- what evaluating a node gives ----------------------------------------------------------


@dataclass(frozen=True)
class Ok:
    """The node passed, or was skipped."""

    ran: bool  # False: nothing in it ran (skipped), which does not count as an alternative


OK_RAN = Ok(ran=True)
OK_SKIPPED = Ok(ran=False)


@dataclass(frozen=True)
class Failed:
    """The node failed: an enclosing level of alternatives may still pass with another."""

    reason: str
    message: str


@dataclass(frozen=True)
class Pending:
    """The node waits for the user's answer to ``challenge``."""

    challenge: Challenge
    placed: bool = False  # its "try another way" list was settled by the innermost level
    # The step that asks (what an answer to the challenge is judged by).
    execution: StepExecution | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Redirecting:
    """The node sends the browser to an upstream provider."""

    url: str


@dataclass(frozen=True)
class Stop:
    """Deny the login whatever the enclosing levels say."""

    reason: str
    message: str


Eval = Ok | Failed | Pending | Redirecting | Stop


class Run:
    """One call: a walk of the tree from the root that records its progress in the state."""

    def __init__(self, flow: Flow, state: FlowState, ctx: RunContext) -> None:
        if state.version != STATE_VERSION:
            raise FlowStateError(f"flow state version {state.version} is not supported")
        if state.flow_id != flow.id or state.flow_digest != flow.digest:
            raise FlowStateError(
                f"this login was started with another version of flow {state.flow_id!r}; "
                "start it again"
            )
        self.flow = flow
        self.levels = flow.levels
        self.state = state
        self.ctx = ctx
        self.failure: Failure | None = None
        self.trust: DeviceTrust | None = None
        self.done: list[StepDone] = []
        self.errors: dict[str, tuple[str, ...]] = {}

    def walk(self) -> Eval:
        return self.level(self.levels[""])

    # -- levels ----------------------------------------------------------------------------

    def level(self, level: Level) -> Eval:
        if not level.active:
            return OK_SKIPPED
        if level.alternatives:
            return self.alternatives(level)
        return self.sequence(level.active)

    def sequence(self, children: tuple[Execution, ...]) -> Eval:
        ran = False
        for child in children:
            if child.requirement is Requirement.CONDITIONAL and not self.decide(child):
                continue
            result = self.node(child)
            if not isinstance(result, Ok):
                return result
            ran = ran or result.ran
        return OK_RAN if ran else OK_SKIPPED

    def alternatives(self, level: Level) -> Eval:
        path, children = level.path, level.active
        chosen = self.state.chosen.get(path)
        order = children
        if chosen is not None:  # the chosen one first, the others in document order
            order = tuple(sorted(children, key=lambda child: child.path != chosen))
        ruled_out: set[str] = set()
        last: Failed | None = None
        for child in order:
            result = self.node(child)
            if isinstance(result, Ok) and result.ran:
                return result
            if isinstance(result, Ok | Failed):
                ruled_out.add(child.path)
                last = result if isinstance(result, Failed) else last
                continue
            if isinstance(result, Pending) and not result.placed:
                others = () if self.progressed(child) else self.offer(children, child, ruled_out)
                asked = result.challenge
                challenge = Challenge(asked.step, asked.path, asked.data, asked.errors, others)
                return Pending(challenge, placed=True, execution=result.execution)
            return result
        where = f"level {path}" if path else "the top level"
        because = f" (last: {last.message})" if last else ""
        return Failed("no_alternative", f"no alternative at {where} succeeded{because}")

    def offer(
        self, children: tuple[Execution, ...], current: Execution, ruled_out: set[str]
    ) -> tuple[Alternative, ...]:
        """The other alternatives of a level the user may still pick."""
        offered: list[Alternative] = []
        for child in children:
            if child is current or child.path in ruled_out:
                continue
            if isinstance(child, StepExecution) and child.path in self.state.status:
                continue  # already failed or found not applicable
            first = child.first_step()
            if first is not None and first.step.offered(self.step_context(first, check=False)):
                offered.append(Alternative(child.path, first.step.type, child.display_label))
        return tuple(offered)

    def progressed(self, execution: Execution) -> bool:
        """Whether a step inside ``execution`` already succeeded (then it is no time to switch)."""
        prefix = execution.path + "."
        return any(
            status is Status.DONE and (path == execution.path or path.startswith(prefix))
            for path, status in self.state.status.items()
        )

    def decide(self, execution: Execution) -> bool:
        decided = self.state.decisions.get(execution.path)
        if decided is None:
            cond_ctx = ConditionContext(
                path=execution.path,
                directory=self.ctx.directory,
                request=self.state.request,
                user_id=self.state.user_id,
                now=self.ctx.now,
                device=self.ctx.device,
            )
            decided = all(evaluate(condition, cond_ctx) for condition in execution.when)
            self.state.decisions[execution.path] = decided
            self.mark(*cond_ctx.marks)
        return decided

    def node(self, execution: Execution) -> Eval:
        if isinstance(execution, SubFlow):
            return self.level(self.levels[execution.path])
        return self.step(execution)

    # -- steps -----------------------------------------------------------------------------

    def step(self, execution: StepExecution) -> Eval:
        path = execution.path
        status = self.state.status.get(path)
        if status is Status.DONE:
            return OK_RAN
        if status is Status.FAILED:
            return self.failed(execution, self.state.fail_reasons.get(path, "failed"))
        if status is Status.NOT_APPLICABLE:
            return self.not_applicable(execution)
        step_ctx = self.step_context(execution)
        result = execution.step.challenge(step_ctx)
        self.keep(execution, step_ctx)
        if isinstance(result, Challenge):
            errors = self.errors.get(path, result.errors)
            challenge = Challenge(
                execution.step.type, path, result.data, errors, result.alternatives
            )
            return Pending(challenge, execution=execution)
        return self.apply(execution, result)

    def step_context(self, execution: StepExecution, check: bool = True) -> StepContext:
        if check and execution.step.needs_user and self.state.user_id is None:
            raise FlowRuntimeError(
                f"step {execution.step.type!r} at {execution.path} needs an identified user"
            )
        return StepContext(
            path=execution.path,
            directory=self.ctx.directory,
            request=self.state.request,
            session=self.ctx.session,
            now=self.ctx.now,
            user_id=self.state.user_id,
            proven=tuple(self.state.proven),
            scratch=dict(self.state.scratch.get(execution.path, {})),
            username=self.state.username,
            device=self.ctx.device,
        )

    def keep(self, execution: StepExecution, step_ctx: StepContext) -> None:
        """Record what the step left in its context (scratch data, the typed username)."""
        if step_ctx.scratch:
            self.state.scratch[execution.path] = dict(step_ctx.scratch)
        else:
            self.state.scratch.pop(execution.path, None)
        self.state.username = step_ctx.username

    def apply(self, execution: StepExecution, result: StepResult) -> Eval:
        state, path = self.state, execution.path
        if isinstance(result, Done):
            if result.user_id is not None:
                if state.user_id is not None and state.user_id != result.user_id:
                    return Stop(
                        "user_mismatch",
                        f"{execution.step.type} at {path} identified another user "
                        "than the login had already identified",
                    )
                state.user_id = result.user_id
            reused = result.auth_time is not None  # an earlier authentication, not proof now
            state.amr.extend(f for f in result.amr if f not in state.amr)
            if reused:
                state.session_auth_time = result.auth_time
            else:
                state.proven.extend(f for f in result.amr if f not in state.proven)
            if result.acr is not None:
                state.acr = result.acr
            if result.mark is not None:
                self.mark(result.mark)
            self.trust = result.trust or self.trust
            state.status[path] = Status.DONE
            proven = () if reused else result.amr
            self.done.append(StepDone(path, execution.step.type, proven))
            return OK_RAN
        if isinstance(result, Fail):
            state.status[path] = Status.FAILED
            state.fail_reasons[path] = result.reason
            self.failure = result.failure or self.failure
            return self.failed(execution, result.reason)
        if isinstance(result, NotApplicable):
            state.status[path] = Status.NOT_APPLICABLE
            return self.not_applicable(execution)
        if isinstance(result, Redirect):
            return Redirecting(result.url)
        if isinstance(result, Deny):
            # Not recorded: a walk that reaches the step again is denied again.
            self.failure = result.failure or self.failure
            return Stop(result.reason, result.message)
        raise FlowRuntimeError(
            f"step {execution.step.type!r} at {path} returned {result!r} where it may not"
        )

    def mark(self, *marks: Mark) -> None:
        self.state.marks.extend(m for m in marks if m not in self.state.marks)

    def failed(self, execution: StepExecution, reason: str) -> Eval:
        message = f"{execution.step.type} at {execution.path} failed: {reason}"
        if execution.requirement is Requirement.ALTERNATIVE:
            return Failed(reason, message)
        return Stop(reason, message)

    def not_applicable(self, execution: StepExecution) -> Failed:
        return Failed("not_applicable", f"{execution.step.type} at {execution.path} does not apply")

    # -- the answer ------------------------------------------------------------------------

    def outcome(self, result: Eval) -> Outcome:
        outcome = self.judge(result)
        return outcome if self.trust is None else replace(outcome, trust=self.trust)

    def judge(self, result: Eval) -> Outcome:
        failure, done = self.failure, tuple(self.done)
        if isinstance(result, Pending):
            if not self.state.request.interactive:
                challenge = result.challenge
                return Denied(
                    "login_required",
                    f"the flow would ask for {challenge.step} at {challenge.path}, "
                    "but the request does not allow interaction",
                    failure=failure,
                    done=done,
                )
            return NeedsInput(result.challenge, failure=failure, done=done)
        if isinstance(result, Redirecting):
            if not self.state.request.interactive:
                # Another site's sign-in page is interaction too (prompt=none).
                return Denied(
                    "login_required",
                    "the flow would leave for an upstream login, "
                    "but the request does not allow interaction",
                    failure=failure,
                    done=done,
                )
            return RedirectTo(result.url, failure=failure, done=done)
        if isinstance(result, Failed | Stop):
            return Denied(result.reason, result.message, failure=failure, done=done)
        if self.state.user_id is None:
            return Denied(
                "no_user",
                "the flow completed without identifying a user",
                failure=failure,
                done=done,
            )
        claims = flow_result(self.state, self.state.user_id, self.ctx.now)
        return Completed(claims, failure=failure, done=done)
