"""The ephemeral store: short-lived JSON values with a time to live.

Sessions, flow state, authorization codes and counters live here: in Redis in production,
in process memory for the single-process default. Both implementations pass one contract
suite (``tests/storage/test_ephemeral_contract.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

JsonObject = dict[str, Any]
#: One value to ``put``: its key, the value and its time to live in seconds.
Put = tuple[str, JsonObject, int]


class EphemeralStoreUnavailable(RuntimeError):  # noqa: N818 (reads as a state)
    """The store cannot be reached: the bridge fails closed with a 503."""


class EphemeralStore(Protocol):
    def put(self, key: str, value: JsonObject, ttl: int) -> None:
        """Store ``value`` under ``key`` for ``ttl`` seconds, replacing any older value."""

    def put_many(self, items: Sequence[Put]) -> None:
        """``put`` each ``(key, value, ttl)``, in one round trip (each alone, not together)."""

    def put_many_and_get(self, items: Sequence[Put], key: str) -> JsonObject | None:
        """``put_many(items)``, then ``get(key)``, in one round trip (each step alone, not
        together): what a write needs to read right after it, such as the token endpoint's
        access token and the "codes voided" mark."""

    def add(self, key: str, value: JsonObject, ttl: int) -> bool:
        """Store only if ``key`` is absent; True when this call stored it (atomic)."""

    def get(self, key: str) -> JsonObject | None:
        """The value, or None when absent or expired."""

    def take(self, key: str) -> JsonObject | None:
        """Get and delete in one atomic step: of two concurrent takers, one gets the value."""

    def take_and_get(self, key: str, other: str) -> tuple[JsonObject | None, JsonObject | None]:
        """``take`` ``key`` and ``get`` ``other`` in one round trip (issue 16): the take is
        atomic as ``take`` is; the read is not part of it."""

    def delete(self, key: str) -> None: ...

    def incr(self, key: str, ttl: int) -> int:
        """Add one to a counter (created at 0 with ``ttl``) and return the new count (atomic)."""

    def decr(self, key: str) -> int:
        """Take one off a live counter (never below zero, never creating one; its expiry stays)
        and return the new count (atomic); 0 when absent."""

    def incr_and_get(self, counter: str, ttl: int, key: str) -> tuple[int, JsonObject | None]:
        """``incr`` ``counter`` and ``get`` ``key`` in one round trip (issue 16): each step is
        atomic alone, as the single calls are, not both together."""

    def write_batch(
        self, put: Sequence[Put] = (), delete: Sequence[str] = (), decr: str | None = None
    ) -> None:
        """``put`` each of ``put``, ``delete`` each key of ``delete`` and ``decr`` ``decr``
        (when given), in this order and in one round trip: each step is atomic alone, as the
        single calls are, not all together. The keys are distinct."""

    def ttl(self, key: str) -> int | None:
        """Seconds left, or None when absent."""

    def ping(self) -> None:
        """Raise ``EphemeralStoreUnavailable`` when the store cannot be reached."""
