"""Flow files: every mistake is reported with its file, line and key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows import (
    FlowConfigError,
    Requirement,
    StepExecution,
    SubFlow,
    UnknownFlow,
    builtin_flows_dir,
    load_flow_text,
    load_flows,
)
from flows.conditions import (
    AcrRequested,
    AcrValues,
    AllOf,
    AnyOf,
    DeviceTrusted,
    MfaRequired,
    Not,
    UserHasTotp,
)
from flows.steps import CookieConfig, CookieStep, IdpRedirectConfig, NoConfig
from tests.flows.flowkit import write

FILE = "config/flows/test.yaml"


def errors(text: str) -> list[str]:
    with pytest.raises(FlowConfigError) as caught:
        load_flow_text(text, FILE)
    return str(caught.value).splitlines()


def test_the_builtin_browser_flow_loads_into_the_documented_tree() -> None:
    flow = load_flows(builtin_flows_dir()).get("browser")
    cookie, upstream, sign_in = flow.steps
    assert isinstance(cookie, StepExecution)
    assert (cookie.path, cookie.requirement, cookie.step.type) == ("0", "alternative", "cookie")
    assert isinstance(upstream, StepExecution)
    assert (upstream.path, upstream.requirement, upstream.step.type) == (
        "1",
        "alternative",
        "idp_redirect",
    )
    assert upstream.step.config == IdpRedirectConfig()
    assert isinstance(sign_in, SubFlow)
    password, second_factor = sign_in.children
    assert isinstance(password, StepExecution)
    assert password.path == "2.0"
    assert isinstance(second_factor, SubFlow)
    assert second_factor.requirement is Requirement.CONDITIONAL
    step_up = AcrRequested(AcrValues(min_factors=2))
    needs_mfa = AnyOf((MfaRequired(NoConfig()), UserHasTotp(NoConfig())))
    untrusted = Not(DeviceTrusted(NoConfig()))
    assert second_factor.when == (AnyOf((AllOf((needs_mfa, untrusted)), step_up)),)
    enrol_group, codes, trust = second_factor.children
    assert enrol_group.path == "2.1.0"
    assert isinstance(enrol_group.when[0], Not)
    assert isinstance(enrol_group.when[0].condition, UserHasTotp)
    (enrol,) = enrol_group.children  # type: ignore[union-attr]
    assert isinstance(enrol, StepExecution)
    assert enrol.step.type == "totp_enrol"
    assert isinstance(codes, SubFlow)
    totp, recovery = codes.children
    assert isinstance(totp, StepExecution) and isinstance(recovery, StepExecution)
    assert (totp.path, totp.requirement, totp.step.type) == ("2.1.1.0", "alternative", "totp")
    assert (recovery.path, recovery.step.type) == ("2.1.1.1", "recovery_code")
    assert isinstance(trust, StepExecution)
    assert (trust.path, trust.requirement, trust.step.type) == ("2.1.2", "required", "trust_device")


def test_the_config_flows_folder_holds_the_builtin_browser_flow() -> None:
    link = Path(__file__).parents[2] / "config" / "flows" / "browser.yaml"
    assert link.resolve() == (builtin_flows_dir() / "browser.yaml").resolve()


def test_step_config_is_typed() -> None:
    flow = load_flow_text(
        "id: x\nsteps:\n  - {requirement: required, type: cookie, config: {max_age: 300}}\n"
    )
    assert flow.find("0") == StepExecution(
        "0", Requirement.REQUIRED, CookieStep(CookieConfig(max_age=300)), line=3
    )


def test_a_yaml_syntax_error_names_its_line() -> None:
    assert errors("id: x\nsteps:\n\t- {requirement: required, type: password}\n") == [
        f"{FILE}:3: invalid YAML: while scanning for the next token; "
        "found character '\\t' that cannot start any token"
    ]


def test_a_misspelt_step_type_lists_the_known_ones() -> None:
    text = """\
id: browser
steps:
  - requirement: alternative
    type: cookie
  - requirement: alternative
    flow:
      - requirement: required
        type: passwrd
