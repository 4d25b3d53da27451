"""The directory's verdict on a code decides the step's result; the lockout ends a login
through the flow (a ``Deny`` with its reason), and what stood in for a factor is in the result."""

from __future__ import annotations

import pytest

from flows import (
    Completed,
    Denied,
    DeviceTrust,
    LoginRequest,
    Mark,
    NeedsInput,
    Verdict,
    load_flow_text,
)
from flows.steps.totp import LOCKED, RESTARTED
from tests.flows.flowkit import GOOD_CODE, FakeDirectory, Login

CODE_FLOW = """\
id: codes
steps:
  - {requirement: required, type: password}
  - requirement: required
    flow:
      - {requirement: alternative, type: totp}
      - {requirement: alternative, type: recovery_code}
  - {requirement: required, type: trust_device}
"""


class JudgingDirectory(FakeDirectory):
    """Answers every code with ``verdict``."""

    verdict: Verdict = Verdict.OK

    def verify_totp(self, user_id: str, code: str) -> Verdict:
        self.calls.append(("verify_totp", user_id, code))
        return self.verdict

    def verify_recovery_code(self, user_id: str, code: str) -> Verdict:
        self.calls.append(("verify_recovery_code", user_id, code))
        return self.verdict


@pytest.fixture
def judging(directory: FakeDirectory) -> JudgingDirectory:
    judge = JudgingDirectory(users=directory.users)
    judge.users["u-alice"].has_totp = True
    judge.users["u-alice"].recovery_codes = {"rc-1"}
    return judge


def _at_the_code(judging: JudgingDirectory) -> Login:
    login = Login(load_flow_text(CODE_FLOW), judging, device="browser-1")
    login.advance()
    asked = login.submit("0", username="alice", password="correct horse")
    assert isinstance(asked, NeedsInput)
    assert asked.challenge.step == "totp"
    return login


@pytest.mark.parametrize(
    ("verdict", "message"), [(Verdict.LOCKED, LOCKED), (Verdict.RESTART, RESTARTED)]
)
@pytest.mark.parametrize(("path", "step"), [("1.0", "totp"), ("1.1", "recovery_code")])
def test_a_code_the_lockout_refuses_ends_the_login_with_its_reason(
    judging: JudgingDirectory, verdict: Verdict, message: str, path: str, step: str
) -> None:
    login = _at_the_code(judging)
    if step == "recovery_code":
        login.try_another_way(path)
    judging.verdict = verdict
    outcome = login.submit(path, code="000000")
    assert isinstance(outcome, Denied)
    assert (outcome.reason, outcome.message) == (verdict.value, message)
    assert outcome.failure is not None and outcome.failure.user_id == "u-alice"


def test_a_wrong_code_is_asked_again(judging: JudgingDirectory) -> None:
    login = _at_the_code(judging)
    judging.verdict = Verdict.WRONG
    outcome = login.submit("1.0", code="000000")
    assert isinstance(outcome, NeedsInput)
    assert outcome.challenge.errors
    assert outcome.failure is not None and outcome.failure.reason == "invalid_code"


def test_a_recovery_code_is_marked_in_the_result(judging: JudgingDirectory) -> None:
    login = _at_the_code(judging)
    login.try_another_way("1.1")
    asked = login.submit("1.1", code="rc-1")
    assert isinstance(asked, NeedsInput) and asked.challenge.step == "trust_device"
    done = login.submit("2", trust="no")
    assert isinstance(done, Completed)
    assert done.result.marks == frozenset({Mark.RECOVERY_CODE})
    assert done.result.used_recovery_code and not done.result.used_trusted_device


def test_a_browser_trusted_now_comes_back_in_the_outcome_not_the_state(
    judging: JudgingDirectory,
) -> None:
    login = _at_the_code(judging)
    login.submit("1.0", code=GOOD_CODE)
    done = login.submit("2", trust="yes")
    assert isinstance(done, Completed)
    assert done.trust == DeviceTrust("token-browser-1", 30)
    assert "token-browser-1" not in login.state_json
    assert not done.result.marks


def test_a_trusted_browser_that_stood_in_for_the_code_is_marked(
    judging: JudgingDirectory,
) -> None:
    judging.users["u-alice"].trusted_devices.add("browser-1")
    flow = load_flow_text(
        """\
id: trusted
steps:
  - {requirement: required, type: password}
  - requirement: conditional
    when: [{not: device_trusted}]
    flow: [{requirement: required, type: totp}]
"""
    )
    login = Login(flow, judging, LoginRequest(), device="browser-1")
    login.advance()
    done = login.submit("0", username="alice", password="correct horse")
    assert isinstance(done, Completed)
    assert done.result.used_trusted_device
    assert done.result.amr == ("pwd",)
