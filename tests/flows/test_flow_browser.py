"""The default browser flow, as shipped in flows/builtin/browser.yaml."""

from __future__ import annotations

import pytest

from flows import (
    Completed,
    Denied,
    ExistingSession,
    Failure,
    Flow,
    LoginRequest,
    NeedsInput,
    Outcome,
)
from flows.steps.password import INCORRECT, MISSING
from flows.steps.totp import INVALID_CODE
from tests.flows.flowkit import GOOD_CODE, NOW, FakeDirectory, FakeUser, Login

PASSWORD, ENROL, TOTP = "2.0", "2.1.0.0", "2.1.1.0"


def challenge(outcome: Outcome) -> NeedsInput:
    assert isinstance(outcome, NeedsInput), outcome
    return outcome


def completed(outcome: Outcome) -> Completed:
    assert isinstance(outcome, Completed), outcome
    return outcome


def sign_in(login: Login, username: str = "alice", password: str = "correct horse") -> Outcome:
    assert challenge(login.advance()).challenge.path == PASSWORD
    return login.submit(PASSWORD, username=username, password=password)


@pytest.fixture
def session() -> ExistingSession:
    return ExistingSession("u-alice", ("pwd", "otp", "mfa"), auth_time=NOW - 100, acr="aal2")


def test_a_session_cookie_satisfies_the_flow(
    browser: Flow, directory: FakeDirectory, session: ExistingSession
) -> None:
    outcome = completed(Login(browser, directory, session=session).advance())
    assert outcome.result.user_id == "u-alice"
    assert outcome.result.amr == ("pwd", "otp", "mfa")
    assert outcome.result.auth_time == NOW - 100
    assert outcome.result.acr == "aal2"
    assert outcome.proven == ()
    assert directory.calls == []


def test_prompt_login_asks_for_the_password_despite_a_session(
    browser: Flow, directory: FakeDirectory, session: ExistingSession
) -> None:
    login = Login(browser, directory, LoginRequest(force_login=True), session)
    assert challenge(login.advance()).challenge.step == "password"


def test_a_session_older_than_max_age_asks_for_the_password(
    browser: Flow, directory: FakeDirectory, session: ExistingSession
) -> None:
    login = Login(browser, directory, LoginRequest(max_age=60), session)
    assert challenge(login.advance()).challenge.step == "password"


def test_a_session_within_max_age_satisfies_the_flow(
    browser: Flow, directory: FakeDirectory, session: ExistingSession
) -> None:
    login = Login(browser, directory, LoginRequest(max_age=100), session)
    assert completed(login.advance()).result.auth_time == NOW - 100


def test_password_alone_when_mfa_is_not_required_and_there_is_no_totp(
    browser: Flow, directory: FakeDirectory
) -> None:
    login = Login(browser, directory)
    first = challenge(login.advance())
    assert first.challenge.data == {"username": ""}
    assert first.challenge.alternatives == ()

    outcome = completed(login.submit(PASSWORD, username="alice", password="correct horse"))
    assert outcome.result.user_id == "u-alice"
    assert outcome.result.amr == ("pwd",)
    assert outcome.result.auth_time == NOW
    assert outcome.proven == ("pwd",)
    assert outcome.failure is None


def test_the_login_hint_prefills_the_username(browser: Flow, directory: FakeDirectory) -> None:
    login = Login(browser, directory, LoginRequest(login_hint="alice@example.org"))
    assert challenge(login.advance()).challenge.data == {"username": "alice@example.org"}


def test_password_then_totp_when_the_user_has_totp(browser: Flow, directory: FakeDirectory) -> None:
    directory.users["u-alice"].has_totp = True
    login = Login(browser, directory)
    asked = challenge(sign_in(login))
    assert (asked.challenge.step, asked.challenge.path) == ("totp", TOTP)
    assert asked.proven == ("pwd",)

    outcome = completed(login.submit(TOTP, code="123 456"))
    assert outcome.result.amr == ("pwd", "otp", "mfa")
    assert outcome.proven == ("otp",)
    assert directory.count("start_totp_enrolment") == 0


def test_a_wrong_code_is_asked_again_and_reported_for_the_audit_log(
    browser: Flow, directory: FakeDirectory
) -> None:
    directory.users["u-alice"].has_totp = True
    login = Login(browser, directory)
    sign_in(login)
    retry = challenge(login.submit(TOTP, code="000000"))
    assert retry.challenge.path == TOTP
    assert retry.challenge.errors == (INVALID_CODE,)
    assert retry.failure == Failure("invalid_code", "otp", "u-alice")
    assert challenge(login.advance()).challenge.errors == ()  # a reload shows a clean form


def test_a_malformed_code_is_simply_invalid(browser: Flow, directory: FakeDirectory) -> None:
    directory.users["u-alice"].has_totp = True
    login = Login(browser, directory)
    sign_in(login)
    assert challenge(login.submit(TOTP, code="12ab")).challenge.errors == (INVALID_CODE,)
    assert ("verify_totp", "u-alice", "12ab") in directory.calls


