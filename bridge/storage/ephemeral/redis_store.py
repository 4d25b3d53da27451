"""The Redis ephemeral store: shared by every bridge process. Expiry uses the server's clock.

One Redis server, a master watched by Sentinels (``redis+sentinel://``) or a Redis Cluster
(``redis+cluster://``): see ``redis_clients``. Every key is used alone (no multi-key command),
so the store works unchanged on a cluster."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ReadOnlyError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from bridge.storage.ephemeral.base import EphemeralStoreUnavailable, JsonObject, Put
from bridge.storage.ephemeral.redis_clients import redis_client

T = TypeVar("T")

# INCR and EXPIRE in one atomic step: the window starts with the first increment and a
# counter never outlives it, even when the process dies between the two commands.
_INCR_WITH_TTL = """
local count = redis.call('INCR', KEYS[1])
if redis.call('TTL', KEYS[1]) < 0 then
    redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return count
"""

# DECR a live counter, never below zero and never creating one: giving back a slot after its
# window ended must not start a new window.
_DECR_LIVE = """
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count <= 0 then
    return 0
end
return redis.call('DECR', KEYS[1])
"""

# Errors that mean "the store is not usable right now" (a failover leaves a read-only replica).
_UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, ReadOnlyError)


def _check_ttl(ttl: int) -> None:
    if ttl < 1:
        raise ValueError(f"ttl must be at least one second, got {ttl}")


class RedisStore:
    """JSON values under ``prefix + key`` in one Redis database."""

    def __init__(
        self,
        url: str,
        prefix: str,
        *,
        socket_timeout: float = 2.0,
        retries: int = 2,
        on_error: Callable[[], None] | None = None,
    ) -> None:
        self._prefix = prefix
        self._on_error = on_error  # told of each failed call (metrics)
        # One server, a Sentinel-watched master or a cluster (redis_clients).
        connected = redis_client(
            url,
            decode_responses=True,
            socket_timeout=socket_timeout,
            socket_connect_timeout=socket_timeout,
            retry=Retry(ExponentialBackoff(cap=0.2, base=0.01), retries),
            health_check_interval=30,
        )
        self._client: Any = connected.client
        self._where = connected.where
        self._reset = connected.reset
        self._incr_with_ttl = self._client.register_script(_INCR_WITH_TTL)
        self._decr_live = self._client.register_script(_DECR_LIVE)

    def _key(self, key: str) -> str:
        return self._prefix + key

    def _call(self, operation: Callable[[], T]) -> T:
        try:
            return operation()
        except _UNAVAILABLE as error:
            # After a failover pooled connections may point at the old master (now gone, or a
            # read-only replica): drop them, so the next call asks the Sentinels again.
            self._reset()
            if self._on_error is not None:
                self._on_error()
            raise EphemeralStoreUnavailable(
                f"Redis at {self._where} is unavailable: {error}"
            ) from error

    def put(self, key: str, value: JsonObject, ttl: int) -> None:
        _check_ttl(ttl)
        text = json.dumps(value)
        self._call(lambda: self._client.set(self._key(key), text, ex=ttl))

    def put_many(self, items: Sequence[Put]) -> None:
        self._write(items, (), None)

    def put_many_and_get(self, items: Sequence[Put], key: str) -> JsonObject | None:
        texts = self._texts(items)

        def pipelined() -> Any:
            pipe = self._client.pipeline(transaction=False)  # keys may be on different nodes
            _set_all(pipe, texts)
            pipe.get(self._key(key))
            return pipe.execute()[-1]

        return _loads(self._call(pipelined))

    def add(self, key: str, value: JsonObject, ttl: int) -> bool:
        _check_ttl(ttl)
        text = json.dumps(value)
        stored = self._call(lambda: self._client.set(self._key(key), text, ex=ttl, nx=True))
        return bool(stored)

    def get(self, key: str) -> JsonObject | None:
        text = self._call(lambda: self._client.get(self._key(key)))
        return _loads(text)

    def take(self, key: str) -> JsonObject | None:
        text = self._call(lambda: self._client.getdel(self._key(key)))
        return _loads(text)

    def take_and_get(self, key: str, other: str) -> tuple[JsonObject | None, JsonObject | None]:
        def pipelined() -> list[Any]:
            pipe = self._client.pipeline(transaction=False)  # keys may be on different nodes
            pipe.getdel(self._key(key))
            pipe.get(self._key(other))
            return cast(list[Any], pipe.execute())

        taken, text = self._call(pipelined)
        return _loads(taken), _loads(text)

    def delete(self, key: str) -> None:
        self._call(lambda: self._client.delete(self._key(key)))

    def incr(self, key: str, ttl: int) -> int:
        _check_ttl(ttl)
        count = self._call(lambda: self._incr_with_ttl(keys=[self._key(key)], args=[ttl]))
        return int(count)

    def decr(self, key: str) -> int:
        count = self._call(lambda: self._decr_live(keys=[self._key(key)]))
        return int(count)

    def incr_and_get(self, counter: str, ttl: int, key: str) -> tuple[int, JsonObject | None]:
        _check_ttl(ttl)

        def pipelined() -> list[Any]:
            pipe = self._client.pipeline(transaction=False)  # keys may be on different nodes
            # By name: a cluster pipeline's ``eval`` method is not the command.
            pipe.execute_command("EVAL", _INCR_WITH_TTL, 1, self._key(counter), ttl)
            pipe.get(self._key(key))
            return cast(list[Any], pipe.execute())

        count, text = self._call(pipelined)
        return int(count), _loads(text)

    def write_batch(
        self, put: Sequence[Put] = (), delete: Sequence[str] = (), decr: str | None = None
    ) -> None:
        self._write(put, delete, decr)

    def _texts(self, items: Sequence[Put]) -> list[tuple[str, str, int]]:
        """The values as (prefixed key, JSON text, ttl), once every ttl is checked (nothing
        stored when one is bad)."""
        for _key, _value, ttl in items:
            _check_ttl(ttl)
        return [(self._key(key), json.dumps(value), ttl) for key, value, ttl in items]

    def _write(self, put: Sequence[Put], delete: Sequence[str], decr: str | None) -> None:
        texts = self._texts(put)

        def pipelined() -> None:
            pipe = self._client.pipeline(transaction=False)  # keys may be on different nodes
            _set_all(pipe, texts)
            for key in delete:
                pipe.delete(self._key(key))
            if decr is not None:
                pipe.execute_command("EVAL", _DECR_LIVE, 1, self._key(decr))
            pipe.execute()

        self._call(pipelined)

    def ttl(self, key: str) -> int | None:
        seconds = int(self._call(lambda: self._client.ttl(self._key(key))))
        # -2: no such key; -1: a key without expiry, which this store never writes.
        return seconds if seconds >= 0 else None

    def ping(self) -> None:
        self._call(self._client.ping)

    def close(self) -> None:
        self._client.close()


def _loads(text: Any) -> JsonObject | None:
    if text is None:
        return None
    value: JsonObject = json.loads(cast(str, text))
    return value


def _set_all(pipe: Any, texts: Sequence[tuple[str, str, int]]) -> None:
    """Queue a ``SET ... EX`` for each of ``texts`` (``RedisStore._texts``) on ``pipe``."""
    for key, text, ttl in texts:
        pipe.set(key, text, ex=ttl)
