"""The ``auth_time`` of a federated login is when the user authenticated at the upstream
provider, not when the bridge heard about it: a relying party's ``max_age`` must compare
against the real authentication."""

from __future__ import annotations

import json

import pytest

from flows import Completed, Flow, FlowState, LoginRequest, NeedsInput, load_flow_text, start
from flows.errors import FlowRuntimeError
from tests.flows.flowkit import GOOD_CODE, NOW, FakeDirectory, Login

FROM_GOOGLE = LoginRequest(idp="google")
AN_HOUR_AGO = NOW - 3600


ALLOW = "{requirement: required, type: allow}"


def federated(*steps: str) -> Flow:
    body = "".join(f"  - {step}\n" for step in steps or (ALLOW,))
    return load_flow_text(f"id: fed\nkind: federated\nsteps:\n{body}")


def federated_login(
    flow: Flow, directory: FakeDirectory, upstream_auth_time: int | None, now: int = NOW
) -> Login:
    login = Login(flow, directory, FROM_GOOGLE, now=now, federated_user="u-alice")
    state = start(
        flow, FROM_GOOGLE, now, federated_user="u-alice", federated_auth_time=upstream_auth_time
    )
    login.state_json = json.dumps(state.to_json())
    return login


def test_a_federated_login_authenticated_when_the_upstream_says(
    directory: FakeDirectory,
) -> None:
    outcome = federated_login(federated(), directory, AN_HOUR_AGO).advance()

    assert isinstance(outcome, Completed)
    assert outcome.result.auth_time == AN_HOUR_AGO
    assert outcome.result.amr == ("fed",)


def test_without_an_upstream_time_a_federated_login_authenticated_now(
    directory: FakeDirectory,
) -> None:
    outcome = federated_login(federated(), directory, None).advance()

    assert isinstance(outcome, Completed) and outcome.result.auth_time == NOW


def test_an_upstream_time_slightly_ahead_of_our_clock_is_never_later_than_now(
    directory: FakeDirectory,
) -> None:
    outcome = federated_login(federated(), directory, NOW + 30).advance()

    assert isinstance(outcome, Completed) and outcome.result.auth_time == NOW


def test_a_factor_the_federated_flow_proves_itself_makes_the_login_fresh(
    directory: FakeDirectory,
) -> None:
    directory.users["u-alice"].has_totp = True
    login = federated_login(
        federated("{requirement: required, type: totp}"), directory, AN_HOUR_AGO
    )
    asked = login.advance()
    assert isinstance(asked, NeedsInput) and asked.challenge.step == "totp"

    outcome = login.submit("0", code=GOOD_CODE)

    assert isinstance(outcome, Completed) and outcome.result.auth_time == NOW


def test_the_upstream_time_survives_the_state_and_an_older_state_loads_without_it() -> None:
    flow = federated()
    state = start(flow, FROM_GOOGLE, NOW, federated_user="u-alice", federated_auth_time=AN_HOUR_AGO)
    data = json.loads(json.dumps(state.to_json()))
    assert FlowState.from_json(data).federated_auth_time == AN_HOUR_AGO

    del data["federated_auth_time"]  # written by a bridge from before this field

    assert FlowState.from_json(data).federated_auth_time is None


def test_a_browser_flow_takes_no_upstream_time(browser: Flow) -> None:
    with pytest.raises(FlowRuntimeError, match="is a browser flow"):
        start(browser, LoginRequest(), NOW, federated_auth_time=AN_HOUR_AGO)
