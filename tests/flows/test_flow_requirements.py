"""Keycloak requirement semantics, table-driven over flows of scripted steps."""

from __future__ import annotations

import pytest

from flows import Completed, Denied, NeedsInput, Outcome
from tests.flows.flowkit import FakeDirectory, Login, scripted_flow


def summary(outcome: Outcome) -> tuple[object, ...]:
    if isinstance(outcome, Completed):
        return ("completed", outcome.result.user_id, outcome.result.amr)
    if isinstance(outcome, Denied):
        return ("denied", outcome.reason)
    if isinstance(outcome, NeedsInput):
        return ("ask", outcome.challenge.path)
    return ("redirect", outcome.url)


def step(result: str, requirement: str, user: str | None = None, *amr: str) -> str:
    config = f"{{result: {result}, amr: [{', '.join(amr)}]" + (f", user: {user}}}" if user else "}")
    return f"{{type: scripted, config: {config}, requirement: {requirement}}}"


def sub(requirement: str, *children: str, when: str = "", label: str = "") -> str:
    extra = (f", when: [{when}]" if when else "") + (f", label: {label}" if label else "")
    return f"{{requirement: {requirement}{extra}, flow: [{', '.join(children)}]}}"


def flag(value: bool) -> str:
    return f"{{flag: {{value: {str(value).lower()}}}}}"


def DONE(req: str) -> str:
    return step("done", req, "u1", "pwd")


def DONE_U2(req: str) -> str:
    return step("done", req, "u2", "pwd")


def OTP(req: str) -> str:
    return step("done", req, None, "otp")


def FAIL(req: str) -> str:
    return step("fail", req)


def NA(req: str) -> str:
    return step("not_applicable", req)


def ASK(req: str) -> str:
    return step("ask", req, "u1")


def ANON(req: str) -> str:
    return step("done", req)


def level(*executions: str) -> str:
    return "".join(f"  - {execution}\n" for execution in executions)


CASES = {
    "required steps all succeed": (
        level(DONE("required"), OTP("required")),
        ("completed", "u1", ("pwd", "otp", "mfa")),
    ),
    "a required step that does not apply fails the flow": (
        level(DONE("required"), NA("required")),
        ("denied", "not_applicable"),
    ),
    "a required step that fails denies the login": (
        level(DONE("required"), FAIL("required")),
        ("denied", "scripted_failure"),
    ),
    "the first alternative that succeeds wins": (
        level(DONE("alternative"), DONE_U2("alternative")),
        ("completed", "u1", ("pwd",)),
    ),
    "an alternative that does not apply moves to the next": (
        level(NA("alternative"), DONE_U2("alternative")),
        ("completed", "u2", ("pwd",)),
    ),
    "an alternative that fails moves to the next": (
        level(FAIL("alternative"), DONE_U2("alternative")),
        ("completed", "u2", ("pwd",)),
    ),
    "when every alternative fails the level fails": (
        level(NA("alternative"), FAIL("alternative")),
        ("denied", "no_alternative"),
    ),
    "an alternative that asks holds the turn": (
        level(ASK("alternative"), DONE_U2("alternative")),
        ("ask", "0"),
    ),
    "disabled executions are skipped": (
        level(FAIL("disabled"), DONE("required"), NA("disabled")),
        ("completed", "u1", ("pwd",)),
    ),
    "a conditional whose condition is false is skipped": (
        level(
            DONE("required"),
            sub("conditional", FAIL("required"), when=flag(False)),
        ),
        ("completed", "u1", ("pwd",)),
    ),
    "a conditional whose condition is true runs as required": (
        level(
            DONE("required"),
            sub("conditional", FAIL("required"), when=flag(True)),
        ),
        ("denied", "scripted_failure"),
    ),
    "every condition of a conditional must hold": (
        level(
            DONE("required"),
            sub("conditional", FAIL("required"), when=f"{flag(True)}, {flag(False)}"),
        ),
        ("completed", "u1", ("pwd",)),
    ),
    "a conditional step runs when its condition holds": (
        level(DONE("required"), OTP("conditional")[:-1] + f", when: [{flag(True)}]}}"),
        ("completed", "u1", ("pwd", "otp", "mfa")),
    ),
    "a user identified by an alternative that then gave way stays the user": (
        level(
            sub("alternative", DONE("required"), NA("required")),
            DONE_U2("alternative"),
        ),
        ("denied", "user_mismatch"),
    ),
    "an alternative sub-flow in which nothing ran does not count": (
        level(
            sub("alternative", sub("conditional", DONE("required"), when=flag(False))),
            DONE_U2("alternative"),
        ),
        ("completed", "u2", ("pwd",)),
    ),
    "a required failure inside an alternative sub-flow still denies": (
        level(
            sub("alternative", FAIL("required")),
            DONE_U2("alternative"),
        ),
        ("denied", "scripted_failure"),
    ),
    "a flow that identifies nobody is denied": (
        level(ANON("required")),
        ("denied", "no_user"),
    ),
    "a flow whose executions are all disabled is denied": (
        level(DONE("disabled")),
        ("denied", "no_user"),
    ),
    "a step may not switch to another user": (
        level(DONE("required"), DONE_U2("required")),
        ("denied", "user_mismatch"),
    ),
    "one factor proven twice is not mfa": (
        level(DONE("required"), DONE("required")),
        ("completed", "u1", ("pwd",)),
    ),
}


