"""The in-process ephemeral store: for a single bridge process, and for tests."""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Sequence
from typing import Any

from bridge.domain.clock import Clock
from bridge.storage.ephemeral.base import JsonObject

_SWEEP_EVERY = 256


def _check_ttl(ttl: int) -> None:
    if ttl < 1:
        raise ValueError(f"ttl must be at least one second, got {ttl}")


class MemoryStore:
    """A dict behind a lock. Values are stored as JSON text, so callers never share objects."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[Any, float]] = {}
        self._writes = 0

    def _live(self, key: str, now: float) -> Any | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        value, expires_at = entry
        if now >= expires_at:
            del self._entries[key]
            return None
        return value

    def _store(self, key: str, value: Any, expires_at: float) -> None:
        self._entries[key] = (value, expires_at)
        self._writes += 1
        if self._writes % _SWEEP_EVERY == 0:
            now = self._clock()
            for stale in [k for k, (_, exp) in self._entries.items() if now >= exp]:
                del self._entries[stale]

    def put(self, key: str, value: JsonObject, ttl: int) -> None:
        _check_ttl(ttl)
        text = json.dumps(value)
        with self._lock:
            self._store(key, text, self._clock() + ttl)

    def put_many(self, items: Sequence[tuple[str, JsonObject, int]]) -> None:
        self._put_many(items, None)

    def put_many_and_get(
        self, items: Sequence[tuple[str, JsonObject, int]], key: str
    ) -> JsonObject | None:
        return self._put_many(items, key)

    def _put_many(
        self, items: Sequence[tuple[str, JsonObject, int]], key: str | None
    ) -> JsonObject | None:
        for _key, _value, ttl in items:
            _check_ttl(ttl)
        texts = [(k, json.dumps(value), ttl) for k, value, ttl in items]
        with self._lock:
            now = self._clock()
            for k, text, ttl in texts:
                self._store(k, text, now + ttl)
            found = None if key is None else self._live(key, now)
        return None if found is None else _loads(found)

    def add(self, key: str, value: JsonObject, ttl: int) -> bool:
        _check_ttl(ttl)
        text = json.dumps(value)
        with self._lock:
            now = self._clock()
            if self._live(key, now) is not None:
                return False
            self._store(key, text, now + ttl)
            return True

    def get(self, key: str) -> JsonObject | None:
        with self._lock:
            text = self._live(key, self._clock())
        return None if text is None else _loads(text)

    def take(self, key: str) -> JsonObject | None:
        with self._lock:
            text = self._live(key, self._clock())
            if text is not None:
                del self._entries[key]
        return None if text is None else _loads(text)

    def delete(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def incr(self, key: str, ttl: int) -> int:
        _check_ttl(ttl)
        with self._lock:
            now = self._clock()
            if self._live(key, now) is None:
                self._store(key, "1", now + ttl)
                return 1
            count_text, expires_at = self._entries[key]
            count = int(count_text) + 1
            self._entries[key] = (str(count), expires_at)
            return count

    def decr(self, key: str) -> int:
        with self._lock:
            return self._decr(key)

    def _decr(self, key: str) -> int:
        if self._live(key, self._clock()) is None:
            return 0
        count_text, expires_at = self._entries[key]
        count = max(0, int(count_text) - 1)
        self._entries[key] = (str(count), expires_at)
        return count

    def delete_and_decr(self, deleted: Sequence[str], decremented: str | None) -> None:
        with self._lock:
            for key in deleted:
                self._entries.pop(key, None)
            if decremented is not None:
                self._decr(decremented)

    def ttl(self, key: str) -> int | None:
        with self._lock:
            now = self._clock()
            if self._live(key, now) is None:
                return None
            return math.ceil(self._entries[key][1] - now)

    def ping(self) -> None:
        return None

    def close(self) -> None:
        return None


def _loads(text: str) -> JsonObject:
    value: JsonObject = json.loads(text)
    return value
