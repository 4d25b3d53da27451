"""The flow state: versioned JSON that survives a trip through the ephemeral store."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows import (
    STATE_VERSION,
    Flow,
    FlowState,
    FlowStateError,
    LoginRequest,
    RunContext,
    advance,
    builtin_flows_dir,
    load_flow_text,
    load_flows,
    start,
)
from flows.state import _well_formed
from tests.flows.flowkit import NOW, FakeDirectory, FakeUser, Login


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


def test_a_state_read_from_the_store_takes_the_quick_reader(
    browser: Flow, directory: FakeDirectory
) -> None:
    data = mid_flow_state(browser, directory)
    assert _well_formed(data) == FlowState._checked(data)
    assert _well_formed(data) is not None


#: Values of every JSON type (and a few only Python builds), to put in any field of a state.
ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-1, 2),
    st.sampled_from(["", "done", "failed", "recovery_code", "trusted_device", "browser"]),
    st.lists(st.sampled_from(["pwd", "otp", "done", "recovery_code", 1, None, True]), max_size=3),
    st.dictionaries(
        st.sampled_from(["1.0", "2", 3]),
        st.sampled_from(["done", "nope", True, 1, None, {"k": "v"}, {"k": 1}, {2: "v"}]),
        max_size=2,
    ),
    st.tuples(st.just("x")),
)
DELETED = object()


def _a_state() -> dict[str, Any]:
    directory = FakeDirectory()
    directory.add(FakeUser("u-alice", "alice", "correct horse"))
    return mid_flow_state(load_flows(builtin_flows_dir()).get("browser"), directory)


A_STATE = _a_state()
FIELDS = sorted(
    [key for key in A_STATE if key != "request"] + [f"request.{key}" for key in A_STATE["request"]]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(FIELDS), st.one_of(ODD_VALUES, st.just(DELETED)))))
def test_the_quick_reader_accepts_only_what_the_checked_one_reads_the_same(
    edits: list[tuple[str, object]],
) -> None:
    data = copy.deepcopy(A_STATE)
    for field, value in edits:
        where, key = (data["request"], field[8:]) if field.startswith("request.") else (data, field)
        if not isinstance(where, dict):
            continue
        if value is DELETED:
            where.pop(key, None)
        else:
            where[key] = value
    quick = _well_formed(data)
    try:
        checked: FlowState | None = FlowState._checked(data)
    except FlowStateError:
        checked = None
    if quick is not None:
        assert quick == checked
