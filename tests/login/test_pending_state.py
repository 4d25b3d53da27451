"""A login in progress is typed, versioned JSON: old records load, bad ones are refused clearly,
and recovery codes never sit in the ephemeral store in plaintext."""

from __future__ import annotations

import hashlib
import json
import logging

import pytest

from bridge.domain.clock import FrozenClock
from bridge.federation.client import UpstreamIdentity
from bridge.login.continuation import (
    AnswerAuthorization,
    Continuation,
    PendingLink,
    ReturnTo,
)
from bridge.login.pending import (
    OLDER_VERSION,
    PENDING_TTL,
    RENEW_WITHIN,
    PendingLoginError,
    PendingLogins,
)
from bridge.login.sessions import UpstreamSession
from bridge.login.vault import RecoveryCodeVault
from bridge.storage.crypto import Keyring
from bridge.storage.ephemeral.memory import MemoryStore
from flows import FlowState, LoginRequest

BROWSER = "browser-1"
IDENTITY = UpstreamIdentity(
    provider="corp",
    subject="sub-1",
    email="jane@corp.example",
    email_verified=True,
    name="Jane",
    amr=("pwd", "mfa"),
    acr=None,
    auth_time=1_700_000_000,
    raw_claims={"sub": "sub-1", "groups": ["a"]},
    id_token="header.payload.signature",
)


def _state() -> FlowState:
    return FlowState("browser", "digest", LoginRequest(client_id="app"), created_at=1_700_000_000)


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore(FrozenClock(1_700_000_000.0))


@pytest.fixture
def logins(store: MemoryStore) -> PendingLogins:
    return PendingLogins(store)


@pytest.mark.parametrize(
    "continuation",
    [
        Continuation(AnswerAuthorization({"client_id": "app", "state": "xyz"})),
        Continuation(ReturnTo("/admin/orgs/acme")),
        Continuation(
            ReturnTo(),
            upstream=UpstreamSession("corp", "id.token.here"),
            link=PendingLink("corp", "u-1", IDENTITY),
            sealed_recovery_codes="v1.k1.sealed",
        ),
        Continuation(ReturnTo(), password_change_due=True),
    ],
)
def test_a_continuation_survives_the_store_unchanged(
    logins: PendingLogins, continuation: Continuation
) -> None:
    flow_id = logins.create(_state(), BROWSER, continuation)
    assert logins.load(flow_id, BROWSER).continuation == continuation


def test_a_version_1_login_still_loads(logins: PendingLogins, store: MemoryStore) -> None:
    """A login started before the continuation was typed (an untyped dict) goes on."""
    store.put(
        "flow:old",
        {
            "v": 1,
            "flow": _state().to_json(),
            "continuation": {
                "kind": "authorize",
                "params": {"client_id": "app", "redirect_uri": "https://app.example/cb"},
                "upstream": {"provider": "corp", "id_token": "id.token"},
                "recovery_codes": ["aaaa-bbbb"],
            },
            "browser": hashlib.sha256(BROWSER.encode()).hexdigest(),
            "errors": {"0": ["Enter your username and password."]},
        },
        60,
    )
    pending = logins.load("old", BROWSER)
    assert pending.continuation.then == AnswerAuthorization(
        {"client_id": "app", "redirect_uri": "https://app.example/cb"}
    )
    assert pending.continuation.upstream == UpstreamSession("corp", "id.token")
    assert pending.continuation.sealed_recovery_codes is None  # plaintext codes are not kept
    assert pending.errors == {"0": ["Enter your username and password."]}


def test_the_admins_of_a_locked_account_survive_the_store(logins: PendingLogins) -> None:
    flow_id = logins.create(_state(), BROWSER, Continuation(ReturnTo()))
    pending = logins.load(flow_id, BROWSER)
    assert pending.locked_contacts is None
    pending.locked_contacts = ["olga <olga@example.com>"]
    logins.save(flow_id, pending)
    assert logins.load(flow_id, BROWSER).locked_contacts == ["olga <olga@example.com>"]