@pytest.mark.parametrize(("steps_yaml", "expected"), CASES.values(), ids=CASES.keys())
def test_requirement_semantics(steps_yaml: str, expected: tuple[object, ...]) -> None:
    login = Login(scripted_flow(steps_yaml), FakeDirectory())
    assert summary(login.advance()) == expected


def test_an_alternative_subflow_that_gives_way_keeps_no_user_of_its_own() -> None:
    flow = scripted_flow(
        level(
            sub("alternative", ANON("required"), NA("required")),
            DONE_U2("alternative"),
        )
    )
    assert summary(Login(flow, FakeDirectory()).advance()) == ("completed", "u2", ("pwd",))


def test_a_retried_answer_asks_again_with_the_errors() -> None:
    login = Login(scripted_flow(level(ASK("required"))), FakeDirectory())
    login.advance()
    outcome = login.submit("0", ok="no")
    assert isinstance(outcome, NeedsInput)
    assert outcome.challenge.errors == ("Say yes.",)
    assert summary(login.submit("0", ok="yes")) == ("completed", "u1", ())


def test_an_answer_for_another_path_changes_nothing() -> None:
    flow = scripted_flow(level(ASK("required"), ASK("required")))
    login = Login(flow, FakeDirectory())
    first = login.advance()
    before = login.state_json
    assert login.submit("1", ok="yes") == first
    assert login.submit("7.3", ok="yes") == first
    assert login.state_json == before


def test_try_another_way_lists_and_switches_to_the_other_alternatives() -> None:
    flow = scripted_flow(level(ASK("alternative"), NA("alternative"), ASK("alternative")))
    login = Login(flow, FakeDirectory())
    outcome = login.advance()
    assert isinstance(outcome, NeedsInput)
    assert [(a.path, a.step) for a in outcome.challenge.alternatives] == [("2", "scripted")]

    switched = login.try_another_way("2")
    assert isinstance(switched, NeedsInput)
    assert switched.challenge.path == "2"
    assert [a.path for a in switched.challenge.alternatives] == ["0"]
    assert summary(login.submit("2", ok="yes")) == ("completed", "u1", ())


def test_try_another_way_ignores_an_alternative_that_is_not_offered() -> None:
    flow = scripted_flow(level(ASK("alternative"), NA("alternative")))
    login = Login(flow, FakeDirectory())
    first = login.advance()
    assert login.try_another_way("1") == first
    assert login.try_another_way("0") == first


def test_no_alternatives_are_offered_once_a_subflow_has_made_progress() -> None:
    flow = scripted_flow(
        level(
            sub("alternative", DONE("required"), ASK("required")),
            ASK("alternative"),
        )
    )
    outcome = Login(flow, FakeDirectory()).advance()
    assert isinstance(outcome, NeedsInput)
    assert outcome.challenge.path == "0.1"
    assert outcome.challenge.alternatives == ()


def test_a_subflow_alternative_is_offered_by_its_first_step_and_label() -> None:
    flow = scripted_flow(
        level(
            ASK("alternative"),
            sub("alternative", ASK("required"), label="Use a scripted thing"),
        )
    )
    outcome = Login(flow, FakeDirectory()).advance()
    assert isinstance(outcome, NeedsInput)
    (alternative,) = outcome.challenge.alternatives
    assert (alternative.path, alternative.step, alternative.label) == (
        "1",
        "scripted",
        "Use a scripted thing",
    )
