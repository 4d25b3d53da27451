"""The flow engine's calls: ``start`` a login's state, then ``advance``, ``submit`` or
``try_another_way`` on it until the outcome is no longer a challenge.

Each call is a ``Run`` (``flows/run.py``, which states the requirement semantics): walks of
the tree from the root that record their progress in the ``FlowState`` and answer an
``Outcome`` (``flows/outcomes.py``). The caller keeps the state between requests.

A caller that makes more than one call on a state in one request (the code page's "trust this
browser" checkbox answers the question that follows the code) makes them on one ``Calls``:
a call then starts from the challenge the previous one ended on, instead of walking the tree
again to find it. The outcomes are those of separate calls.
"""

from __future__ import annotations

from collections.abc import Mapping

from flows.context import LoginRequest, RunContext
from flows.errors import FlowRuntimeError
from flows.model import Flow, FlowKind, parent_path
from flows.outcomes import FEDERATED, Outcome
from flows.results import Retry
from flows.run import Eval, Pending, Redirecting, Run, Stop
from flows.state import FlowState

__all__ = ["Calls", "advance", "start", "submit", "try_another_way"]


def start(
    flow: Flow,
    request: LoginRequest,
    now: int,
    *,
    federated_user: str | None = None,
    federated_auth_time: int | None = None,
) -> FlowState:
    """A fresh state for running ``flow`` for ``request``.

    A federated (post-broker) flow starts with the user the upstream provider identified,
    ``federated_user``, and ``fed`` in the amr; ``request.idp`` names the provider, and
    ``federated_auth_time`` says when the user authenticated there (the ``auth_time`` of the
    result, unless the flow proves a factor of its own; None: now). A browser flow takes none.
    """
    state = FlowState(flow_id=flow.id, flow_digest=flow.digest, request=request, created_at=now)
    if flow.kind is FlowKind.FEDERATED:
        if federated_user is None or request.idp is None:
            raise FlowRuntimeError(
                f"flow {flow.id!r} is a federated flow: start it with the user and the "
                "provider (request.idp) of an upstream login"
            )
        state.user_id = federated_user
        state.amr.append(FEDERATED)
        state.proven.append(FEDERATED)
        state.federated_auth_time = federated_auth_time
    elif federated_user is not None or request.idp is not None or federated_auth_time is not None:
        raise FlowRuntimeError(f"flow {flow.id!r} is a browser flow, not a federated one")
    return state


class Calls:
    """The calls of one request on one state, in order.

    The state is the ``Calls``' own between its calls: one it finds changed since its last
    call would be read as it was left (the caller changes it, if ever, before the first call or
    after the last). A call whose last walk ended on a challenge that no rejected answer
    marked leaves it for the next call, which starts from it instead of walking again: the
    state is unchanged since, and the directory has been asked nothing since, so the walk
    would find the same challenge.
    """

    def __init__(self, flow: Flow, state: FlowState, ctx: RunContext) -> None:
        self.flow = flow
        self.state = state
        self.ctx = ctx
        self._current: Pending | None = None

    def advance(self) -> Outcome:
        """Proceed without input: resolve what needs none, return the next challenge or the end."""
        run, current = self._run()
        return self._end(run, current)

    def submit(self, path: str, answer: Mapping[str, str]) -> Outcome:
        """Answer the challenge at ``path``; an answer for any other path changes nothing."""
        run, current = self._run()
        if not isinstance(current, Pending) or current.challenge.path != path:
            return self._end(run, current)
        execution = current.execution
        assert execution is not None
        step_ctx = run.step_context(execution)
        self._current = None
        result = execution.step.submit(step_ctx, answer)
        run.keep(execution, step_ctx)
        if isinstance(result, Retry):
            run.failure = result.failure
            run.errors[path] = result.errors
        else:
            applied = run.apply(execution, result)
            if isinstance(applied, Stop | Redirecting):
                return run.outcome(applied)
        return self._end(run, run.walk())

    def try_another_way(self, path: str) -> Outcome:
        """Switch to the alternative at ``path``, one the current challenge lists; else no
        change."""
        run, current = self._run()
        if isinstance(current, Pending) and any(
            alternative.path == path for alternative in current.challenge.alternatives
        ):
            self._current = None
            self.state.chosen[parent_path(path)] = path
            return self._end(run, run.walk())
        return self._end(run, current)

    def _run(self) -> tuple[Run, Eval]:
        """A run for the next call, and where its walk stands (the last call's challenge, or
        a walk now)."""
        run = Run(self.flow, self.state, self.ctx)
        current, self._current = self._current, None
        return run, run.walk() if current is None else current

    def _end(self, run: Run, current: Eval) -> Outcome:
        """The call's outcome; its challenge kept for the next call unless an error marks it."""
        if isinstance(current, Pending) and not run.errors:
            self._current = current
        return run.outcome(current)


def advance(flow: Flow, state: FlowState, ctx: RunContext) -> Outcome:
    """Proceed without input: resolve what needs none, return the next challenge or the end."""
    return Calls(flow, state, ctx).advance()


def submit(
    flow: Flow, state: FlowState, ctx: RunContext, path: str, answer: Mapping[str, str]
) -> Outcome:
    """Answer the challenge at ``path``; an answer for any other path changes nothing."""
    return Calls(flow, state, ctx).submit(path, answer)


def try_another_way(flow: Flow, state: FlowState, ctx: RunContext, path: str) -> Outcome:
    """Switch to the alternative at ``path``, one the current challenge lists; else no change."""
    return Calls(flow, state, ctx).try_another_way(path)