@pytest.mark.parametrize(
    "damage",
    [
        {"v": 99},
        {"continuation": {"then": {"kind": "teleport"}}},
        {"continuation": {"then": {"kind": "redirect", "next": 7}}},
        {"continuation": {"then": {"kind": "authorize", "params": {"a": 1}}}},
        {"continuation": {"then": {"kind": "redirect", "next": "/"}, "upstream": {"x": 1}}},
        {"errors": {"0": "not a list"}},
        {"locked_contacts": "olga"},
        {"locked_contacts": [7]},
        {"flow": {"version": 1}},
        {"browser": None},
    ],
)
def test_a_login_that_cannot_be_read_is_refused_and_logged(
    logins: PendingLogins,
    store: MemoryStore,
    damage: dict[str, object],
    caplog: pytest.LogCaptureFixture,
) -> None:
    flow_id = logins.create(_state(), BROWSER, Continuation(ReturnTo()))
    raw = store.get(f"flow:{flow_id}")
    assert raw is not None
    store.put(f"flow:{flow_id}", {**raw, **damage}, 60)
    with caplog.at_level(logging.WARNING), pytest.raises(PendingLoginError) as refused:
        logins.load(flow_id, BROWSER)
    assert str(refused.value) == OLDER_VERSION
    assert "cannot be read" in caplog.text


def test_recovery_codes_are_sealed_in_the_store() -> None:
    keyring = Keyring([("k1", bytes(range(32)))])
    vault = RecoveryCodeVault(keyring)
    codes = ["abcd-efgh-ijkl", "mnop-qrst-uvwx"]
    sealed = vault.seal(codes, "digest-of-browser")
    stored = json.dumps(Continuation(ReturnTo(), sealed_recovery_codes=sealed).to_json())
    assert not any(code in stored for code in codes)
    assert vault.open(sealed, "digest-of-browser") == codes
    # Bound to the browser's login: another login's record cannot open them.
    assert vault.open(sealed, "another-browser") is None


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(1_700_000_000.0)


@pytest.fixture
def timed(clock: FrozenClock) -> tuple[MemoryStore, PendingLogins]:
    store = MemoryStore(clock)
    return store, PendingLogins(store, clock)


def _show_after(
    timed: tuple[MemoryStore, PendingLogins], clock: FrozenClock, seconds: float
) -> tuple[str, int | None]:
    """A login written, then one of its pages shown ``seconds`` later, unchanged: its id and
    the time its stored record was written."""
    store, logins = timed
    flow_id = logins.create(_state(), BROWSER, Continuation(ReturnTo()))
    clock.advance(seconds)
    logins.shown(flow_id, logins.load(flow_id, BROWSER))
    raw = store.get(f"flow:{flow_id}")
    assert raw is not None
    return flow_id, raw["written_at"]


def test_a_page_shown_right_after_a_write_keeps_the_login_as_long_as_a_write_would(
    timed: tuple[MemoryStore, PendingLogins], clock: FrozenClock
) -> None:
    flow_id, written_at = _show_after(timed, clock, RENEW_WITHIN - 1)
    assert written_at == int(clock()) - (RENEW_WITHIN - 1)  # not written again
    left = timed[0].ttl(f"flow:{flow_id}")
    assert left is not None and left >= PENDING_TTL


def test_a_page_shown_later_renews_the_login(
    timed: tuple[MemoryStore, PendingLogins], clock: FrozenClock
) -> None:
    flow_id, written_at = _show_after(timed, clock, RENEW_WITHIN)
    assert written_at == int(clock())
    assert timed[0].ttl(f"flow:{flow_id}") == PENDING_TTL + RENEW_WITHIN


def test_a_login_stays_as_long_after_its_last_page_as_before(
    timed: tuple[MemoryStore, PendingLogins], clock: FrozenClock
) -> None:
    """Whenever a page is shown, the login lives at least ``PENDING_TTL`` from then."""
    store, logins = timed
    flow_id = logins.create(_state(), BROWSER, Continuation(ReturnTo()))
    for pause in (5, 30, 59, 61, 1, 600, 59):
        clock.advance(pause)
        logins.shown(flow_id, logins.load(flow_id, BROWSER))
        left = store.ttl(f"flow:{flow_id}")
        assert left is not None and left >= PENDING_TTL, pause
    clock.advance(PENDING_TTL - 1)
    assert logins.load(flow_id, BROWSER).flow.request.client_id == "app"


def test_a_page_that_changes_the_login_writes_it(
    timed: tuple[MemoryStore, PendingLogins], clock: FrozenClock
) -> None:
    _, logins = timed
    flow_id = logins.create(_state(), BROWSER, Continuation(ReturnTo()))
    pending = logins.load(flow_id, BROWSER)
    pending.errors["0"] = ["Enter your password."]
    logins.save(flow_id, pending)
    clock.advance(1)
    shown = logins.load(flow_id, BROWSER)
    assert shown.errors.pop("0") == ["Enter your password."]  # shown once
    logins.shown(flow_id, shown)
    assert logins.load(flow_id, BROWSER).errors == {}
