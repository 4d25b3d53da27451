"""A live bridge whose Redis is a throwaway server of the test's own, which a test kills in the
middle of a request (``crash_redis_on``) and starts again, or hangs with SIGSTOP."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bridge.domain.clock import FrozenClock
from bridge.services.container import Services
from bridge.storage.db.engine import Database
from tests.bridges import make_services
from tests.e2e.harness import LiveBridge, RelyingParty, serve
from tests.outages.servers import ThrowawayRedis

#: ``crash_redis_on(method, key_prefix)``: the next call of the store's ``method`` on a key
#: starting with ``key_prefix`` kills the server first, so that call (and the request making
#: it) meets a dead server; every call before it went through.
CrashRedisOn = Callable[[str, str], None]


@pytest.fixture
def throwaway_redis(tmp_path: Path) -> Iterator[ThrowawayRedis]:
    server = ThrowawayRedis(tmp_path / "redis")
    server.start()
    yield server
    server.close()


@pytest.fixture
def fragile(
    database: Database, throwaway_redis: ThrowawayRedis, tmp_path: Path
) -> Iterator[LiveBridge]:
    """A whole bridge (reached in-process) on ``database`` and the throwaway Redis."""
    clock = FrozenClock(time.time())

    def factory(issuer: str) -> tuple[Services, FrozenClock]:
        services = make_services(
            issuer,
            database,
            tmp_path / "data",
            clock,
            backend="redis",
            redis_url=throwaway_redis.url,
            redis_prefix="bridge:",
        )
        return services, clock

    with serve(factory, real_http=False) as bridge:
        yield bridge


@pytest.fixture
def fragile_rp(fragile: LiveBridge) -> RelyingParty:
    client_id, secret = fragile.add_client()
    return RelyingParty(fragile.url, client_id, secret, now=fragile.clock)


@pytest.fixture
def crash_redis_on(fragile: LiveBridge, throwaway_redis: ThrowawayRedis) -> CrashRedisOn:
    store: Any = fragile.services.store

    def arm(method: str, key_prefix: str) -> None:
        original = getattr(store, method)

        def crashing(first: Any, *args: Any, **kwargs: Any) -> Any:
            # A key, or (``put_many``, ``put_many_and_get``) a list of (key, value, ttl).
            keys = [first] if isinstance(first, str) else [item[0] for item in first]
            if any(key.startswith(key_prefix) for key in keys):
                setattr(store, method, original)  # once
                throwaway_redis.kill()
            return original(first, *args, **kwargs)

        setattr(store, method, crashing)

    return arm
