"""The ephemeral store: pick an implementation by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from bridge.domain.clock import Clock, SystemClock
from bridge.storage.ephemeral.base import EphemeralStore, EphemeralStoreUnavailable, JsonObject
from bridge.storage.ephemeral.memory import MemoryStore
from bridge.storage.ephemeral.redis_store import RedisStore

__all__ = [
    "EphemeralStore",
    "EphemeralStoreUnavailable",
    "JsonObject",
    "MemoryStore",
    "RedisStore",
    "open_store",
]


def open_store(
    backend: Literal["memory", "redis"],
    *,
    redis_url: str | None = None,
    prefix: str = "bridge:",
    clock: Clock | None = None,
    on_error: Callable[[], None] | None = None,
) -> EphemeralStore:
    """The store for ``backend``. ``clock`` drives memory expiry; Redis uses the server's clock."""
    if backend == "memory":
        return MemoryStore(clock or SystemClock())
    if backend == "redis":
        if not redis_url:
            raise ValueError("the redis ephemeral store needs a redis_url")
        return RedisStore(redis_url, prefix, on_error=on_error)
    raise ValueError(f"unknown ephemeral store backend {backend!r}: use 'memory' or 'redis'")
