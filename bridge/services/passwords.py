"""Password hashing with argon2id, with parameters that must meet an OWASP recommendation.

Hashes are argon2-cffi's, byte for byte in form; they are computed through libargon2's context
(``bridge.services.argon2id``) with ``threads`` of our choosing and the working memory in huge
pages. A stored hash in any other form (another argon2 type or version) is left to argon2-cffi.
"""

from __future__ import annotations

import hmac
import os

import argon2
from argon2.exceptions import HashingError, InvalidHashError, VerificationError

from bridge.services import argon2id

# (memory_cost KiB, time_cost) pairs from the OWASP Password Storage Cheat Sheet, parallelism 1.
OWASP_ARGON2ID_MINIMUMS: tuple[tuple[int, int], ...] = (
    (47104, 1),
    (19456, 2),
    (12288, 3),
    (9216, 4),
    (7168, 5),
)


class WeakHashParameters(ValueError):  # noqa: N818 (reads as a state)
    """Argon2 parameters below every OWASP recommendation."""


#: What the dummy hash (the cost of checking an unknown user's password) is made of.
DUMMY_PASSWORD = "the bridge's dummy password"


class PasswordHasher:
    """Hash and verify passwords; ``verify_dummy`` spends the same time for unknown users."""

    def __init__(
        self,
        *,
        time_cost: int = 2,
        memory_cost: int = 19456,
        parallelism: int = 1,
        threads: int = 1,
    ):
        if threads < 1:
            raise ValueError(f"argon2id threads={threads}: at least one thread computes a hash")
        if parallelism < 1 or not any(
            memory_cost >= m and time_cost >= t for m, t in OWASP_ARGON2ID_MINIMUMS
        ):
            rows = ", ".join(f"m={m} t={t}" for m, t in OWASP_ARGON2ID_MINIMUMS)
            raise WeakHashParameters(
                f"argon2id time_cost={time_cost} memory_cost={memory_cost} "
                f"parallelism={parallelism} meets no OWASP minimum ({rows}; parallelism >= 1)"
            )
        self._hasher = argon2.PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_cost,
            parallelism=parallelism,
            type=argon2.Type.ID,
        )
        #: Threads one hash or verify runs on; the hash depends on the lanes (parallelism) only.
        self.threads = threads
        # Hashed once with the same parameters, so a miss costs what a hit costs. What it hashes
        # does not matter: ``verify_dummy`` answers False whatever the password.
        self._dummy_hash = self.hash(DUMMY_PASSWORD)

    @property
    def parameters(self) -> tuple[int, int, int]:
        """``(time_cost, memory_cost, parallelism)`` of the hashes this hasher makes."""
        hasher = self._hasher
        return hasher.time_cost, hasher.memory_cost, hasher.parallelism

    def hash(self, password: str) -> str:
        hasher = self._hasher
        salt = os.urandom(hasher.salt_len)
        digest = argon2id.compute(
            password.encode(hasher.encoding),
            salt,
            time_cost=hasher.time_cost,
            memory_cost=hasher.memory_cost,
            lanes=hasher.parallelism,
            threads=self.threads,
            digest_length=hasher.hash_len,
        )
        return argon2id.encode(
            hasher.time_cost, hasher.memory_cost, hasher.parallelism, salt, digest
        )

    def verify(self, password_hash: str, password: str) -> bool:
        stored = argon2id.parse(password_hash)
        if stored is None:  # not argon2-cffi's argon2id form: argon2-cffi judges it
            try:
                return self._hasher.verify(password_hash, password)
            except (VerificationError, InvalidHashError):
                return False
        try:
            digest = argon2id.compute(
                password.encode(self._hasher.encoding),
                stored.salt,
                time_cost=stored.time_cost,
                memory_cost=stored.memory_cost,
                lanes=stored.lanes,
                threads=self.threads,
                digest_length=len(stored.digest),
            )
        except HashingError:  # parameters libargon2 refuses, as its own verify would
            return False
        return hmac.compare_digest(digest, stored.digest)

    def verify_dummy(self, password: str) -> bool:
        """Spend the time of a real verification; always False (for unknown users)."""
        self.verify(self._dummy_hash, password)
        return False

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True