"""
    assert errors(text) == [
        f"{FILE}:8: steps[1].flow[0]: unknown step type 'passwrd' "
        "(known: allow, cookie, deny, idp_redirect, password, recovery_code, totp, totp_enrol, "
        "trust_device)"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "1: empty file: a flow needs 'id' and 'steps'"),
        ("- a\n", "1: a flow file must be a mapping"),
        ("steps: [{requirement: required, type: password}]\n", "1: missing key 'id'"),
        ("id: x\n", "1: missing key 'steps'"),
        ("id: x\nsteps: []\n", "2: steps: empty flow: it needs at least one execution"),
        ("id: x\nsteps: {}\n", "2: steps: steps must be a list of executions"),
        (
            "id: Browser Flow\nsteps: [{requirement: required, type: password}]\n",
            "1: id: flow id 'Browser Flow' must match ^[a-z0-9][a-z0-9_-]*$",
        ),
        (
            "id: x\nversion: 2\nsteps: [{requirement: required, type: password}]\n",
            "2: unknown key 'version' (known: id, kind, description, steps)",
        ),
        (
            "id: x\n---\nid: y\n",
            "2: invalid YAML: expected a single document in the stream; but found another document",
        ),
    ],
)
def test_document_errors(text: str, expected: str) -> None:
    assert errors(text) == [f"{FILE}:{expected}"]


EXECUTION_CASES = {
    "unknown key": (
        "{requirement: required, type: password, optional: true}",
        "steps[0]: unknown key 'optional' (known: requirement, type, config, flow, when, "
        "label, description)",
    ),
    "missing requirement": (
        "{type: password}",
        "steps[0]: missing key 'requirement' (one of alternative, conditional, disabled, required)",
    ),
    "unknown requirement": (
        "{requirement: optional, type: password}",
        "steps[0]: unknown requirement 'optional' (known: alternative, conditional, "
        "disabled, required)",
    ),
    "neither type nor flow": (
        "{requirement: required}",
        "steps[0]: an execution needs 'type' (a step) or 'flow' (a sub-flow)",
    ),
    "both type and flow": (
        "{requirement: required, type: password, flow: [{requirement: required, type: totp}]}",
        "steps[0]: an execution has either 'type' (a step) or 'flow' (a sub-flow), not both",
    ),
    "a config value of the wrong type": (
        "{requirement: required, type: cookie, config: {max_age: soon}}",
        "steps[0].config.max_age: bad cookie config: Input should be a valid integer",
    ),
    "a config value out of range": (
        "{requirement: required, type: cookie, config: {max_age: -1}}",
        "steps[0].config.max_age: bad cookie config: Input should be greater than or equal to 0",
    ),
    "an unknown config key": (
        "{requirement: required, type: cookie, config: {maxage: 60}}",
        "steps[0].config: unknown cookie config key 'maxage' (known: max_age)",
    ),
    "config on a step that takes none": (
        "{requirement: required, type: password, config: {rounds: 3}}",
        "steps[0].config: unknown password config key 'rounds' (known: none)",
    ),
    "config that is not a mapping": (
        "{requirement: required, type: cookie, config: [60]}",
        "steps[0].config: cookie config must be a mapping",
    ),
    "config on a sub-flow": (
        "{requirement: required, config: {}, flow: [{requirement: required, type: password}]}",
        "steps[0]: 'config' belongs to a step, not a sub-flow",
    ),
    "when on a required execution": (
        "{requirement: required, when: [mfa_required], type: password}",
        "steps[0]: 'when' is only allowed on a conditional execution (this one is required)",
    ),
    "a conditional without when": (
        "{requirement: conditional, type: password}",
        "steps[0]: a conditional execution needs 'when: [condition, ...]'",
    ),
    "an empty when": (
        "{requirement: conditional, when: [], type: password}",
        "steps[0].when: must be a non-empty list of conditions",
    ),
    "an unknown condition": (
        "{requirement: conditional, when: [{not: mfa_requird}], type: password}",
        "steps[0].when[0].not: unknown condition type 'mfa_requird' "
        "(known: acr_requested, client_is, device_trusted, idp_is, login_is_federated, "
        "mfa_required, user_has_totp, user_is_service_account, user_role, not, all, any)",
    ),
    "a composite without an argument": (
        "{requirement: conditional, when: [any], type: password}",
        "steps[0].when[0]: 'any' needs an argument: {any: ...}",
    ),
    "an empty composite": (
        "{requirement: conditional, when: [{all: []}], type: password}",
        "steps[0].when[0].all: must be a non-empty list of conditions",
    ),
    "a condition that is neither name nor mapping": (
        "{requirement: conditional, when: [[mfa_required]], type: password}",
        "steps[0].when[0]: a condition is a name (mfa_required) or a mapping with one key: "
        "{not: c}, {all: [c, ...]}, {any: [c, ...]} or {name: {config}}",
    ),
    "config on a condition that takes none": (
        "{requirement: conditional, when: [{mfa_required: {strict: true}}], type: password}",
        "steps[0].when[0]: unknown mfa_required config key 'strict' (known: none)",
    ),
    "an empty sub-flow": (
        "{requirement: required, flow: []}",
        "steps[0].flow: empty sub-flow: it needs at least one execution",
    ),
    "a duplicate key": (
        "{requirement: required, type: password, type: totp}",
        "steps[0].type: duplicate key 'type'",
    ),
    "a label that is not text": (
        "{requirement: required, type: password, label: 7}",
        "steps[0].label: label must be a non-empty string",
    ),
}


@pytest.mark.parametrize(("execution", "expected"), EXECUTION_CASES.values(), ids=EXECUTION_CASES)
def test_execution_errors(execution: str, expected: str) -> None:
    assert errors(f"id: x\nsteps:\n  - {execution}\n") == [f"{FILE}:3: {expected}"]


def test_an_alternative_beside_a_required_execution_is_ambiguous() -> None:
    text = """\
id: x
steps:
  - {requirement: required, type: password}
  - {requirement: alternative, type: cookie}
