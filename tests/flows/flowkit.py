"""Test helpers: a fake directory, and a driver that runs flows the way the login views will."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from flows import (
    DeviceTrust,
    Directory,
    EnrolmentOffer,
    ExistingSession,
    Flow,
    FlowState,
    LoginRequest,
    Outcome,
    PasswordCheck,
    RunContext,
    UserFacts,
    Verdict,
    advance,
    start,
    submit,
    try_another_way,
)
from flows.conditions import AnyCondition, Condition, ConditionContext
from flows.loader import load_flow_text
from flows.registry import Registry, default_conditions, default_steps
from flows.results import (
    Challenge,
    Done,
    Fail,
    Failure,
    NotApplicable,
    Possible,
    Resolution,
    Retry,
    StepResult,
)
from flows.steps.base import AnyStep, Step, StepConfig, StepContext

NOW = 1_700_000_000
GOOD_CODE = "123456"


@dataclass
class FakeUser:
    id: str
    username: str
    password: str
    has_totp: bool = False
    mfa_required: bool = False
    is_service_account: bool = False
    roles: frozenset[str] = frozenset()
    recovery_codes: set[str] = field(default_factory=set)
    trusted_devices: set[str] = field(default_factory=set)


@dataclass
class FakeDirectory:
    """Users in memory; the current TOTP code is always ``GOOD_CODE``. Records every call."""

    users: dict[str, FakeUser] = field(default_factory=dict)
    calls: list[tuple[str, ...]] = field(default_factory=list)
    pending: dict[str, str] = field(default_factory=dict)  # credential_id -> user_id
    trust_days: int | None = 30
    providers: dict[str, str] = field(default_factory=dict)  # provider -> login URL
    domains: dict[str, str] = field(default_factory=dict)  # e-mail domain -> login URL

    def add(self, user: FakeUser) -> FakeUser:
        self.users[user.id] = user
        return user

    def by_name(self, username: str) -> FakeUser | None:
        return next((u for u in self.users.values() if u.username == username), None)

    def check_password(self, username: str, password: str) -> PasswordCheck:
        self.calls.append(("check_password", username))
        user = self.by_name(username)
        if user is None:
            return PasswordCheck(None, "unknown_user")
        if user.password != password:
            return PasswordCheck(None, "wrong_password", known_user_id=user.id)
        return PasswordCheck(user.id)

    def user_facts(self, user_id: str) -> UserFacts | None:
        self.calls.append(("user_facts", user_id))
        user = self.users.get(user_id)
        if user is None:
            return None
        return UserFacts(
            user.id,
            user.username,
            user.has_totp,
            user.mfa_required,
            user.is_service_account,
            user.roles,
        )

    def verify_totp(self, user_id: str, code: str) -> Verdict:
        self.calls.append(("verify_totp", user_id, code))
        right = self.users[user_id].has_totp and code == GOOD_CODE
        return Verdict.OK if right else Verdict.WRONG

    def start_totp_enrolment(self, user_id: str) -> EnrolmentOffer:
        self.calls.append(("start_totp_enrolment", user_id))
        credential_id = f"cred-{len(self.pending) + 1}"
        self.pending[credential_id] = user_id
        return EnrolmentOffer(credential_id, "JBSWY3DPEHPK3PXP", f"otpauth://totp/{user_id}")

    def totp_enrolment_offer(self, user_id: str, credential_id: str) -> EnrolmentOffer | None:
        self.calls.append(("totp_enrolment_offer", user_id, credential_id))
        if self.pending.get(credential_id) != user_id:
            return None
        return EnrolmentOffer(credential_id, "JBSWY3DPEHPK3PXP", f"otpauth://totp/{user_id}")

    def confirm_totp_enrolment(self, user_id: str, credential_id: str, code: str) -> bool:
        self.calls.append(("confirm_totp_enrolment", user_id, credential_id, code))
        if self.pending.get(credential_id) != user_id or code != GOOD_CODE:
            return False
        del self.pending[credential_id]
        self.users[user_id].has_totp = True
        return True

    def has_recovery_codes(self, user_id: str) -> bool:
        return bool(self.users[user_id].recovery_codes)

    def verify_recovery_code(self, user_id: str, code: str) -> Verdict:
        self.calls.append(("verify_recovery_code", user_id, code))
        codes = self.users[user_id].recovery_codes
        if code in codes:
            codes.remove(code)
            return Verdict.OK
        return Verdict.WRONG

    def device_is_trusted(self, user_id: str, device: str | None) -> bool:
        return device is not None and device in self.users[user_id].trusted_devices

    def trusted_device_days(self, user_id: str) -> int | None:
        return self.trust_days

    def trust_device(self, user_id: str, device: str | None) -> DeviceTrust | None:
        self.calls.append(("trust_device", user_id, device or ""))
        if device is None:
            return None
        self.users[user_id].trusted_devices.add(device)
        return DeviceTrust(f"token-{device}", self.trust_days or 30)

    def upstream_login_url(self, provider: str | None, login_hint: str | None) -> str | None:
        if provider is not None:
            return self.providers.get(provider)
        domain = (login_hint or "").rpartition("@")[2]
        return self.domains.get(domain)

    def count(self, name: str) -> int:
        return sum(1 for call in self.calls if call[0] == name)


def _as_directory(fake: FakeDirectory) -> Directory:
    return fake  # checks, statically, that the fake has the port's shape


@dataclass
class Login:
    """Drives one login, serializing the state to JSON and back between every call."""

    flow: Flow
    directory: FakeDirectory
    request: LoginRequest = field(default_factory=LoginRequest)
    session: ExistingSession | None = None
    now: int = NOW
    state_json: str = ""
    device: str | None = None
    federated_user: str | None = None

    def __post_init__(self) -> None:
        state = start(self.flow, self.request, self.now, federated_user=self.federated_user)
        self.state_json = json.dumps(state.to_json())

    @property
    def state(self) -> FlowState:
        return FlowState.from_json(json.loads(self.state_json))

    def _call(self, action: Callable[[FlowState, RunContext], Outcome]) -> Outcome:
        state = self.state
        outcome = action(
            state, RunContext(_as_directory(self.directory), self.session, self.now, self.device)
        )
        self.state_json = json.dumps(state.to_json())
        return outcome

    def advance(self) -> Outcome:
        return self._call(lambda state, ctx: advance(self.flow, state, ctx))

    def submit(self, path: str, **answer: str) -> Outcome:
        return self._call(lambda state, ctx: submit(self.flow, state, ctx, path, answer))

    def try_another_way(self, path: str) -> Outcome:
        return self._call(lambda state, ctx: try_another_way(self.flow, state, ctx, path))


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


class ScriptConfig(StepConfig):
    result: Literal["done", "fail", "not_applicable", "ask"]
    user: str | None = None
    amr: tuple[str, ...] = ()


class ScriptedStep(Step[ScriptConfig]):
    """A step that does what its config says, for testing the executor's semantics."""

    type = "scripted"
    label = "Scripted"
    config_model = ScriptConfig
    identifies_user = True

    def challenge(self, ctx: StepContext) -> Challenge | Resolution:
        config = self.config
        if config.result == "done":
            return Done(user_id=config.user, amr=tuple(config.amr))
        if config.result == "fail":
            return Fail("scripted_failure", Failure("scripted_failure", None, config.user))
        if config.result == "not_applicable":
            return NotApplicable()
        return self.ask(ctx, {"asked": ctx.path})

    def offered(self, ctx: StepContext) -> bool:
        return self.config.result != "not_applicable"

    def possible(self) -> tuple[Possible, ...]:
        result = self.config.result
        if result in ("done", "ask"):
            return (Possible("done", tuple(self.config.amr)),)
        return (Possible(result),)

    def submit(self, ctx: StepContext, answer: Mapping[str, str]) -> StepResult:
        if answer.get("ok") == "yes":
            return Done(user_id=self.config.user, amr=tuple(self.config.amr))
        return Retry(("Say yes.",))


class FlagConfig(StepConfig):
    value: bool


class Flag(Condition[FlagConfig]):
    """A condition with a fixed value: ``{flag: {value: true}}``."""

    type = "flag"
    config_model = FlagConfig

    def holds(self, ctx: ConditionContext) -> bool:
        return self.config.value


def make_registries() -> tuple[Registry[type[AnyStep]], Registry[type[AnyCondition]]]:
    steps = default_steps()
    steps.register(ScriptedStep)
    conditions = default_conditions()
    conditions.register(Flag)
    return steps, conditions


def scripted_flow(steps_yaml: str) -> Flow:
    """A flow with the given ``steps:`` block (YAML, indented by two spaces)."""
    step_types, condition_types = make_registries()
    text = f"id: scripted\nsteps:\n{steps_yaml}"
    return load_flow_text(text, "scripted.yaml", steps=step_types, conditions=condition_types)
