"""The steps and conditions of the flow language beyond password and TOTP."""

from __future__ import annotations

import pytest

from flows import Completed, Denied, LoginRequest, NeedsInput, RedirectTo, load_flow_text
from flows.conditions import ConditionContext, evaluate
from flows.errors import FlowRuntimeError
from tests.flows.flowkit import FakeDirectory, FakeUser, Login

PASSWORD = "correct horse"


def flow(*steps: str, kind: str = "browser") -> str:
    body = "".join(f"  - {step}\n" for step in steps)
    return f"id: t\nkind: {kind}\nsteps:\n{body}"


def login_alice(login: Login) -> object:
    login.advance()
    return login.submit("0", username="alice", password=PASSWORD)


SECOND_FACTOR = (
    "{requirement: required, type: password}",
    "{requirement: required, flow: ["
    "{requirement: alternative, type: totp}, {requirement: alternative, type: recovery_code}]}",
)


def test_a_recovery_code_passes_the_second_factor_once(directory: FakeDirectory) -> None:
    directory.users["u-alice"].has_totp = True
    directory.users["u-alice"].recovery_codes = {"abcd-efgh"}
    login = Login(load_flow_text(flow(*SECOND_FACTOR)), directory)
    asked = login_alice(login)
    assert isinstance(asked, NeedsInput) and asked.challenge.step == "totp"
    assert [a.step for a in asked.challenge.alternatives] == ["recovery_code"]
    login.try_another_way("1.1")
    outcome = login.submit("1.1", code="abcd-efgh")
    assert isinstance(outcome, Completed)
    assert outcome.result.amr == ("pwd", "otp", "mfa")
    assert directory.users["u-alice"].recovery_codes == set()


def test_a_wrong_recovery_code_is_asked_again_and_audited(directory: FakeDirectory) -> None:
    directory.users["u-alice"].recovery_codes = {"abcd-efgh"}
    login = Login(load_flow_text(flow(*SECOND_FACTOR)), directory)
    asked = login_alice(login)
    assert isinstance(asked, NeedsInput) and asked.challenge.step == "recovery_code"
    retry = login.submit("1.1", code="nope")
    assert isinstance(retry, NeedsInput)
    assert retry.failure is not None and retry.failure.reason == "invalid_recovery_code"


def test_recovery_codes_do_not_apply_to_a_user_without_any(directory: FakeDirectory) -> None:
    login = Login(load_flow_text(flow(*SECOND_FACTOR)), directory)
    outcome = login_alice(login)
    assert isinstance(outcome, Denied) and outcome.reason == "no_alternative"


TRUSTED = (
    "{requirement: required, type: password}",
    "{requirement: conditional, when: [{not: device_trusted}], flow: ["
    "{requirement: required, type: totp}, {requirement: required, type: trust_device}]}",
)


def test_a_trusted_browser_skips_the_second_factor(directory: FakeDirectory) -> None:
    directory.users["u-alice"].has_totp = True
    directory.users["u-alice"].trusted_devices = {"browser-1"}
    login = Login(load_flow_text(flow(*TRUSTED)), directory, device="browser-1")
    outcome = login_alice(login)
    assert isinstance(outcome, Completed) and outcome.result.amr == ("pwd",)


def test_trust_device_is_offered_after_two_factors_and_remembers_a_yes(
    directory: FakeDirectory,
) -> None:
    directory.users["u-alice"].has_totp = True
    login = Login(load_flow_text(flow(*TRUSTED)), directory, device="browser-2")
    login_alice(login)
    offer = login.submit("1.0", code="123456")
    assert isinstance(offer, NeedsInput) and offer.challenge.step == "trust_device"
    assert offer.challenge.data == {"days": "30"}
    outcome = login.submit("1.1", trust="yes")
    assert isinstance(outcome, Completed)
    assert directory.users["u-alice"].trusted_devices == {"browser-2"}


def test_trust_device_after_one_factor_trusts_nothing(directory: FakeDirectory) -> None:
    text = flow(
        "{requirement: required, type: password}", "{requirement: required, type: trust_device}"
    )
    login = Login(load_flow_text(text), directory, device="browser-3")
    outcome = login_alice(login)
    assert isinstance(outcome, Completed)
    assert directory.count("trust_device") == 0


