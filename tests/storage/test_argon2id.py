"""The bridge's argon2id path makes and accepts exactly argon2-cffi's hashes, any threads."""

from __future__ import annotations

import uuid

import argon2
import pytest

from bridge.services import argon2id
from bridge.services.passwords import PasswordHasher

#: (time_cost, memory_cost, parallelism): OWASP rows, with one and with four lanes.
COSTS = [(2, 19456, 1), (4, 9216, 4)]


def unique_password() -> str:
    """A password no other test uses: the test session remembers hashes and checks."""
    return f"correct horse {uuid.uuid4()} ünïcødé"


@pytest.mark.parametrize("threads", [1, 4])
@pytest.mark.parametrize(("time_cost", "memory_cost", "parallelism"), COSTS)
def test_a_hash_made_by_argon2_cffi_verifies_here_and_a_wrong_password_does_not(
    time_cost: int, memory_cost: int, parallelism: int, threads: int
) -> None:
    password = unique_password()
    costs = {"time_cost": time_cost, "memory_cost": memory_cost, "parallelism": parallelism}
    made_by_cffi = argon2.PasswordHasher(**costs).hash(password)
    ours = PasswordHasher(**costs, threads=threads)

    assert ours.verify(made_by_cffi, password)
    assert not ours.verify(made_by_cffi, password + "!")
    assert not ours.needs_rehash(made_by_cffi)


@pytest.mark.parametrize("threads", [1, 4])
@pytest.mark.parametrize(("time_cost", "memory_cost", "parallelism"), COSTS)
def test_a_hash_made_here_verifies_with_argon2_cffi_and_has_its_form(
    time_cost: int, memory_cost: int, parallelism: int, threads: int
) -> None:
    password = unique_password()
    costs = {"time_cost": time_cost, "memory_cost": memory_cost, "parallelism": parallelism}
    cffi = argon2.PasswordHasher(**costs)
    made_here = PasswordHasher(**costs, threads=threads).hash(password)

    assert cffi.verify(made_here, password)
    with pytest.raises(argon2.exceptions.VerifyMismatchError):
        cffi.verify(made_here, password + "!")
    assert argon2.extract_parameters(made_here) == argon2.extract_parameters(cffi.hash(password))
    assert not cffi.check_needs_rehash(made_here)


def test_the_threads_do_not_change_the_hash() -> None:
    costs = {"time_cost": 1, "memory_cost": 1024, "lanes": 4, "digest_length": 32}
    digests = {
        argon2id.compute(b"password", b"sixteen byte salt", threads=threads, **costs)
        for threads in (1, 2, 4, 16)
    }

    assert len(digests) == 1


def test_an_argon2i_hash_is_still_judged_by_argon2_cffi() -> None:
    password = unique_password()
    made = argon2.PasswordHasher(time_cost=2, memory_cost=19456, type=argon2.Type.I).hash(password)
    ours = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)

    assert argon2id.parse(made) is None
    assert ours.verify(made, password)
    assert not ours.verify(made, password + "!")


def test_a_hash_with_stray_bits_in_its_base64_is_left_to_argon2_cffi() -> None:
    password = unique_password()
    made = argon2.PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1).hash(password)
    head, digest = made.rsplit("$", 1)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = alphabet[alphabet.index(digest[-1]) ^ 1]  # its lowest bits are past the 32 bytes
    altered = f"{head}${digest[:-1]}{last}"
    ours = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)

    assert argon2id.parse(made) is not None
    assert argon2id.parse(altered) is None
    with pytest.raises(argon2.exceptions.VerificationError, match="Decoding failed"):
        argon2.PasswordHasher().verify(altered, password)
    assert not ours.verify(altered, password)


def test_the_dummy_verification_computes_with_the_hashers_own_costs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
    computed: list[dict[str, int]] = []
    compute = argon2id.compute

    def spy(password: bytes, salt: bytes, **costs: int) -> bytes:
        computed.append(costs)
        return compute(password, salt, **costs)

    monkeypatch.setattr(argon2id, "compute", spy)

    assert hasher.verify_dummy(unique_password()) is False
    [costs] = computed
    assert (costs["time_cost"], costs["memory_cost"], costs["lanes"]) == hasher.parameters


def test_the_working_memory_is_given_back_after_each_verification() -> None:
    hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
    password = unique_password()

    assert hasher.verify(hasher.hash(password), password)
    assert argon2id.blocks_in_use() == 0


def test_fewer_than_one_thread_is_refused() -> None:
    with pytest.raises(ValueError, match="threads=0"):
        PasswordHasher(threads=0)


@pytest.mark.parametrize("password", ["", "with\x00nul"])
def test_an_empty_password_and_one_with_a_nul_byte_hash_as_argon2_cffi_hashes_them(
    password: str,
) -> None:
    cffi = argon2.PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
    ours = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)

    assert ours.verify(cffi.hash(password), password)
    assert cffi.verify(ours.hash(password), password)
    assert not ours.verify(cffi.hash(password), password + "x")