"""
    (message,) = errors(text)
    assert message.startswith(
        f"{FILE}:4: steps[1]: 'alternative' beside 'required' at the same level (execution 0): "
        "this is ambiguous; in Keycloak a level with a required or conditional execution "
        "ignores its alternatives."
    )


def test_an_alternative_beside_a_conditional_execution_is_ambiguous() -> None:
    text = """\
id: x
steps:
  - {requirement: required, type: password}
  - requirement: alternative
    flow:
      - {requirement: conditional, when: [mfa_required], type: totp}
      - {requirement: alternative, type: totp_enrol}
"""
    (message,) = errors(text)
    assert message.startswith(
        f"{FILE}:7: steps[1].flow[1]: 'alternative' beside 'conditional' at the same level "
        "(execution 1.0)"
    )


def test_a_step_that_needs_a_user_before_one_can_be_identified_is_rejected() -> None:
    text = """\
id: x
steps:
  - {requirement: alternative, type: cookie}
  - {requirement: alternative, type: totp}
"""
    assert errors(text) == [
        f"{FILE}:4: steps[1]: step 'totp' needs an identified user, but no step before it "
        "can identify one (put it after a step such as 'password')"
    ]


def test_a_condition_about_the_user_before_one_can_be_identified_is_rejected() -> None:
    text = """\
id: x
steps:
  - requirement: conditional
    when: [{any: [{not: mfa_required}]}]
    flow: [{requirement: required, type: password}]
"""
    assert errors(text) == [
        f"{FILE}:3: steps[0].when[0]: this condition asks about the user, but no step before "
        "it can identify one"
    ]


def test_disabled_executions_are_not_checked_for_a_user() -> None:
    text = """\
id: x
steps:
  - {requirement: disabled, type: totp}
  - {requirement: required, type: password}
"""
    assert load_flow_text(text).find("0").requirement is Requirement.DISABLED


def test_every_error_in_a_file_is_reported_in_line_order() -> None:
    text = """\
id: x
steps:
  - requirement: required
    type: passwrd
  - requirement: sometimes
    type: password
  - requirement: required
    flow:
      - requirement: required
        type: cookie
        config: {max_age: later}
"""
    assert errors(text) == [
        f"{FILE}:4: steps[0]: unknown step type 'passwrd' (known: allow, cookie, deny, "
        "idp_redirect, password, recovery_code, totp, totp_enrol, trust_device)",
        f"{FILE}:5: steps[1]: unknown requirement 'sometimes' (known: alternative, "
        "conditional, disabled, required)",
        f"{FILE}:11: steps[2].flow[0].config.max_age: bad cookie config: "
        "Input should be a valid integer",
    ]


def test_load_flows_reads_the_yaml_files_of_a_folder_only(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "id: a\nsteps: [{requirement: required, type: password}]\n")
    write(tmp_path, "b.yaml", "id: b\nsteps: [{requirement: required, type: password}]\n")
    write(tmp_path, "notes.txt", "not a flow")
    (tmp_path / "drafts").mkdir()
    write(tmp_path / "drafts", "c.yaml", "id: c\nsteps: nonsense\n")
    flows = load_flows(tmp_path, prove=False)
    assert flows.ids() == ("a", "b")
    assert flows.get("a").source == str(tmp_path / "a.yaml")


def test_an_unknown_flow_id_names_the_known_ones(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "id: a\nsteps: [{requirement: required, type: password}]\n")
    with pytest.raises(UnknownFlow) as caught:
        load_flows(tmp_path, prove=False).get("browser")
    assert str(caught.value) == "unknown flow 'browser' (known: a)"
    assert isinstance(caught.value, KeyError)


def test_a_flow_id_defined_twice_is_rejected(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "id: same\nsteps: [{requirement: required, type: password}]\n")
    write(
        tmp_path, "b.yaml", "# copy\nid: same\nsteps: [{requirement: required, type: password}]\n"
    )
    with pytest.raises(FlowConfigError) as caught:
        load_flows(tmp_path, prove=False)
    assert str(caught.value) == (
        f"{tmp_path / 'b.yaml'}:2: id: duplicate flow id 'same' "
        f"(also defined at {tmp_path / 'a.yaml'}:1)"
    )


def test_errors_of_every_file_are_reported_together(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "id: a\nsteps: []\n")
    write(tmp_path, "b.yaml", "id: b\n")
    with pytest.raises(FlowConfigError) as caught:
        load_flows(tmp_path, prove=False)
    assert [(issue.file, issue.line) for issue in caught.value.issues] == [
        (str(tmp_path / "a.yaml"), 2),
        (str(tmp_path / "b.yaml"), 1),
    ]


def test_a_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FlowConfigError, match="no such directory"):
        load_flows(tmp_path / "nowhere")


def test_an_unknown_flow_kind_is_named() -> None:
    with pytest.raises(FlowConfigError) as caught:
        load_flow_text(
            "id: x\nkind: sso\nsteps: [{requirement: required, type: allow}]\n", "f.yaml"
        )
    assert (
        str(caught.value) == "f.yaml:2: kind: unknown flow kind 'sso' (known: browser, federated)"
    )
