"""Recovery codes: ten, high-entropy, hashed, each good once, replaced as a set."""

from __future__ import annotations

import hashlib
import hmac
import re
import threading

import pytest
from argon2.low_level import Type, hash_secret_raw
from sqlalchemy import select

from bridge.services.audit import AuditLog
from bridge.services.recovery import (
    ALPHABET,
    CODE_LENGTH,
    RecoveryCodes,
    normalise_code,
    recovery_key,
)
from bridge.storage.db.engine import Database
from bridge.storage.db.models import RecoveryCode, User

# The bridge's own argon2id parameters here (other tests hash recovery codes more cheaply).
pytestmark = pytest.mark.recovery_argon2


def test_ten_codes_of_fifty_bits_grouped_for_reading(recovery: RecoveryCodes, alice: User) -> None:
    codes = recovery.generate(alice.id)
    assert len(codes) == len(set(codes)) == 10
    for code in codes:
        assert re.fullmatch(r"[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}", code)
    assert len(ALPHABET) ** CODE_LENGTH >= 2**50


def test_only_hashes_are_stored(recovery: RecoveryCodes, alice: User, database: Database) -> None:
    codes = recovery.generate(alice.id)
    with database.session() as session:
        stored = list(session.scalars(select(RecoveryCode.code_hash)))
    assert len(stored) == 10
    for code in codes:
        assert all(code.replace("-", "") not in value for value in stored)


def test_a_code_is_kept_as_argon2id_of_its_keyed_hmac_at_an_owasp_row(
    recovery: RecoveryCodes, alice: User, database: Database
) -> None:
    codes = recovery.generate(alice.id)
    with database.session() as session:
        [salt] = set(session.scalars(select(RecoveryCode.salt)))
        stored = set(session.scalars(select(RecoveryCode.code_hash)))
    key = recovery_key(b"k" * 32)  # the ``recovery`` fixture's

    def at_rest(code: str) -> str:
        peppered = hmac.new(key, f"{alice.id}:{normalise_code(code)}".encode(), hashlib.sha256)
        return hash_secret_raw(
            peppered.digest(),
            bytes.fromhex(salt),
            time_cost=2,
            memory_cost=19_456,
            parallelism=1,
            hash_len=32,
            type=Type.ID,
        ).hex()

    assert stored == {at_rest(code) for code in codes}


def test_a_code_works_once(recovery: RecoveryCodes, alice: User) -> None:
    code = recovery.generate(alice.id)[0]
    assert recovery.use(alice.id, code)
    assert not recovery.use(alice.id, code)
    assert recovery.remaining(alice.id) == 9


def test_case_spaces_hyphens_and_look_alikes_do_not_matter() -> None:
    assert normalise_code(" K7DQM 3ZP4X ") == "k7dqm3zp4x"
    assert normalise_code("k7dqm-3zp4o") == "k7dqm3zp40"
    assert normalise_code("k7dqm-3zpil") == "k7dqm3zp11"
    assert normalise_code("k7dqm-3zp4") is None
    assert normalise_code("k7dqm-3zp4u") is None
    assert normalise_code("") is None


def test_a_code_typed_loosely_is_accepted(recovery: RecoveryCodes, alice: User) -> None:
    code = recovery.generate(alice.id)[0]
    assert recovery.use(alice.id, f"  {code.upper().replace('-', ' ')} ")


def test_another_users_code_does_not_work(recovery: RecoveryCodes, alice: User, bob: User) -> None:
    code = recovery.generate(alice.id)[0]
    recovery.generate(bob.id)
    assert not recovery.use(bob.id, code)
    assert recovery.remaining(alice.id) == 10


def test_bad_input_is_refused(recovery: RecoveryCodes, alice: User) -> None:
    recovery.generate(alice.id)
    for text in ("", "x" * 1000, "' OR 1=1 --", "0000000000", "ünïcödé!!!"):
        assert not recovery.use(alice.id, text)
    assert recovery.remaining(alice.id) == 10


def test_regenerating_kills_every_old_code(recovery: RecoveryCodes, alice: User) -> None:
    old = recovery.generate(alice.id)
    recovery.use(alice.id, old[0])
    new = recovery.generate(alice.id)
    assert recovery.remaining(alice.id) == 10
    assert not any(recovery.use(alice.id, code) for code in old[1:])
    assert recovery.use(alice.id, new[0])


@pytest.mark.postgres("a race between connections: PostgreSQL's locking decides it", committed=True)
def test_two_parallel_uses_of_one_code_one_wins(recovery: RecoveryCodes, alice: User) -> None:
    code = recovery.generate(alice.id)[0]
    barrier = threading.Barrier(2)
    results: list[bool] = []

    def use() -> None:
        barrier.wait()
        results.append(recovery.use(alice.id, code))

    threads = [threading.Thread(target=use) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, True]


@pytest.mark.postgres("a race between connections: PostgreSQL's locking decides it", committed=True)
def test_parallel_regenerations_leave_one_set(recovery: RecoveryCodes, alice: User) -> None:
    barrier = threading.Barrier(4)

    def regenerate() -> None:
        barrier.wait()
        recovery.generate(alice.id)

    threads = [threading.Thread(target=regenerate) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert recovery.remaining(alice.id) == 10


def test_events_are_audited(recovery: RecoveryCodes, alice: User, audit: AuditLog) -> None:
    code = recovery.generate(alice.id, ip="192.0.2.1")[0]
    recovery.use(alice.id, code)
    used, regenerated = audit.events(user_id=alice.id)
    assert regenerated.event == "recovery_codes_regenerated"
    assert regenerated.ip == "192.0.2.1"
    assert used.event == "recovery_code_used"
    assert used.mfa_factor_type == "recovery_code"
    assert used.details == {"remaining": 9}


def test_delete_all_for_a_reset(recovery: RecoveryCodes, alice: User) -> None:
    recovery.generate(alice.id)
    assert recovery.delete_all(alice.id) == 10
    assert not recovery.has_codes(alice.id)


def test_each_set_of_codes_has_its_own_salt(
    recovery: RecoveryCodes, alice: User, bob: User, database: Database
) -> None:
    recovery.generate(alice.id)
    recovery.generate(bob.id)
    with database.session() as session:
        salts = {row.user_id: row.salt for row in session.scalars(select(RecoveryCode))}
    assert len(set(salts.values())) == 2
    assert all(len(salt) == 32 for salt in salts.values())


def test_a_user_without_codes_has_none_to_use(recovery: RecoveryCodes, alice: User) -> None:
    assert not recovery.use(alice.id, "k7dqm-3zp4x")
    assert recovery.remaining(alice.id) == 0
