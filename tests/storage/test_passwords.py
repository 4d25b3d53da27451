"""Password hashing: argon2id with parameters no weaker than OWASP's recommendations."""

from __future__ import annotations

import pytest

from bridge.services.passwords import PasswordHasher, WeakHashParameters


def test_a_hashed_password_verifies(password_hasher: PasswordHasher) -> None:
    assert password_hasher.verify(password_hasher.hash("correct horse"), "correct horse")


def test_a_wrong_password_does_not_verify(password_hasher: PasswordHasher) -> None:
    assert not password_hasher.verify(password_hasher.hash("correct horse"), "battery staple")


def test_a_malformed_hash_does_not_verify(password_hasher: PasswordHasher) -> None:
    assert not password_hasher.verify("not-a-hash", "correct horse")


def test_hashes_use_argon2id(password_hasher: PasswordHasher) -> None:
    assert password_hasher.hash("correct horse").startswith("$argon2id$")


def test_the_dummy_verification_never_succeeds(password_hasher: PasswordHasher) -> None:
    assert password_hasher.verify_dummy("anything") is False


def test_a_hash_made_with_other_parameters_needs_rehash(password_hasher: PasswordHasher) -> None:
    stronger = PasswordHasher(time_cost=3, memory_cost=19456, parallelism=1)
    assert stronger.needs_rehash(password_hasher.hash("correct horse"))
    assert not password_hasher.needs_rehash(password_hasher.hash("correct horse"))


@pytest.mark.parametrize(
    ("memory_cost", "time_cost"), [(47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5)]
)
def test_every_owasp_row_is_accepted(memory_cost: int, time_cost: int) -> None:
    PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=1)


@pytest.mark.parametrize(
    ("memory_cost", "time_cost", "parallelism"),
    [(47103, 1, 1), (19456, 1, 1), (7168, 4, 1), (65536, 3, 0)],
)
def test_parameters_below_every_owasp_row_are_refused(
    memory_cost: int, time_cost: int, parallelism: int
) -> None:
    with pytest.raises(WeakHashParameters, match="OWASP"):
        PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