def test_enrolment_when_mfa_is_required_and_the_user_has_no_totp(
    browser: Flow, directory: FakeDirectory
) -> None:
    directory.users["u-alice"].mfa_required = True
    login = Login(browser, directory)
    offer = challenge(sign_in(login)).challenge
    assert (offer.step, offer.path) == ("totp_enrol", ENROL)
    assert offer.data == {
        "mode": "enrol",
        "secret": "JBSWY3DPEHPK3PXP",
        "otpauth_uri": "otpauth://totp/u-alice",
    }

    assert challenge(login.advance()).challenge.data == offer.data  # a reload: same key
    assert directory.count("start_totp_enrolment") == 1

    outcome = completed(login.submit(ENROL, code=GOOD_CODE))
    assert outcome.result.amr == ("pwd", "otp", "mfa")
    assert outcome.done[0].step == "totp_enrol"
    assert directory.users["u-alice"].has_totp
    assert directory.count("verify_totp") == 0  # no second code after enrolment
    assert "secret" not in login.state_json


def test_a_wrong_enrolment_code_is_asked_again_with_the_same_key(
    browser: Flow, directory: FakeDirectory
) -> None:
    directory.users["u-alice"].mfa_required = True
    login = Login(browser, directory)
    offer = challenge(sign_in(login)).challenge
    retry = challenge(login.submit(ENROL, code="000000"))
    assert retry.challenge.data == offer.data
    assert retry.challenge.errors
    assert retry.failure == Failure("invalid_code", "otp", "u-alice")
    assert not directory.users["u-alice"].has_totp


def test_the_second_factor_decision_is_fixed_once_reached(
    browser: Flow, directory: FakeDirectory
) -> None:
    directory.users["u-alice"].mfa_required = True
    login = Login(browser, directory)
    sign_in(login)
    directory.users["u-alice"].mfa_required = False  # an admin turns enforcement off meanwhile
    assert challenge(login.advance()).challenge.step == "totp_enrol"
    assert login.state.decisions == {"2.1": True, "2.1.0": True}


@pytest.mark.parametrize("username", ["alice", "mallory"])
def test_a_wrong_password_is_asked_again_with_the_same_message(
    browser: Flow, directory: FakeDirectory, username: str
) -> None:
    login = Login(browser, directory)
    retry = challenge(sign_in(login, username, "wrong"))
    assert retry.challenge.path == PASSWORD
    assert retry.challenge.errors == (INCORRECT,)
    assert retry.challenge.data == {"username": username}
    assert retry.failure is not None
    assert retry.failure.factor == "pwd"


def test_the_audit_failure_tells_unknown_users_from_wrong_passwords(
    browser: Flow, directory: FakeDirectory
) -> None:
    unknown = sign_in(Login(browser, directory), "mallory", "x")
    wrong = sign_in(Login(browser, directory), "alice", "x")
    assert unknown.failure == Failure("unknown_user", "pwd", None)
    assert wrong.failure == Failure("wrong_password", "pwd", "u-alice")


def test_empty_fields_are_asked_again_without_a_check(
    browser: Flow, directory: FakeDirectory
) -> None:
    retry = challenge(sign_in(Login(browser, directory), "alice", ""))
    assert retry.challenge.errors == (MISSING,)
    assert retry.failure is None
    assert directory.count("check_password") == 0


def test_a_non_interactive_request_that_needs_a_challenge_is_denied(
    browser: Flow, directory: FakeDirectory
) -> None:
    outcome = Login(browser, directory, LoginRequest(interactive=False)).advance()
    assert isinstance(outcome, Denied)
    assert outcome.reason == "login_required"


def test_a_non_interactive_request_is_satisfied_by_a_session(
    browser: Flow, directory: FakeDirectory, session: ExistingSession
) -> None:
    login = Login(browser, directory, LoginRequest(interactive=False), session)
    assert completed(login.advance()).result.user_id == "u-alice"


def test_an_answer_for_a_step_not_asked_changes_nothing(
    browser: Flow, directory: FakeDirectory
) -> None:
    directory.users["u-alice"].has_totp = True
    login = Login(browser, directory)
    first = challenge(login.advance())
    before = login.state_json
    assert login.submit(TOTP, code=GOOD_CODE) == first
    assert login.state_json == before
    assert directory.count("verify_totp") == 0


def test_a_completed_login_stays_completed(browser: Flow, directory: FakeDirectory) -> None:
    login = Login(browser, directory)
    done = completed(sign_in(login))
    again = completed(login.advance())
    assert again.result == done.result
    assert again.proven == ()


def test_a_user_who_set_up_totp_alone_is_asked_for_it(
    browser: Flow, directory: FakeDirectory
) -> None:
    directory.add(FakeUser("u-bob", "bob", "pw", has_totp=True))
    login = Login(browser, directory)
    assert challenge(sign_in(login, "bob", "pw")).challenge.step == "totp"
