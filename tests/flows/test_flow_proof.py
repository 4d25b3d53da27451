"""The safety proof and the reachability check: every path, every condition outcome."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from flows import (
    Completed,
    Denied,
    FlowConfigError,
    builtin_flows_dir,
    load_flow_text,
    load_flows,
)
from flows.checks import safety_issues
from flows.proof import explore
from flows.results import NOT_FACTORS
from tests.flows.flowkit import FakeDirectory, Login, make_registries

REPO = Path(__file__).resolve().parents[2]
SUBJECT = "a user whom policy requires to use 2FA (not federated, not a service account)"


def problems(text: str) -> list[str]:
    try:
        load_flow_text(text, "f.yaml", prove=True)
    except FlowConfigError as error:
        return [str(issue) for issue in error.issues]
    return []


def test_the_shipped_flows_are_proven_safe() -> None:
    flows = load_flows(builtin_flows_dir())
    assert {flow.id for flow in flows} >= {"browser", "federated"}
    assert all(safety_issues(flow) == [] for flow in flows)


@pytest.mark.parametrize(
    "example", sorted((REPO / "config/flows/examples").glob("unsafe-*.yaml")), ids=lambda p: p.name
)
def test_every_shipped_unsafe_example_fails_with_a_trace(example: Path) -> None:
    found = problems(example.read_text())
    assert found, f"{example.name} should be unsafe"
    assert all("unsafe: " + SUBJECT in message for message in found)
    assert all(message.endswith("→ login completes") for message in found)


def test_a_disabled_second_factor_is_shown_in_the_trace() -> None:
    text = (REPO / "config/flows/examples/unsafe-disabled-code.yaml").read_text()
    assert problems(text) == [
        f"f.yaml:5: steps[0]: unsafe: {SUBJECT} can finish with fewer than two factors "
        "(factors: pwd): password → (mfa_required=true, device_trusted=false) → "
        "recovery_code disabled → totp disabled → login completes"
    ]


def flow(*steps: str) -> str:
    return "id: t\nsteps:\n" + "".join(f"  - {step}\n" for step in steps)


PASSWORD = "{requirement: required, type: password}"
TOTP = "{requirement: required, type: totp}"


def second_factor_when(condition: str) -> str:
    return flow(PASSWORD, f"{{requirement: conditional, when: [{condition}], flow: [{TOTP}]}}")


@pytest.mark.parametrize(
    ("condition", "safe"),
    [
        ("mfa_required", True),
        ("{not: device_trusted}", True),  # a trusted browser is the org's allowed factor
        ("{not: user_is_service_account}", True),  # service accounts are not the subject
        ("{not: login_is_federated}", True),  # federated logins are not the subject
        ("{not: {idp_is: {any_of: [google]}}}", True),  # nor is a login through google
        ("user_has_totp", False),  # users without an authenticator skip it
        ("{not: {client_is: {any_of: [crm]}}}", False),  # the crm client skips it
        ("acr_requested", False),  # only step-up asks for it
        ("{not: {user_role: {any_of: [admin]}}}", False),  # admins skip it
    ],
)
def test_which_conditions_may_skip_the_second_factor(condition: str, safe: bool) -> None:
    found = problems(second_factor_when(condition))
    assert (found == []) is safe, found


def test_a_path_that_skips_the_second_factor_is_traced_with_its_condition_values() -> None:
    assert problems(second_factor_when("{not: {client_is: {any_of: [crm]}}}")) == [
        f"f.yaml:3: steps[0]: unsafe: {SUBJECT} can finish with fewer than two factors "
        "(factors: pwd): password → (client_is(crm)=true) → skip sub-flow 1 → login completes"
    ]


def test_a_flow_without_any_second_factor_is_unsafe() -> None:
    assert problems(flow(PASSWORD)) == [
        f"f.yaml:3: steps[0]: unsafe: {SUBJECT} can finish with fewer than two factors "
        "(factors: pwd): password → login completes"
    ]


def test_reusing_a_session_counts_as_complete() -> None:
    text = flow(
        "{requirement: alternative, type: cookie}",
        f"{{requirement: alternative, flow: [{PASSWORD}, {TOTP}]}}",
    )
    assert problems(text) == []


def test_a_trusted_device_only_counts_when_the_path_asked_about_it() -> None:
    asked = second_factor_when("{not: device_trusted}")
    skipped_by_role = flow(
        PASSWORD,
        "{requirement: conditional, when: [{any: [{user_role: {any_of: [x]}}, device_trusted]}],"
        " type: allow}",
        f"{{requirement: conditional, when: [{{not: {{user_role: {{any_of: [x]}}}}}}, "
        f"{{not: device_trusted}}], flow: [{TOTP}]}}",
    )
    assert problems(asked) == []
    assert any("user_role(x)=true" in message for message in problems(skipped_by_role))


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        (
            (
                "{requirement: alternative, type: allow}",
                "{requirement: alternative, type: password}",
            ),
            "f.yaml:4: steps[1]: unreachable: every login ends before it (an earlier execution "
            "always succeeds, always stops the login, or leaves for an upstream login)",
        ),
        (
            (PASSWORD, "{requirement: required, type: deny, config: {message: No.}}", TOTP),
            "f.yaml:5: steps[2]: unreachable: every login ends before it (an earlier execution "
            "always succeeds, always stops the login, or leaves for an upstream login)",
        ),
        (
            (
                PASSWORD,
                "{requirement: conditional, when: [mfa_required, {not: mfa_required}], "
                f"flow: [{TOTP}]}}",
            ),
            "f.yaml:4: steps[1]: unreachable: its conditions can never all hold",
        ),
    ],
)
def test_unreachable_executions_are_errors(steps: tuple[str, ...], expected: str) -> None:
    with pytest.raises(FlowConfigError) as caught:
        load_flow_text(flow(*steps), "f.yaml")
    assert str(caught.value) == expected


def test_a_user_choice_makes_a_later_alternative_reachable() -> None:
    text = flow(
        f"{{requirement: alternative, flow: [{PASSWORD}, {TOTP}]}}",
        "{requirement: alternative, flow: [{requirement: required, type: password}, "
        "{requirement: required, type: recovery_code}]}",
    )
    assert problems(text) == []


# -- random trees: either invalid, or the executor does what the proof predicted --------------

LEAF = st.builds(
    lambda result, amr, req: {
        "requirement": req,
        "type": "scripted",
        "config": {"result": result, "user": "u1", "amr": amr},
    },
    st.sampled_from(["done", "fail", "not_applicable"]),
    st.sampled_from([[], ["pwd"], ["otp"], ["pwd", "otp"]]),
    st.sampled_from(["required", "alternative", "disabled"]),
)
CONDITION = st.builds(lambda value: {"flag": {"value": value}}, st.booleans())


def _subflow(children: st.SearchStrategy[list[dict[str, Any]]]) -> st.SearchStrategy[Any]:
    return st.builds(
        lambda kids, req, when: (
            {"requirement": req, "flow": kids} | ({"when": when} if req == "conditional" else {})
        ),
        children,
        st.sampled_from(["required", "alternative", "conditional", "disabled"]),
        st.lists(st.one_of(CONDITION, st.builds(lambda c: {"not": c}, CONDITION)), min_size=1),
    )


TREES = st.lists(
    st.recursive(
        LEAF, lambda inner: _subflow(st.lists(inner, min_size=1, max_size=3)), max_leaves=6
    ),
    min_size=1,
    max_size=3,
)


@settings(max_examples=300, deadline=None)
@given(steps=TREES)
def test_random_flows_fail_validation_or_run_as_the_proof_predicted(
    steps: list[dict[str, Any]],
) -> None:
    step_types, condition_types = make_registries()
    text = yaml.safe_dump({"id": "random", "steps": steps})
    try:
        parsed = load_flow_text(text, steps=step_types, conditions=condition_types)
    except FlowConfigError:
        return
    ends = explore(parsed, assume=False)
    outcome = Login(parsed, FakeDirectory()).advance()
    if isinstance(outcome, Completed):
        factors = frozenset(outcome.result.amr) - NOT_FACTORS
        predicted = {end.path.factors - NOT_FACTORS for end in ends if end.kind == "completed"}
        assert factors in predicted
        if not safety_issues(parsed):
            assert len(factors) >= 2
    else:
        assert isinstance(outcome, Denied)
        assert any(end.kind == "denied" for end in ends)


def test_the_documented_example_loads_and_is_proven_safe() -> None:
    text = (REPO / "docs" / "flows.md").read_text(encoding="utf-8")
    example = text.split("An example of each kind")[1].split("```yaml\n")[1].split("```")[0]
    assert problems(example) == []


def test_enrolment_then_a_code_for_users_who_have_one_is_safe() -> None:
    text = flow(
        PASSWORD,
        "{requirement: conditional, when: [mfa_required, {not: user_has_totp}], type: totp_enrol}",
        "{requirement: conditional, when: [mfa_required, user_has_totp], type: totp}",
    )
    assert problems(text) == []


def test_an_authenticator_added_mid_login_cannot_skip_both_checks() -> None:
    # The user may enrol in another tab between the two decisions: has_totp turns true.
    text = flow(
        PASSWORD,
        "{requirement: conditional, when: [mfa_required, user_has_totp], type: totp}",
        "{requirement: conditional, when: [mfa_required, {not: user_has_totp}], type: totp_enrol}",
    )
    assert problems(text) == [
        f"f.yaml:3: steps[0]: unsafe: {SUBJECT} can finish with fewer than two factors "
        "(factors: pwd): password → (mfa_required=true, user_has_totp=false) → skip totp → "
        "(mfa_required=true, user_has_totp=true) → skip totp_enrol → login completes"
    ]
