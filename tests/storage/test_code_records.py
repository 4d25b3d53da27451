"""Authorization codes are versioned records: a code issued before a deploy is still redeemed
after it, and data the bridge cannot read makes the code invalid (with a log line), never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bridge.domain.clock import FrozenClock
from bridge.oidc.tokens import CodeData, TokenService, token_hash
from bridge.storage.db.engine import Database
from bridge.storage.ephemeral import MemoryStore

CODE_TTL = 60


@pytest.fixture
def store(clock: FrozenClock) -> MemoryStore:
    return MemoryStore(clock)


@pytest.fixture
def tokens(store: MemoryStore, clock: FrozenClock) -> Iterator[TokenService]:
    # Saving and redeeming a code only touch the ephemeral store: the database stays unopened.
    database = Database("sqlite://")
    yield TokenService(
        database,
        store,
        clock,
        code_ttl=CODE_TTL,
        access_token_ttl=300,
        refresh_token_ttl=3600,
    )
    database.dispose()


def _code_data() -> CodeData:
    return CodeData(
        client_id="app",
        redirect_uri="https://app.example/callback",
        scope="openid email",
        user_id="u-1",
        auth_time=1_699_999_990,
        amr=("pwd", "otp"),
        acr="loa:2",
        nonce="n-1",
        code_challenge="challenge",
        code_challenge_method="S256",
    )


def _legacy_record(clock: FrozenClock) -> dict[str, Any]:
    """A code's data exactly as the bridge stored it before records carried a version."""
    return {
        "client_id": "app",
        "redirect_uri": "https://app.example/callback",
        "scope": "openid email",
        "user_id": "u-1",
        "auth_time": 1_699_999_990,
        "amr": ["pwd", "otp"],
        "acr": "loa:2",
        "nonce": "n-1",
        "code_challenge": "challenge",
        "code_challenge_method": "S256",
        "expires_at": clock() + CODE_TTL,
        "grant_id": "0123456789abcdef0123456789abcdef",
        "issued_at": clock(),
    }


def test_a_code_redeems_to_the_data_it_was_saved_with(
    tokens: TokenService, clock: FrozenClock
) -> None:
    data = _code_data()
    tokens.save_code("the-code", data)

    redeemed = tokens.redeem_code("the-code", "app")

    assert redeemed is not None
    assert redeemed.amr == ("pwd", "otp")
    assert redeemed.grant_id == data.grant_id
    assert (redeemed.issued_at, redeemed.expires_at) == (clock(), clock() + CODE_TTL)
    assert CodeData.from_json(redeemed.to_json()) == redeemed


def test_a_stored_code_names_its_version(tokens: TokenService, store: MemoryStore) -> None:
    tokens.save_code("the-code", _code_data())

    record = store.get(f"code:{token_hash('the-code')}")

    assert record is not None
    assert record["version"] == 1


def test_a_code_stored_before_versions_is_still_redeemed(
    tokens: TokenService, store: MemoryStore, clock: FrozenClock
) -> None:
    store.put(f"code:{token_hash('old-code')}", _legacy_record(clock), CODE_TTL)

    redeemed = tokens.redeem_code("old-code", "app")

    assert redeemed is not None
    assert redeemed.user_id == "u-1"
    assert redeemed.amr == ("pwd", "otp")
    assert redeemed.grant_id == "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"auth_time": 1.5}, "auth_time must be an integer"),
        ({"amr": ["pwd", 2]}, "amr must be a list of strings"),
        ({"nonce": 7}, "nonce must be a string"),
        ({"expires_at": "soon"}, "expires_at must be a number"),
        ({"redirect_url": "https://app.example/"}, "unknown field(s) redirect_url"),
        ({"version": 2}, "version 2 is not supported"),
    ],
)
def test_a_code_that_cannot_be_read_is_invalid_and_logged(
    tokens: TokenService,
    store: MemoryStore,
    clock: FrozenClock,
    caplog: pytest.LogCaptureFixture,
    change: dict[str, Any],
    reason: str,
) -> None:
    store.put(f"code:{token_hash('the-code')}", {**_legacy_record(clock), **change}, CODE_TTL)

    assert tokens.redeem_code("the-code", "app") is None
    assert "authorization code refused" in caplog.text
    assert reason in caplog.text


def test_a_code_missing_a_field_is_invalid_and_logged(
    tokens: TokenService,
    store: MemoryStore,
    clock: FrozenClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    record = _legacy_record(clock)
    del record["grant_id"]
    store.put(f"code:{token_hash('the-code')}", record, CODE_TTL)

    assert tokens.redeem_code("the-code", "app") is None
    assert "field grant_id is missing" in caplog.text


def test_an_unreadable_code_is_spent_all_the_same(
    tokens: TokenService, store: MemoryStore, clock: FrozenClock
) -> None:
    store.put(f"code:{token_hash('the-code')}", {**_legacy_record(clock), "version": 2}, CODE_TTL)
    tokens.redeem_code("the-code", "app")

    assert store.get(f"code:{token_hash('the-code')}") is None
