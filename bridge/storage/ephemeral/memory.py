"""The in-process ephemeral store: for a single bridge process, and for tests."""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Sequence
from typing import Any

from bridge.domain.clock import Clock
from bridge.storage.ephemeral.base import JsonObject, Put

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

    def put_many(self, items: Sequence[Put]) -> None:
        texts = _texts(items)
        with self._lock:
            self._put_texts(texts)

    def put_many_and_get(self, items: Sequence[Put], key: str) -> JsonObject | None:
        texts = _texts(items)
        with self._lock:
            self._put_texts(texts)
            found = self._live(key, self._clock())
        return None if found is None else _loads(found)

    def _put_texts(self, texts: Sequence[tuple[str, str, int]]) -> None:
        now = self._clock()
        for key, text, ttl in texts:
            self._store(key, text, now + ttl)

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
            text = self._take(key)
        return None if text is None else _loads(text)

    def _take(self, key: str) -> str | None:
        text: str | None = self._live(key, self._clock())
        if text is not None:
            del self._entries[key]
        return text

    def take_and_get(self, key: str, other: str) -> tuple[JsonObject | None, JsonObject | None]:
        with self._lock:
            taken = self._take(key)
            text = self._live(other, self._clock())
        return (
            None if taken is None else _loads(taken),
            None if text is None else _loads(text),
        )

    def delete(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def incr(self, key: str, ttl: int) -> int:
        _check_ttl(ttl)
        with self._lock:
            return self._incr(key, ttl)

    def _incr(self, key: str, ttl: int) -> int:
        now = self._clock()
        if self._live(key, now) is None:
            self._store(key, "1", now + ttl)
            return 1
        count_text, expires_at = self._entries[key]
        count = int(count_text) + 1
        self._entries[key] = (str(count), expires_at)
        return count

    def incr_and_get(self, counter: str, ttl: int, key: str) -> tuple[int, JsonObject | None]:
        _check_ttl(ttl)
        with self._lock:
            count = self._incr(counter, ttl)
            text = self._live(key, self._clock())
        return count, None if text is None else _loads(text)

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

    def write_batch(
        self, put: Sequence[Put] = (), delete: Sequence[str] = (), decr: str | None = None
    ) -> None:
        texts = _texts(put)
        with self._lock:
            self._put_texts(texts)
            for key in delete:
                self._entries.pop(key, None)
            if decr is not None:
                self._decr(decr)

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


def _texts(items: Sequence[Put]) -> list[tuple[str, str, int]]:
    """The values as JSON text, once every ttl is checked (nothing stored when one is bad)."""
    for _key, _value, ttl in items:
        _check_ttl(ttl)
    return [(key, json.dumps(value), ttl) for key, value, ttl in items]


def _loads(text: str) -> JsonObject:
    value: JsonObject = json.loads(text)
    return value
