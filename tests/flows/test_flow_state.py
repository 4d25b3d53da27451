"""The flow state: versioned JSON that survives a trip through the ephemeral store."""

from __future__ import annotations

import json
from typing import Any

import pytest

from flows import (
    STATE_VERSION,
    Flow,
    FlowState,
    FlowStateError,
    LoginRequest,
    RunContext,
    advance,
    load_flow_text,
    start,
)
from tests.flows.flowkit import NOW, FakeDirectory, Login


def mid_flow_state(browser: Flow, directory: FakeDirectory) -> dict[str, Any]:
    directory.users["u-alice"].mfa_required = True
    login = Login(browser, directory, LoginRequest(client_id="app", acr_values=("aal2",)))
    login.advance()
    login.submit("2.0", username="alice", password="correct horse")
    data: dict[str, Any] = json.loads(login.state_json)
    return data


def test_a_state_round_trips_through_json(browser: Flow, directory: FakeDirectory) -> None:
    data = mid_flow_state(browser, directory)
    state = FlowState.from_json(data)
    assert state.user_id == "u-alice"
    assert state.request.acr_values == ("aal2",)
    assert state.scratch["2.1.0.0"]["credential_id"] == "cred-1"
    assert FlowState.from_json(json.loads(json.dumps(state.to_json()))) == state


def test_a_state_of_another_version_is_refused(browser: Flow, directory: FakeDirectory) -> None:
    data = mid_flow_state(browser, directory)
    data["version"] = STATE_VERSION + 1
    with pytest.raises(FlowStateError, match="version 2 is not supported"):
        FlowState.from_json(data)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("user_id", 7, r"state\.user_id must be str"),
        ("created_at", True, r"state\.created_at must be int"),
        ("amr", "pwd", r"state\.amr must be a list of strings"),
        ("status", {"1.0": "maybe"}, "status"),
        ("scratch", {"1.1.0.0": {"secret": 1}}, r"scratch\.1\.1\.0\.0\.secret must be str"),
        ("request", None, r"state\.request must be dict"),
    ],
)
def test_a_malformed_state_is_refused(
    browser: Flow, directory: FakeDirectory, key: str, value: object, message: str
) -> None:
    data = mid_flow_state(browser, directory)
    data[key] = value
    with pytest.raises(FlowStateError, match=message):
        FlowState.from_json(data)


def test_a_state_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(FlowStateError, match="not an object"):
        FlowState.from_json(["version", 1])


def test_a_state_started_with_another_version_of_the_flow_is_refused(
    browser: Flow, directory: FakeDirectory
) -> None:
    state = start(browser, LoginRequest(), NOW)
    edited = load_flow_text(
        "id: browser\nsteps:\n  - {requirement: required, type: password}\n", "browser.yaml"
    )
    with pytest.raises(FlowStateError, match="another version of flow 'browser'"):
        advance(edited, state, RunContext(directory, None, NOW))


def test_a_state_for_another_flow_is_refused(browser: Flow, directory: FakeDirectory) -> None:
    other = load_flow_text(
        "id: other\nsteps:\n  - {requirement: required, type: password}\n", "other.yaml"
    )
    state = start(other, LoginRequest(), NOW)
    with pytest.raises(FlowStateError):
        advance(browser, state, RunContext(directory, None, NOW))


def test_the_same_flow_loaded_twice_accepts_the_state(
    browser: Flow, directory: FakeDirectory
) -> None:
    text = "id: b\nsteps:\n  - {requirement: required, type: password}\n"
    state = start(load_flow_text(text, "a.yaml"), LoginRequest(), NOW)
    # comments and formatting do not matter, only the tree
    reloaded = load_flow_text(
        "# a comment\nid: b\nsteps:\n- type: password\n  requirement: required\n"
    )
    advance(reloaded, state, RunContext(directory, None, NOW))
