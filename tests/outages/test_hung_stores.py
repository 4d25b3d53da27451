"""A store that answers nothing (SIGSTOP of a throwaway server) costs a request a bounded wait
and a 503 with ``Retry-After``, never a hung worker; the bridge recovers on its own once the
server runs again (SIGCONT). Discovery, the JWKS and static files need neither store.

The bounds asserted are generous (the measured ones are in docs/storage.md): what is tested
is that a request ends, not how fast a loaded machine is."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from bridge.domain.clock import FrozenClock
from bridge.services.container import Services
from bridge.storage.db.engine import Database
from bridge.storage.db.waits import Waits
from tests.bridges import make_services
from tests.e2e.harness import Browser, LiveBridge, RelyingParty, first_tokens, serve
from tests.outages.servers import ThrowawayPostgres, ThrowawayRedis

#: Far above the configured waits (2 s here; about 6 s for Redis), far below "hung".
BOUND = 20.0
#: What a request that needs no store may take while one is hung.
NO_STORE_BOUND = 2.0
SHORT_WAITS = {
    "BRIDGE_DATABASE__CONNECT_TIMEOUT": "2",
    "BRIDGE_DATABASE__STATEMENT_TIMEOUT": "2",
    "BRIDGE_DATABASE__POOL_TIMEOUT": "2",
}


def timed(call: Any, *args: Any, **kwargs: Any) -> tuple[requests.Response, float]:
    started = time.monotonic()
    response = call(*args, **kwargs)
    return response, time.monotonic() - started


def assert_unavailable_within_bound(response: requests.Response, took: float) -> None:
    assert response.status_code == 503, response.text[:300]
    assert response.headers["Retry-After"] == "5"
    assert took < BOUND, f"the request took {took:.1f} s"


@pytest.fixture(scope="module")
def cluster() -> Iterator[ThrowawayPostgres]:
    server = ThrowawayPostgres()
    server.start()
    database = Database(server.url)
    database.upgrade()
    database.dispose()
    yield server
    server.close()


@pytest.fixture
def on_cluster(cluster: ThrowawayPostgres, tmp_path: Path) -> Iterator[LiveBridge]:
    """A bridge on the throwaway cluster (short waits) and the in-process store."""
    database = Database(cluster.url, waits=Waits(connect=2, statement=2, pool=2))

    def factory(issuer: str) -> tuple[Services, FrozenClock]:
        clock = FrozenClock(time.time())
        data = tmp_path / "data"
        return make_services(issuer, database, data, clock, extra=SHORT_WAITS), clock

    try:
        with serve(factory, real_http=False) as bridge:
            yield bridge
    finally:
        cluster.resume()
        database.dispose()


def assert_served_without_stores(live: LiveBridge) -> None:
    for path in ("/.well-known/openid-configuration", "/jwks", "/static/bridge.css"):
        response, took = timed(requests.get, live.url + path)
        assert response.status_code == 200, (path, response.status_code)
        assert took < NO_STORE_BOUND, f"{path} took {took:.1f} s"
    assert requests.get(live.url + "/jwks").json() == live.services.keys.jwks()


def test_a_hung_database_is_answered_503_within_the_bound_and_recovered_from(
    on_cluster: LiveBridge, cluster: ThrowawayPostgres
) -> None:
    client_id, secret = on_cluster.add_client()
    rp = RelyingParty(on_cluster.url, client_id, secret, now=on_cluster.clock)
    _request, tokens = first_tokens(on_cluster, rp, Browser(), "ada")
    cluster.pause()
    for _ in range(2):  # the pooled connection's wait, then a new connection's
        assert_unavailable_within_bound(*timed(rp.refresh, tokens["refresh_token"]))
    assert_served_without_stores(on_cluster)

    cluster.resume()
    refreshed = rp.refresh(tokens["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text


def test_no_free_pooled_connection_is_answered_503_after_the_pool_timeout(
    on_cluster: LiveBridge,
) -> None:
    client_id, secret = on_cluster.add_client()
    rp = RelyingParty(on_cluster.url, client_id, secret, now=on_cluster.clock)
    engine = on_cluster.services.db.engine
    held = [engine.connect() for _ in range(15)]  # the pool's 5 and its overflow of 10
    try:
        assert_unavailable_within_bound(*timed(rp.refresh, "not-a-token"))
    finally:
        for connection in held:
            connection.close()
    assert rp.refresh("not-a-token").json()["error"] == "invalid_grant"


@pytest.fixture
def on_redis(
    tmp_path: Path, database: Database, throwaway_redis: ThrowawayRedis
) -> Iterator[LiveBridge]:
    def factory(issuer: str) -> tuple[Services, FrozenClock]:
        clock = FrozenClock(time.time())
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

    try:
        with serve(factory, real_http=False) as bridge:
            yield bridge
    finally:
        throwaway_redis.resume()


def test_a_hung_redis_is_answered_503_within_the_bound_and_recovered_from(
    on_redis: LiveBridge, throwaway_redis: ThrowawayRedis
) -> None:
    client_id, secret = on_redis.add_client()
    rp = RelyingParty(on_redis.url, client_id, secret, now=on_redis.clock)
    _request, tokens = first_tokens(on_redis, rp, Browser(), "ada")
    throwaway_redis.pause()
    assert_unavailable_within_bound(*timed(rp.userinfo, tokens["access_token"]))
    # The JWKS asks Redis whether a new key signs (one wait, within the bound), then not
    # again for a while: no token can be issued while Redis is down.
    jwks, took = timed(requests.get, on_redis.url + "/jwks")
    assert jwks.status_code == 200 and took < BOUND
    assert_served_without_stores(on_redis)

    throwaway_redis.resume()
    assert rp.userinfo(tokens["access_token"]).status_code == 200
