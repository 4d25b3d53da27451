"""Redis Sentinel and Redis Cluster, with real servers of the test's own (slow: each test starts
its own Redis processes; marked ``ha``, run by ``make test``).

The Sentinel test kills the master while people are signing in and shows logins go on once the
Sentinels have promoted the replica. What is lost, plainly: Redis replicates asynchronously, so
whatever the master acknowledged and had not yet sent to the replica is gone (a login in
progress starts again, a browser signs in again, a code just issued is ``invalid_grant``); on
loopback that window is a millisecond, so here the login in progress usually survives. While
the Sentinels agree (about the 1 s ``down-after-milliseconds`` plus the election) requests that
need the store get 503 and nobody signs in: the bridge fails closed."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pyotp
import pytest
import requests

from bridge.domain.clock import FrozenClock
from bridge.storage.db.engine import Database
from bridge.storage.ephemeral import EphemeralStoreUnavailable, RedisStore
from tests.bridges import make_services
from tests.e2e.harness import (
    PASSWORD,
    Browser,
    LiveBridge,
    Page,
    RelyingParty,
    callback_params,
    serve,
)
from tests.ha.servers import RedisProcesses, redis_processes, start_cluster, start_sentinel_setup

pytestmark = pytest.mark.ha("starts its own Redis master, replica and Sentinels, or a cluster")


@pytest.fixture
def redises(tmp_path: Path) -> Iterator[RedisProcesses]:
    with redis_processes(tmp_path / "redis") as started:
        yield started


Factory = Callable[[str], tuple[object, FrozenClock]]


def bridge_on(url: str, database: Database, tmp_path: Path) -> Factory:
    clock = FrozenClock(time.time())

    def factory(issuer: str) -> tuple[object, FrozenClock]:
        services = make_services(
            issuer,
            database,
            tmp_path / "data",
            clock,
            backend="redis",
            redis_url=url,
            redis_prefix="ha:",
        )
        return services, clock

    return factory


def enrolled(live: LiveBridge, username: str) -> str:
    user_id = live.add_user(username)
    offer = live.services.totp.start_enrolment(user_id, username)
    assert live.services.totp.confirm_enrolment(
        user_id, offer.credential_id, pyotp.TOTP(offer.secret).at(live.clock())
    )
    live.clock.advance(30)
    return offer.secret


def sign_in(live: LiveBridge, rp: RelyingParty, username: str, secret: str) -> bool:
    """One whole login; False when the bridge answered 503 or asked to start again."""
    browser = Browser()
    try:
        request = rp.authorization_request()
        page = browser.open(request.url)
        if not isinstance(page, Page) or page.title != "Sign in":
            return False
        page = browser.submit(username=username, password=PASSWORD)
        if not isinstance(page, Page) or "code" not in page.form_fields():
            return False
        live.clock.advance(30)
        landed = browser.submit(code=pyotp.TOTP(secret).at(live.clock()))
        if not isinstance(landed, str):
            return False
        tokens = rp.exchange(callback_params(landed)["code"], request.verifier)
        return tokens.status_code == 200
    except requests.RequestException:
        return False
    finally:
        browser.http.close()


def test_logins_go_on_after_the_sentinels_fail_the_master_over(
    redises: RedisProcesses, database: Database, tmp_path: Path
) -> None:
    setup = start_sentinel_setup(redises)
    with serve(bridge_on(setup.url(), database, tmp_path)) as live:
        client_id, secret = live.add_client()
        rp = RelyingParty(live.url, client_id, secret, now=live.clock)
        totp = enrolled(live, "ada")
        assert sign_in(live, rp, "ada", totp)

        # A login in progress: past the password, before the code.
        browser = Browser()
        request = rp.authorization_request()
        browser.open(request.url)
        page = browser.submit(username="ada", password=PASSWORD)
        assert isinstance(page, Page) and "code" in page.form_fields()

        redises.kill(setup.master)  # the master dies mid-login
        outcomes: list[bool] = []
        deadline = time.monotonic() + 60
        while not (outcomes and outcomes[-1]):
            assert time.monotonic() < deadline, f"no login succeeded after the failover: {outcomes}"
            outcomes.append(sign_in(live, rp, "ada", totp))
        assert setup.current_master() == setup.replica

        # Logins go on, one after another, on the promoted replica.
        assert all(sign_in(live, rp, "ada", totp) for _ in range(3))
        # The login in progress usually survives (its state had reached the replica); if the
        # master had not sent it yet, the browser is asked to sign in again, never let in.
        live.clock.advance(30)
        landed = browser.submit(code=pyotp.TOTP(totp).at(live.clock()))
        if isinstance(landed, str):
            tokens = rp.exchange(callback_params(landed)["code"], request.verifier)
            assert tokens.status_code == 200
        else:
            assert landed.title in ("Sign in", "Please sign in again"), landed.title
        browser.http.close()


def test_the_store_works_on_a_redis_cluster(redises: RedisProcesses) -> None:
    ports = start_cluster(redises)
    url = "redis+cluster://" + ",".join(f"127.0.0.1:{port}" for port in ports[:2])
    store = RedisStore(url, "cluster-test:")
    try:
        keys = [f"k{n}" for n in range(30)]  # spread over every master's slots
        for key in keys:
            store.put(key, {"value": key}, ttl=60)
        assert [store.get(key) for key in keys] == [{"value": key} for key in keys]
        assert store.add("k0", {"value": "other"}, ttl=60) is False
        assert store.take("k1") == {"value": "k1"} and store.get("k1") is None
        assert [store.incr("counter", ttl=60) for _ in range(3)] == [1, 2, 3]
        assert store.decr("counter") == 2
        assert 0 < (store.ttl("counter") or 0) <= 60
        # The pipelined calls: their keys live on different masters.
        store.put_many([(key, {"again": key}, 60) for key in keys])
        assert [store.get(key) for key in keys] == [{"again": key} for key in keys]
        store.write_batch(delete=keys, decr="counter")
        assert [store.get(key) for key in keys] == [None] * len(keys)
        assert store.incr("counter", ttl=60) == 2
        store.write_batch(put=[(key, {"third": key}, 60) for key in keys], decr="counter")
        assert [store.get(key) for key in keys] == [{"third": key} for key in keys]
        assert store.take_and_get(keys[0], keys[1]) == ({"third": keys[0]}, {"third": keys[1]})
        assert [store.incr_and_get("counter", 60, key) for key in keys[1:4]] == [
            (2 + n, {"third": key}) for n, key in enumerate(keys[1:4])
        ]
        store.ping()
    finally:
        store.close()


def test_an_unreachable_sentinel_set_is_a_store_outage(redises: RedisProcesses) -> None:
    from tests.ports import unused_port

    store = RedisStore(
        f"redis+sentinel://127.0.0.1:{unused_port()},127.0.0.1:{unused_port()}/bridge/0",
        "x:",
        socket_timeout=0.5,
        retries=0,
    )
    with pytest.raises(EphemeralStoreUnavailable):
        store.get("anything")
