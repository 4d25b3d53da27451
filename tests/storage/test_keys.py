"""Signing keys: one active key, rotation with a grace period, a JWKS of the live keys."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from sqlalchemy import func, select

from bridge.domain.clock import FrozenClock
from bridge.services.keys import PROPAGATION, VERSION_KEY, SigningKeys
from bridge.storage.crypto import Keyring
from bridge.storage.db.engine import Database
from bridge.storage.db.models import SigningKey
from bridge.storage.db.unit import unit_of_work
from bridge.storage.ephemeral.memory import MemoryStore

pytestmark = pytest.mark.postgres("the storage contract holds on both dialects")


def _active_count(database: Database) -> int:
    with database.session() as session:
        count = session.scalar(
            select(func.count()).select_from(SigningKey).where(SigningKey.active.is_(True))
        )
    return int(count or 0)


def test_the_first_start_generates_a_key(signing_keys: SigningKeys) -> None:
    kid = signing_keys.ensure_active()
    assert signing_keys.active()[0] == kid


def test_a_later_start_keeps_the_active_key(signing_keys: SigningKeys) -> None:
    assert signing_keys.ensure_active() == signing_keys.ensure_active()


def test_the_jwks_publishes_the_public_key_only(signing_keys: SigningKeys) -> None:
    kid = signing_keys.ensure_active()
    (jwk,) = signing_keys.jwks()["keys"]
    assert jwk["kid"] == kid
    assert (jwk["kty"], jwk["use"], jwk["alg"]) == ("RSA", "sig", "RS256")
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(jwk)


def test_the_active_key_is_a_2048_bit_rsa_private_jwk(signing_keys: SigningKeys) -> None:
    signing_keys.ensure_active()
    kid, jwk = signing_keys.active()
    key = RSAKey.import_key(jwk)
    assert key.is_private
    assert key.kid == kid
    assert key.raw_value.key_size == 2048
    assert (jwk["alg"], jwk["use"]) == ("RS256", "sig")


def test_a_token_signed_with_the_active_key_verifies_with_the_jwks(
    signing_keys: SigningKeys,
) -> None:
    signing_keys.ensure_active()
    kid, jwk = signing_keys.active()
    token = jwt.encode({"alg": "RS256", "kid": kid}, {"sub": "u1"}, RSAKey.import_key(jwk))
    claims = jwt.decode(token, KeySet.import_key_set(signing_keys.jwks())).claims  # type: ignore[arg-type]
    assert claims == {"sub": "u1"}


def test_the_private_key_is_stored_sealed(signing_keys: SigningKeys, database: Database) -> None:
    kid = signing_keys.ensure_active()
    with database.session() as session:
        row = session.get_one(SigningKey, kid)
    assert row.private_key_ciphertext.startswith("v1.k1.")
    assert "PRIVATE KEY" not in row.private_key_ciphertext


def test_active_before_any_key_exists_says_what_to_do(signing_keys: SigningKeys) -> None:
    with pytest.raises(LookupError, match="ensure_active"):
        signing_keys.active()


def test_rotation_makes_a_new_key_active(signing_keys: SigningKeys, database: Database) -> None:
    old = signing_keys.ensure_active()
    new = signing_keys.rotate()
    assert new != old
    assert signing_keys.active()[0] == new
    assert _active_count(database) == 1


def test_a_retired_key_is_published_newest_first_during_the_grace(
    signing_keys: SigningKeys, clock: FrozenClock
) -> None:
    old = signing_keys.ensure_active()
    clock.advance(10)
    new = signing_keys.rotate()
    clock.advance(3599)
    assert [k["kid"] for k in signing_keys.jwks()["keys"]] == [new, old]


def test_a_retired_key_disappears_after_the_grace(
    signing_keys: SigningKeys, clock: FrozenClock
) -> None:
    signing_keys.ensure_active()
    clock.advance(10)
    new = signing_keys.rotate()
    clock.advance(3600)
    assert [k["kid"] for k in signing_keys.jwks()["keys"]] == [new]


def test_rotation_records_when_the_old_key_retired_and_expires(
    signing_keys: SigningKeys, database: Database, clock: FrozenClock
) -> None:
    old = signing_keys.ensure_active()
    signing_keys.rotate()
    with database.session() as session:
        row = session.get_one(SigningKey, old)
    assert row.active is None
    assert row.retired_at is not None
    assert row.expires_at is not None
    assert (row.expires_at - row.retired_at).total_seconds() == 3600


@pytest.mark.postgres("a race between connections: PostgreSQL's locking decides it", committed=True)
def test_concurrent_first_starts_agree_on_one_key(
    database: Database, keyring: Keyring, clock: FrozenClock
) -> None:
    """Eight processes (own engines) start at once: one key is stored, all of them use it."""
    url = database.url.render_as_string(hide_password=False)
    processes = [Database(url) for _ in range(8)]
    barrier = threading.Barrier(len(processes))

    def start(db: Database) -> str:
        keys = SigningKeys(db, keyring, clock)
        barrier.wait()
        return keys.ensure_active()

    try:
        with ThreadPoolExecutor(max_workers=len(processes)) as pool:
            kids = list(pool.map(start, processes))
    finally:
        for db in processes:
            db.dispose()
    assert len(set(kids)) == 1
    assert _active_count(database) == 1


@pytest.mark.parametrize("alg", ["ES256", "HS256", "none"])
def test_a_non_rsa_algorithm_is_refused(
    database: Database, keyring: Keyring, clock: FrozenClock, alg: str
) -> None:
    with pytest.raises(ValueError, match="not one of"):
        SigningKeys(database, keyring, clock, alg=alg)


def test_a_process_signs_with_the_key_another_process_rotated_to(
    database: Database, keyring: Keyring, clock: FrozenClock
) -> None:
    """Two serving processes share the ephemeral store: each keeps its copy of the active key
    until the other announces a rotation there, and looks at most once per ``PROPAGATION``
    seconds (until then it signs with the retired key, which is still published)."""
    store = MemoryStore(clock)
    serving = SigningKeys(database, keyring, clock, shared_store=store)
    rotating = SigningKeys(database, keyring, clock, shared_store=store)
    old = serving.ensure_active()
    assert serving.signer()[0] == old
    new = rotating.rotate()
    assert serving.signer()[0] == old
    assert old in [key["kid"] for key in serving.jwks()["keys"]]
    clock.advance(PROPAGATION)
    assert serving.signer()[0] == new
    assert serving.signer()[0] == new


def test_without_a_grace_a_process_signs_with_the_key_rotated_to_at_once(
    database: Database, keyring: Keyring, clock: FrozenClock
) -> None:
    """A retired key that is not published any more never signs: the version is asked per
    token."""
    store = MemoryStore(clock)
    serving = SigningKeys(database, keyring, clock, shared_store=store, rotation_grace=0)
    rotating = SigningKeys(database, keyring, clock, shared_store=store, rotation_grace=0)
    old = serving.ensure_active()
    assert serving.signer()[0] == old
    new = rotating.rotate()
    assert serving.signer()[0] == new


@pytest.mark.postgres("the unit's own connection must see the key", committed=True)
def test_a_rotation_inside_a_unit_of_work_is_announced_once_it_commits(
    database: Database, keyring: Keyring, clock: FrozenClock
) -> None:
    store = MemoryStore(clock)
    serving = SigningKeys(database, keyring, clock, shared_store=store)
    rotating = SigningKeys(database, keyring, clock, shared_store=store)
    old = serving.ensure_active()
    assert serving.signer()[0] == old

    def failed_command() -> None:
        with unit_of_work():
            rotating.rotate()
            raise RuntimeError("the command failed: its rotation is rolled back")

    with pytest.raises(RuntimeError):
        failed_command()
    clock.advance(PROPAGATION)
    assert serving.signer()[0] == old
    with unit_of_work():
        new = rotating.rotate()
    clock.advance(PROPAGATION)
    assert serving.signer()[0] == new


def test_a_lost_key_version_makes_every_process_read_the_key_again(
    database: Database, keyring: Keyring, clock: FrozenClock
) -> None:
    store = MemoryStore(clock)
    serving = SigningKeys(database, keyring, clock, shared_store=store)
    old = serving.ensure_active()
    assert serving.signer()[0] == old
    new = SigningKeys(database, keyring, clock).rotate()  # announced nowhere
    store.delete(VERSION_KEY)  # the store lost the version (evicted, flushed)
    clock.advance(PROPAGATION)
    assert serving.signer()[0] == new
