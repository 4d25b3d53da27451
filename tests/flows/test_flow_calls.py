"""Several calls on one state in one request (``flows.Calls``), and what a flow derives once.

The login service answers the code page's "trust this browser" checkbox with a second call in
the same request; that call starts from the challenge the first one ended on instead of walking
the tree again, and must answer exactly as a separate call would.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from flows import (
    Calls,
    Completed,
    Flow,
    FlowState,
    LoginRequest,
    NeedsInput,
    Outcome,
    RunContext,
    advance,
    load_flow_text,
    start,
    submit,
)
from flows.model import Requirement
from flows.steps.totp import INVALID_CODE
from tests.flows.flowkit import GOOD_CODE, NOW, FakeDirectory, FakeUser

PASSWORD, TOTP, TRUST = "2.0", "2.1.1.0", "2.1.2"


@dataclass
class AskCountingDirectory(FakeDirectory):
    """Counts what the ``trust_device`` and ``recovery_code`` steps ask when they are reached."""

    asked: list[str] = field(default_factory=list)

    def trusted_device_days(self, user_id: str) -> int | None:
        self.asked.append("trusted_device_days")
        return super().trusted_device_days(user_id)


def at_the_code_page(browser: Flow, directory: FakeDirectory) -> dict[str, object]:
    """The state of a login whose password was accepted, its TOTP code asked (as JSON)."""
    state = start(browser, LoginRequest(client_id="app"), NOW)
    ctx = RunContext(directory, None, NOW, "browser-1")
    assert isinstance(advance(browser, state, ctx), NeedsInput)
    asked = submit(browser, state, ctx, PASSWORD, {"username": "alice", "password": "pw"})
    assert isinstance(asked, NeedsInput) and asked.challenge.path == TOTP
    data: dict[str, object] = json.loads(json.dumps(state.to_json()))
    return data


def code_then_trust(
    calls: Calls | None, browser: Flow, state: FlowState, ctx: RunContext
) -> list[Outcome]:
    """The code, then the checkbox's answer to "trust this browser?": on ``calls``, or (None)
    as two separate calls."""
    outcomes: list[Outcome] = []
    first = (
        calls.submit(TOTP, {"code": GOOD_CODE})
        if calls
        else submit(browser, state, ctx, TOTP, {"code": GOOD_CODE})
    )
    outcomes.append(first)
    assert isinstance(first, NeedsInput) and first.challenge.path == TRUST
    answer = {"trust": "yes"}
    outcomes.append(
        calls.submit(TRUST, answer) if calls else submit(browser, state, ctx, TRUST, answer)
    )
    return outcomes


def directory_with_alice() -> AskCountingDirectory:
    directory = AskCountingDirectory()
    directory.add(FakeUser("u-alice", "alice", "pw", has_totp=True))
    return directory


def test_calls_in_one_request_answer_as_separate_calls_would(browser: Flow) -> None:
    apart, together = directory_with_alice(), directory_with_alice()
    data = at_the_code_page(browser, apart)
    at_the_code_page(browser, together)
    state_apart, state_together = FlowState.from_json(data), FlowState.from_json(data)
    ctx_apart = RunContext(apart, None, NOW, "browser-1")
    ctx_together = RunContext(together, None, NOW, "browser-1")

    separate = code_then_trust(None, browser, state_apart, ctx_apart)
    on_calls = code_then_trust(
        Calls(browser, state_together, ctx_together), browser, state_together, ctx_together
    )

    assert on_calls == separate
    assert isinstance(on_calls[1], Completed) and on_calls[1].trust is not None
    assert state_together.to_json() == state_apart.to_json()
    assert together.calls == apart.calls


def test_the_second_call_starts_from_the_challenge_the_first_ended_on(browser: Flow) -> None:
    asked: dict[str, list[str]] = {}
    for way in ("apart", "together"):
        directory = directory_with_alice()
        state = FlowState.from_json(at_the_code_page(browser, directory))
        ctx = RunContext(directory, None, NOW, "browser-1")
        directory.asked.clear()
        calls = Calls(browser, state, ctx) if way == "together" else None
        code_then_trust(calls, browser, state, ctx)
        asked[way] = directory.asked
    # Asked by the walk that reached the question, and again by a separate call's walk.
    assert asked == {
        "apart": ["trusted_device_days", "trusted_device_days"],
        "together": ["trusted_device_days"],
    }


def test_a_rejected_answer_is_not_carried_into_the_next_call(browser: Flow) -> None:
    directory = directory_with_alice()
    state = FlowState.from_json(at_the_code_page(browser, directory))
    calls = Calls(browser, state, RunContext(directory, None, NOW, "browser-1"))
    retry = calls.submit(TOTP, {"code": "000000"})
    assert isinstance(retry, NeedsInput) and retry.challenge.errors == (INVALID_CODE,)
    again = calls.advance()
    assert isinstance(again, NeedsInput)
    assert (again.challenge.path, again.challenge.errors) == (TOTP, ())
    assert isinstance(calls.submit(TOTP, {"code": GOOD_CODE}), NeedsInput)  # the trust question


def test_an_answer_for_another_path_on_calls_changes_nothing(browser: Flow) -> None:
    directory = directory_with_alice()
    state = FlowState.from_json(at_the_code_page(browser, directory))
    calls = Calls(browser, state, RunContext(directory, None, NOW, "browser-1"))
    first = calls.advance()
    before = state.to_json()
    assert calls.submit(TRUST, {"trust": "yes"}) == first
    assert state.to_json() == before
    asked = calls.submit(TOTP, {"code": GOOD_CODE})
    assert isinstance(asked, NeedsInput) and asked.challenge.path == TRUST


def test_a_flow_derives_its_levels_and_paths_once() -> None:
    flow = load_flow_text(
        """\
id: x
steps:
  - {requirement: alternative, type: cookie}
  - requirement: alternative
    flow:
      - {requirement: disabled, type: cookie}
      - {requirement: required, type: password}
      - {requirement: conditional, when: [user_has_totp], type: totp}
"""
    )
    root, inner = flow.levels[""], flow.levels["1"]
    assert root.alternatives and [e.path for e in root.active] == ["0", "1"]
    assert not inner.alternatives and [e.path for e in inner.active] == ["1.1", "1.2"]
    assert inner.active[1].requirement is Requirement.CONDITIONAL
    assert [e.path for e in flow.walk()] == ["0", "1", "1.0", "1.1", "1.2"]
    assert flow.find("1.2") is flow.executions["1.2"]
    assert flow.find("01.2") is flow.executions["1.2"]  # a path spelled otherwise still names it
