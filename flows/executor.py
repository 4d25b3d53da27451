"""The flow engine's calls: ``start`` a login's state, then ``advance``, ``submit`` or
``try_another_way`` on it until the outcome is no longer a challenge.

Each call is one ``Run`` (``flows/run.py``, which states the requirement semantics): a walk
of the tree from the root that records its progress in the ``FlowState`` and answers an
``Outcome`` (``flows/outcomes.py``). The caller keeps the state between requests.
"""

from __future__ import annotations

from collections.abc import Mapping

from flows.context import LoginRequest, RunContext
from flows.errors import FlowRuntimeError
from flows.model import Flow, FlowKind, StepExecution, parent_path
from flows.outcomes import FEDERATED, Outcome
from flows.results import Retry
from flows.run import Pending, Redirecting, Run, Stop
from flows.state import FlowState

__all__ = ["advance", "start", "submit", "try_another_way"]


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


def advance(flow: Flow, state: FlowState, ctx: RunContext) -> Outcome:
    """Proceed without input: resolve what needs none, return the next challenge or the end."""
    run = Run(flow, state, ctx)
    return run.outcome(run.walk())


def submit(
    flow: Flow, state: FlowState, ctx: RunContext, path: str, answer: Mapping[str, str]
) -> Outcome:
    """Answer the challenge at ``path``; an answer for any other path changes nothing."""
    run = Run(flow, state, ctx)
    current = run.walk()
    if not isinstance(current, Pending) or current.challenge.path != path:
        return run.outcome(current)
    execution = flow.find(path)
    assert isinstance(execution, StepExecution)
    step_ctx = run.step_context(execution)
    result = execution.step.submit(step_ctx, answer)
    run.keep(execution, step_ctx)
    if isinstance(result, Retry):
        run.failure = result.failure
        run.errors[path] = result.errors
    else:
        applied = run.apply(execution, result)
        if isinstance(applied, Stop | Redirecting):
            return run.outcome(applied)
    return run.outcome(run.walk())


def try_another_way(flow: Flow, state: FlowState, ctx: RunContext, path: str) -> Outcome:
    """Switch to the alternative at ``path``, one the current challenge lists; else no change."""
    run = Run(flow, state, ctx)
    current = run.walk()
    if isinstance(current, Pending) and any(
        alternative.path == path for alternative in current.challenge.alternatives
    ):
        state.chosen[parent_path(path)] = path
        return run.outcome(run.walk())
    return run.outcome(current)
