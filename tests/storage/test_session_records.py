"""Browser sessions are versioned records: today's sessions survive a deploy, and a record the
bridge cannot read signs the browser out (with a log line) instead of failing the request."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from bridge.domain.clock import FrozenClock
from bridge.login.sessions import BrowserSession, BrowserSessions, UpstreamSession
from bridge.storage.ephemeral import MemoryStore

LIFETIME = 3600


@pytest.fixture
def store(clock: FrozenClock) -> MemoryStore:
    return MemoryStore(clock)


@pytest.fixture
def sessions(store: MemoryStore, clock: FrozenClock) -> BrowserSessions:
    return BrowserSessions(store, clock, lifetime=LIFETIME)


def _stored_key(token: str) -> str:
    """Where the store keeps the session of this cookie value (only its hash, never the token)."""
    return "session:" + hashlib.sha256(token.encode()).hexdigest()


def _legacy_record(clock: FrozenClock) -> dict[str, Any]:
    """A session exactly as the bridge stored it before records carried a version."""
    now = int(clock())
    return {
        "user_id": "u-1",
        "amr": ["pwd", "otp"],
        "auth_time": now,
        "acr": "loa:2",
        "created_at": now,
        "expires_at": now + LIFETIME,
        "started": clock(),
        "upstream": {"provider": "acme", "id_token": "header.payload.signature"},
    }


def test_a_session_reads_back_as_it_was_created(
    sessions: BrowserSessions, clock: FrozenClock
) -> None:
    token = sessions.create(
        "u-1",
        ("fed",),
        1_699_999_990,
        "loa:1",
        upstream=UpstreamSession(provider_alias="acme", id_token="t.o.k"),
    )

    now = int(clock())
    assert sessions.get(token) == BrowserSession(
        user_id="u-1",
        amr=("fed",),
        auth_time=1_699_999_990,
        acr="loa:1",
        created_at=now,
        expires_at=now + LIFETIME,
        started=clock(),
        upstream=UpstreamSession(provider_alias="acme", id_token="t.o.k"),
    )


def test_a_stored_session_names_its_version(sessions: BrowserSessions, store: MemoryStore) -> None:
    token = sessions.create("u-1", ("pwd",), 1_700_000_000, None)

    record = store.get(_stored_key(token))

    assert record is not None
    assert record["version"] == 1
    assert record["upstream"] is None


def test_a_session_stored_before_versions_still_loads(
    sessions: BrowserSessions, store: MemoryStore, clock: FrozenClock
) -> None:
    store.put(_stored_key("old-cookie"), _legacy_record(clock), LIFETIME)

    session = sessions.get("old-cookie")

    assert session is not None
    assert session.user_id == "u-1"
    assert session.amr == ("pwd", "otp")
    assert session.acr == "loa:2"
    assert session.upstream == UpstreamSession(
        provider_alias="acme", id_token="header.payload.signature"
    )


def test_a_session_stored_before_versions_without_upstream_still_loads(
    sessions: BrowserSessions, store: MemoryStore, clock: FrozenClock
) -> None:
    store.put(_stored_key("old-cookie"), {**_legacy_record(clock), "upstream": None}, LIFETIME)

    session = sessions.get("old-cookie")

    assert session is not None
    assert session.upstream is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"auth_time": "yesterday"}, "auth_time must be an integer"),
        ({"amr": "pwd"}, "amr must be a list of strings"),
        ({"started": True}, "started must be a number"),
        ({"upstream": {"provider": "acme"}}, "field id_token is missing"),
        ({"upstream": ["acme", "token"]}, "upstream: not an object"),
        ({"user": "u-1"}, "unknown field(s) user"),
        ({"version": 2}, "version 2 is not supported"),
        ({"version": "1"}, "version must be an integer"),
    ],
)
def test_a_session_that_cannot_be_read_counts_as_signed_out_and_is_logged(
    sessions: BrowserSessions,
    store: MemoryStore,
    clock: FrozenClock,
    caplog: pytest.LogCaptureFixture,
    change: dict[str, Any],
    reason: str,
) -> None:
    store.put(_stored_key("cookie"), {**_legacy_record(clock), **change}, LIFETIME)

    assert sessions.get("cookie") is None
    assert "browser session refused" in caplog.text
    assert reason in caplog.text


def test_a_session_missing_a_field_counts_as_signed_out_and_is_logged(
    sessions: BrowserSessions,
    store: MemoryStore,
    clock: FrozenClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    record = _legacy_record(clock)
    del record["expires_at"]
    store.put(_stored_key("cookie"), record, LIFETIME)

    assert sessions.get("cookie") is None
    assert "field expires_at is missing" in caplog.text


def test_the_refusal_never_logs_the_upstream_id_token(
    sessions: BrowserSessions,
    store: MemoryStore,
    clock: FrozenClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    store.put(_stored_key("cookie"), {**_legacy_record(clock), "version": 9}, LIFETIME)

    assert sessions.get("cookie") is None
    assert "header.payload.signature" not in caplog.text
