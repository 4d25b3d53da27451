"""Steps and conditions on their own, and the registries that name them."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import EntryPoint

import pytest

from flows import (
    Completed,
    ConditionContext,
    Denied,
    FlowRuntimeError,
    LoginRequest,
    NeedsInput,
    load_flow_text,
)
from flows import registry as registry_module
from flows.conditions import AllOf, AnyOf, MfaRequired, Not, UserHasTotp, evaluate
from flows.registry import RegistryError, default_conditions, default_steps
from flows.steps import NoConfig, PasswordStep
from tests.flows.flowkit import GOOD_CODE, NOW, FakeDirectory, FakeUser, Flag, Login, ScriptedStep

SECOND_FACTOR_ONLY = """\
id: enrol-always
steps:
  - {requirement: required, type: password}
  - {requirement: required, type: %s}
"""


def test_enrolment_of_a_user_who_has_totp_asks_for_a_code_from_the_existing_app(
    directory: FakeDirectory,
) -> None:
    directory.users["u-alice"].has_totp = True
    login = Login(load_flow_text(SECOND_FACTOR_ONLY % "totp_enrol"), directory)
    login.advance()
    asked = login.submit("0", username="alice", password="correct horse")
    assert isinstance(asked, NeedsInput)
    assert asked.challenge.data == {"mode": "verify"}
    assert directory.count("start_totp_enrolment") == 0
    outcome = login.submit("1", code=GOOD_CODE)
    assert isinstance(outcome, Completed)
    assert outcome.result.amr == ("pwd", "otp", "mfa")


def test_a_required_totp_for_a_user_without_one_denies_rather_than_asking(
    directory: FakeDirectory,
) -> None:
    login = Login(load_flow_text(SECOND_FACTOR_ONLY % "totp"), directory)
    login.advance()
    outcome = login.submit("0", username="alice", password="correct horse")
    assert isinstance(outcome, Denied)
    assert outcome.reason == "not_applicable"
    assert directory.count("verify_totp") == 0


def test_an_empty_code_is_asked_again_without_counting_as_wrong(
    directory: FakeDirectory,
) -> None:
    directory.users["u-alice"].has_totp = True
    login = Login(load_flow_text(SECOND_FACTOR_ONLY % "totp"), directory)
    login.advance()
    login.submit("0", username="alice", password="correct horse")
    retry = login.submit("1", code="  ")
    assert isinstance(retry, NeedsInput)
    assert retry.failure is None
    assert directory.count("verify_totp") == 0


def test_a_non_interactive_enrolment_starts_nothing(directory: FakeDirectory) -> None:
    directory.users["u-alice"].mfa_required = True
    flow = load_flow_text(SECOND_FACTOR_ONLY % "totp_enrol")
    login = Login(flow, directory, LoginRequest(interactive=False))
    assert isinstance(login.advance(), Denied)
    assert directory.count("start_totp_enrolment") == 0


def condition_context(directory: FakeDirectory, user_id: str | None) -> ConditionContext:
    return ConditionContext("1", directory, LoginRequest(), user_id, NOW)


@pytest.mark.parametrize(
    ("has_totp", "mfa_required", "expected"),
    [(False, False, False), (True, False, True), (False, True, True), (True, True, True)],
)
def test_conditions_compose(has_totp: bool, mfa_required: bool, expected: bool) -> None:
    directory = FakeDirectory()
    directory.add(FakeUser("u1", "u", "p", has_totp=has_totp, mfa_required=mfa_required))
    ctx = condition_context(directory, "u1")
    mfa, totp = MfaRequired(NoConfig()), UserHasTotp(NoConfig())
    assert evaluate(AnyOf((mfa, totp)), ctx) is expected
    assert evaluate(Not(AllOf((Not(mfa), Not(totp)))), ctx) is expected


def test_conditions_read_the_users_facts_fresh_each_time() -> None:
    directory = FakeDirectory()
    user = directory.add(FakeUser("u1", "u", "p"))
    ctx = condition_context(directory, "u1")
    totp = UserHasTotp(NoConfig())
    assert not evaluate(totp, ctx)
    user.has_totp = True
    assert evaluate(totp, ctx)


def test_a_condition_about_the_user_before_one_is_identified_is_a_runtime_error() -> None:
    with pytest.raises(FlowRuntimeError, match="needs an identified user"):
        evaluate(MfaRequired(NoConfig()), condition_context(FakeDirectory(), None))


def test_a_user_who_vanished_is_a_runtime_error() -> None:
    with pytest.raises(FlowRuntimeError, match="vanished"):
        evaluate(MfaRequired(NoConfig()), condition_context(FakeDirectory(), "u-gone"))


def test_a_step_type_name_cannot_be_taken_twice() -> None:
    class Impostor(PasswordStep):
        pass

    steps = default_steps()
    with pytest.raises(RegistryError, match="already registered by PasswordStep"):
        steps.register(Impostor)


def test_composite_names_are_reserved_for_conditions() -> None:
    class Sneaky(Flag):
        type = "not"

    with pytest.raises(RegistryError, match="reserved"):
        default_conditions().register(Sneaky)


@dataclass
class FakeEntryPoints:
    by_group: dict[str, list[EntryPoint]]
    calls: int = 0

    def __call__(self, *, group: str) -> list[EntryPoint]:
        self.calls += 1
        return self.by_group.get(group, [])


def test_plugins_are_registered_from_entry_points_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeEntryPoints(
        {
            registry_module.STEP_GROUP: [
                EntryPoint(
                    "scripted", "tests.flows.flowkit:ScriptedStep", registry_module.STEP_GROUP
                )
            ],
            registry_module.CONDITION_GROUP: [
                EntryPoint("flag", "tests.flows.flowkit:Flag", registry_module.CONDITION_GROUP)
            ],
        }
    )
    monkeypatch.setattr(registry_module, "entry_points", fake)
    steps, conditions = default_steps(), default_conditions()
    assert "scripted" not in steps
    steps.load_entry_points()
    conditions.load_entry_points()
    steps.load_entry_points()
    assert steps.get("scripted") is ScriptedStep
    assert conditions.get("flag") is Flag
    assert fake.calls == 2


def test_an_entry_point_whose_name_differs_from_the_type_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    group = registry_module.STEP_GROUP
    fake = FakeEntryPoints(
        {group: [EntryPoint("other", "tests.flows.flowkit:ScriptedStep", group)]}
    )
    monkeypatch.setattr(registry_module, "entry_points", fake)
    with pytest.raises(RegistryError, match="whose type is 'scripted'"):
        default_steps().load_entry_points()


def test_a_broken_plugin_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    group = registry_module.STEP_GROUP
    fake = FakeEntryPoints({group: [EntryPoint("x", "no_such_module_here:X", group)]})
    monkeypatch.setattr(registry_module, "entry_points", fake)
    with pytest.raises(RegistryError, match="cannot load step type 'x'"):
        default_steps().load_entry_points()