def test_deny_ends_the_login_with_its_message_even_inside_an_alternative(
    directory: FakeDirectory,
) -> None:
    text = flow(
        "{requirement: alternative, flow: [{requirement: required, type: password}, "
        "{requirement: required, type: deny, config: {message: Use the partner portal.}}]}",
        "{requirement: alternative, type: cookie}",
    )
    login = Login(load_flow_text(text), directory)
    login.advance()
    outcome = login.submit("0.0", username="alice", password=PASSWORD)
    assert isinstance(outcome, Denied)
    assert (outcome.reason, outcome.message) == ("denied", "Use the partner portal.")


def test_deny_needs_a_message() -> None:
    from flows import FlowConfigError

    with pytest.raises(FlowConfigError) as caught:
        load_flow_text(flow("{requirement: required, type: deny}"), "f.yaml")
    assert str(caught.value) == "f.yaml:4: steps[0].config.message: bad deny config: Field required"


def test_allow_passes_its_level_without_proving_anything(directory: FakeDirectory) -> None:
    text = flow(
        "{requirement: required, type: password}",
        "{requirement: required, flow: [{requirement: alternative, type: totp}, "
        "{requirement: alternative, type: allow}]}",
    )
    outcome = login_alice(Login(load_flow_text(text), directory))
    assert isinstance(outcome, Completed) and outcome.result.amr == ("pwd",)


def test_idp_redirect_sends_the_browser_to_the_provider_of_the_hinted_domain(
    directory: FakeDirectory,
) -> None:
    directory.domains["acme.example"] = "https://sso.acme.example/auth"
    text = flow(
        "{requirement: alternative, type: idp_redirect}",
        "{requirement: alternative, type: password}",
    )
    request = LoginRequest(login_hint="bob@acme.example")
    outcome = Login(load_flow_text(text), directory, request).advance()
    assert isinstance(outcome, RedirectTo) and outcome.url == "https://sso.acme.example/auth"


def test_idp_redirect_without_a_matching_provider_does_not_apply(
    directory: FakeDirectory,
) -> None:
    text = flow(
        "{requirement: alternative, type: idp_redirect, config: {provider: google}}",
        "{requirement: alternative, type: password}",
    )
    outcome = Login(load_flow_text(text), directory).advance()
    assert isinstance(outcome, NeedsInput) and outcome.challenge.step == "password"


def test_a_federated_flow_starts_with_the_brokered_user(directory: FakeDirectory) -> None:
    text = flow("{requirement: required, type: allow}", kind="federated")
    request = LoginRequest(idp="google")
    outcome = Login(load_flow_text(text), directory, request, federated_user="u-alice").advance()
    assert isinstance(outcome, Completed)
    assert (outcome.result.user_id, outcome.result.amr) == ("u-alice", ("fed",))


def test_a_federated_flow_cannot_start_without_an_upstream_login(
    directory: FakeDirectory,
) -> None:
    text = flow("{requirement: required, type: allow}", kind="federated")
    with pytest.raises(FlowRuntimeError, match="is a federated flow"):
        Login(load_flow_text(text), directory)


def facts_context(
    directory: FakeDirectory, request: LoginRequest, device: str | None
) -> ConditionContext:
    return ConditionContext("0", directory, request, "u-alice", 0, device)


def condition(text: str) -> object:
    parsed = load_flow_text(
        flow(f"{{requirement: conditional, when: [{text}], type: allow}}", kind="federated")
    )
    return parsed.steps[0].when[0]


@pytest.mark.parametrize(
    ("expr", "user", "request_", "device", "expected"),
    [
        (
            "user_is_service_account",
            FakeUser("u-alice", "alice", "x", is_service_account=True),
            LoginRequest(),
            None,
            True,
        ),
        ("user_is_service_account", FakeUser("u-alice", "alice", "x"), LoginRequest(), None, False),
        (
            "{user_role: {any_of: [admin, auditor]}}",
            FakeUser("u-alice", "alice", "x", roles=frozenset({"auditor"})),
            LoginRequest(),
            None,
            True,
        ),
        (
            "{user_role: {any_of: [admin]}}",
            FakeUser("u-alice", "alice", "x", roles=frozenset({"auditor"})),
            LoginRequest(),
            None,
            False,
        ),
        ("{client_is: {any_of: [crm]}}", None, LoginRequest(client_id="crm"), None, True),
        ("{client_is: {any_of: [crm]}}", None, LoginRequest(client_id="pbx"), None, False),
        ("acr_requested", None, LoginRequest(acr_values=("urn:bridge:loa:2",)), None, True),
        ("acr_requested", None, LoginRequest(), None, False),
        (
            "{acr_requested: {any_of: ['urn:bridge:loa:2']}}",
            None,
            LoginRequest(acr_values=("urn:bridge:loa:1",)),
            None,
            False,
        ),
        ("login_is_federated", None, LoginRequest(idp="google"), None, True),
        ("login_is_federated", None, LoginRequest(), None, False),
        ("{idp_is: {any_of: [google]}}", None, LoginRequest(idp="google"), None, True),
        ("{idp_is: {any_of: [google]}}", None, LoginRequest(idp="acme-sso"), None, False),
        (
            "device_trusted",
            FakeUser("u-alice", "alice", "x", trusted_devices={"b1"}),
            LoginRequest(),
            "b1",
            True,
        ),
        (
            "device_trusted",
            FakeUser("u-alice", "alice", "x", trusted_devices={"b1"}),
            LoginRequest(),
            "b2",
            False,
        ),
        (
            "device_trusted",
            FakeUser("u-alice", "alice", "x", trusted_devices={"b1"}),
            LoginRequest(),
            None,
            False,
        ),
    ],
)
def test_conditions(
    directory: FakeDirectory,
    expr: str,
    user: FakeUser | None,
    request_: LoginRequest,
    device: str | None,
    expected: bool,
) -> None:
    if user is not None:
        directory.add(user)
    parsed = condition(expr)
    assert evaluate(parsed, facts_context(directory, request_, device)) is expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        (
            "{user_role: {}}",
            "t.yaml:4: steps[0].when[0].any_of: bad user_role config: Field required",
        ),
        (
            "{client_is: {any_of: []}}",
            "t.yaml:4: steps[0].when[0].any_of: bad client_is config: "
            "Tuple should have at least 1 item after validation, not 0",
        ),
        (
            "{idp_is: {names: [x]}}",
            "t.yaml:4: steps[0].when[0].any_of: bad idp_is config: Field required\n"
            "t.yaml:4: steps[0].when[0]: unknown idp_is config key 'names' (known: any_of)",
        ),
    ],
)
def test_condition_config_errors(expr: str, expected: str) -> None:
    from flows import FlowConfigError

    text = flow(f"{{requirement: conditional, when: [{expr}], type: allow}}", kind="federated")
    with pytest.raises(FlowConfigError) as caught:
        load_flow_text(text, "t.yaml")
    assert str(caught.value) == expected


def test_explain_shows_condition_values_for_a_known_user(directory: FakeDirectory) -> None:
    from flows import builtin_flows_dir, load_flows
    from flows.explain import explain

    directory.users["u-alice"].mfa_required = True
    browser = load_flows(builtin_flows_dir()).get("browser")
    lines = explain(browser, LoginRequest(), directory, user_id="u-alice", now=0)
    assert any(
        "when any(all(any(mfa_required=true, user_has_totp=false), not device_trusted=false), "
        "acr_requested(min_factors=2)=false) → runs" in line
        for line in lines
    )


def test_explain_without_a_user_leaves_user_conditions_undecided(
    directory: FakeDirectory,
) -> None:
    from flows import builtin_flows_dir, load_flows
    from flows.explain import explain

    browser = load_flows(builtin_flows_dir()).get("browser")
    lines = explain(browser, LoginRequest(), directory, user_id=None, now=0)
    assert any("→ decided once a user is identified" in line for line in lines)
