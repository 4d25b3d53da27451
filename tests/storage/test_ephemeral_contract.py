"""One contract, two stores: the in-process store and a real Redis behave the same."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import pytest
import redis

from bridge.domain.clock import FrozenClock
from bridge.storage.ephemeral import (
    EphemeralStore,
    EphemeralStoreUnavailable,
    MemoryStore,
    RedisStore,
    open_store,
)

T = TypeVar("T")
THREADS = 20


@dataclass
class Backend:
    store: EphemeralStore
    # Makes ``key`` (stored with ``ttl``) reach the end of its life, without sleeping.
    let_expire: Callable[[str, int], None]


def _memory(clock: FrozenClock) -> Iterator[Backend]:
    yield Backend(MemoryStore(clock), lambda _key, ttl: clock.advance(ttl))


def _redis(redis_url: str, prefix: str) -> Iterator[Backend]:
    store = RedisStore(redis_url, prefix)
    raw = redis.Redis.from_url(redis_url)

    def let_expire(key: str, ttl: int) -> None:
        # The server set the expiry from ``ttl``; then move the deadline into the past.
        assert 0 < raw.pttl(prefix + key) <= ttl * 1000
        raw.pexpireat(prefix + key, 1)

    yield Backend(store, let_expire)
    store.close()
    raw.close()


@pytest.fixture(params=["memory", "redis"])
def backend(request: pytest.FixtureRequest, clock: FrozenClock) -> Iterator[Backend]:
    if request.param == "memory":
        yield from _memory(clock)
    else:
        yield from _redis(
            request.getfixturevalue("redis_url"), request.getfixturevalue("redis_prefix")
        )


@pytest.fixture
def store(backend: Backend) -> EphemeralStore:
    return backend.store


def _all_at_once(action: Callable[[], T]) -> list[T]:
    """Run ``action`` in THREADS threads released together."""
    barrier = threading.Barrier(THREADS)

    def run() -> T:
        barrier.wait()
        return action()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(run) for _ in range(THREADS)]
        return [future.result() for future in futures]


def test_a_stored_value_reads_back(store: EphemeralStore) -> None:
    store.put("flow", {"step": 2, "amr": ["pwd"]}, ttl=60)
    assert store.get("flow") == {"step": 2, "amr": ["pwd"]}


def test_put_replaces_an_older_value(store: EphemeralStore) -> None:
    store.put("flow", {"step": 1}, ttl=60)
    store.put("flow", {"step": 2}, ttl=60)
    assert store.get("flow") == {"step": 2}


def test_an_absent_key_reads_as_none(store: EphemeralStore) -> None:
    assert store.get("nothing") is None


def test_a_value_is_gone_once_its_ttl_has_passed(backend: Backend) -> None:
    backend.store.put("code", {"user": "u1"}, ttl=30)
    backend.let_expire("code", 30)
    assert backend.store.get("code") is None
    assert backend.store.take("code") is None
    assert backend.store.ttl("code") is None


def test_a_value_lives_until_its_ttl_has_passed(clock: FrozenClock) -> None:
    store = MemoryStore(clock)
    store.put("code", {"user": "u1"}, ttl=30)
    clock.advance(29.9)
    assert store.get("code") == {"user": "u1"}
    clock.advance(0.1)
    assert store.get("code") is None


def test_a_returned_value_is_a_copy(store: EphemeralStore) -> None:
    store.put("flow", {"amr": ["pwd"]}, ttl=60)
    value = store.get("flow")
    assert value is not None
    value["amr"].append("otp")
    assert store.get("flow") == {"amr": ["pwd"]}


def test_add_stores_only_when_the_key_is_absent(store: EphemeralStore) -> None:
    assert store.add("state", {"n": 1}, ttl=60) is True
    assert store.add("state", {"n": 2}, ttl=60) is False
    assert store.get("state") == {"n": 1}


def test_add_succeeds_again_once_the_old_value_expired(backend: Backend) -> None:
    backend.store.add("state", {"n": 1}, ttl=60)
    backend.let_expire("state", 60)
    assert backend.store.add("state", {"n": 2}, ttl=60) is True


def test_of_twenty_concurrent_adds_exactly_one_stores(store: EphemeralStore) -> None:
    results = _all_at_once(lambda: store.add("jti", {"seen": True}, ttl=60))
    assert results.count(True) == 1


def test_take_returns_the_value_and_removes_it(store: EphemeralStore) -> None:
    store.put("code", {"user": "u1"}, ttl=60)
    assert store.take("code") == {"user": "u1"}
    assert store.take("code") is None
    assert store.get("code") is None


def test_of_twenty_concurrent_takers_exactly_one_gets_the_value(store: EphemeralStore) -> None:
    store.put("code", {"user": "u1"}, ttl=60)
    results = _all_at_once(lambda: store.take("code"))
    assert [r for r in results if r is not None] == [{"user": "u1"}]


def test_take_and_get_takes_one_value_and_reads_another(store: EphemeralStore) -> None:
    store.put("flow", {"step": 3}, ttl=100)
    store.put("nonce", {}, ttl=100)
    assert store.take_and_get("flow", "nonce") == ({"step": 3}, {})
    assert store.get("flow") is None and store.get("nonce") == {}  # only the first is taken
    assert store.take_and_get("flow", "absent") == (None, None)


def test_of_twenty_concurrent_take_and_gets_exactly_one_takes(store: EphemeralStore) -> None:
    store.put("flow", {"step": 3}, ttl=100)
    results = _all_at_once(lambda: store.take_and_get("flow", "nonce"))
    assert sorted(str(taken) for taken, _ in results) == ["None"] * 19 + ["{'step': 3}"]


def test_incr_starts_a_counter_at_one(store: EphemeralStore) -> None:
    assert store.incr("failures", ttl=60) == 1
    assert store.incr("failures", ttl=60) == 2


def test_incr_sets_the_ttl_on_the_first_increment_only(store: EphemeralStore) -> None:
    store.incr("failures", ttl=100)
    store.incr("failures", ttl=1000)
    ttl = store.ttl("failures")
    assert ttl is not None
    assert 0 < ttl <= 100


def test_a_counter_starts_again_once_its_window_expired(backend: Backend) -> None:
    backend.store.incr("failures", ttl=60)
    backend.store.incr("failures", ttl=60)
    backend.let_expire("failures", 60)
    assert backend.store.incr("failures", ttl=60) == 1


def test_decr_takes_one_off_a_live_counter_and_keeps_its_window(store: EphemeralStore) -> None:
    store.incr("slots", ttl=100)
    store.incr("slots", ttl=100)
    assert store.decr("slots") == 1
    ttl = store.ttl("slots")
    assert ttl is not None and 0 < ttl <= 100
    assert store.decr("slots") == 0
    assert store.decr("slots") == 0  # never below zero


def test_decr_of_an_absent_counter_creates_nothing(backend: Backend) -> None:
    assert backend.store.decr("slots") == 0
    assert backend.store.ttl("slots") is None
    backend.store.incr("slots", ttl=60)
    backend.let_expire("slots", 60)
    assert backend.store.decr("slots") == 0
    assert backend.store.incr("slots", ttl=60) == 1


def test_put_many_stores_each_value_with_its_own_ttl(backend: Backend) -> None:
    store = backend.store
    store.put("code", {"old": True}, ttl=60)
    store.put_many([("code", {"n": 1}, 60), ("nonce", {}, 3600)])
    assert store.get("code") == {"n": 1} and store.get("nonce") == {}
    backend.let_expire("code", 60)
    assert store.get("code") is None and store.get("nonce") == {}
    store.put_many([])


def test_put_many_refuses_a_ttl_below_one_second(store: EphemeralStore) -> None:
    with pytest.raises(ValueError, match="ttl"):
        store.put_many([("a", {}, 60), ("b", {}, 0)])
    assert store.get("a") is None  # nothing stored


def test_put_many_and_get_stores_the_values_then_reads_the_key(backend: Backend) -> None:
    store = backend.store
    store.put("mark", {"at": 1}, ttl=60)
    assert store.put_many_and_get([("token", {"n": 1}, 60), ("claims", {}, 3600)], "mark") == {
        "at": 1
    }
    assert store.get("token") == {"n": 1} and store.get("claims") == {}
    backend.let_expire("token", 60)
    assert store.get("token") is None and store.get("claims") == {}
    assert store.put_many_and_get([], "absent") is None


def test_put_many_and_get_reads_a_key_it_just_wrote(store: EphemeralStore) -> None:
    assert store.put_many_and_get([("token", {"n": 2}, 60)], "token") == {"n": 2}


def test_put_many_and_get_refuses_a_ttl_below_one_second(store: EphemeralStore) -> None:
    with pytest.raises(ValueError, match="ttl"):
        store.put_many_and_get([("a", {}, 60), ("b", {}, 0)], "a")
    assert store.get("a") is None  # nothing stored


def test_write_batch_deletes_the_keys_and_takes_one_off_the_counter(
    store: EphemeralStore,
) -> None:
    store.incr("failures:a", ttl=100)
    store.put("failures:b", {"n": 1}, ttl=100)
    store.incr("slots", ttl=100)
    store.incr("slots", ttl=100)
    store.write_batch(delete=["failures:a", "failures:b", "never-there"], decr="slots")
    assert store.get("failures:b") is None and store.ttl("failures:a") is None
    assert store.incr("failures:a", ttl=100) == 1  # counting starts again
    ttl = store.ttl("slots")
    assert ttl is not None and 0 < ttl <= 100  # the window stays
    assert store.incr("slots", ttl=100) == 2


def test_write_batch_never_creates_a_counter_nor_goes_below_zero(backend: Backend) -> None:
    store = backend.store
    store.write_batch(decr="slots")
    assert store.ttl("slots") is None
    store.incr("slots", ttl=60)
    store.write_batch(decr="slots")
    store.write_batch(decr="slots")
    assert store.incr("slots", ttl=60) == 1
    backend.let_expire("slots", 60)
    store.write_batch(delete=["slots-too"], decr="slots")
    assert store.ttl("slots") is None


def test_write_batch_without_a_counter_only_deletes(store: EphemeralStore) -> None:
    store.incr("failures", ttl=60)
    store.incr("slots", ttl=60)
    store.write_batch(delete=["failures"])
    assert store.ttl("failures") is None
    assert store.incr("slots", ttl=60) == 2


def test_write_batch_puts_each_value_with_its_ttl_then_deletes_and_decrements(
    store: EphemeralStore,
) -> None:
    store.incr("failures", ttl=60)
    store.incr("slots", ttl=60)
    store.incr("slots", ttl=60)
    store.write_batch(
        put=[("flow", {"step": 2}, 100), ("session", {"user": "u1"}, 3600)],
        delete=["failures"],
        decr="slots",
    )
    assert store.get("flow") == {"step": 2} and store.get("session") == {"user": "u1"}
    flow_ttl, session_ttl = store.ttl("flow"), store.ttl("session")
    assert flow_ttl is not None and 90 < flow_ttl <= 100
    assert session_ttl is not None and 3590 < session_ttl <= 3600
    assert store.ttl("failures") is None
    assert store.incr("slots", ttl=60) == 2


def test_write_batch_refuses_a_ttl_below_one_second_and_writes_nothing(
    store: EphemeralStore,
) -> None:
    store.incr("failures", ttl=60)
    with pytest.raises(ValueError, match="ttl"):
        store.write_batch(put=[("a", {}, 60), ("b", {}, 0)], delete=["failures"])
    assert store.get("a") is None and store.ttl("failures") is not None


def test_incr_and_get_counts_and_reads_in_one_call(store: EphemeralStore) -> None:
    store.put("flow", {"step": 1}, ttl=100)
    assert store.incr_and_get("slots", 60, "flow") == (1, {"step": 1})
    assert store.incr_and_get("slots", 60, "absent") == (2, None)
    ttl = store.ttl("slots")
    assert ttl is not None and 0 < ttl <= 60  # the window starts with the first increment


def test_incr_and_get_starts_a_new_window_once_the_old_one_expired(backend: Backend) -> None:
    store = backend.store
    store.incr_and_get("slots", 60, "flow")
    store.incr_and_get("slots", 60, "flow")
    backend.let_expire("slots", 60)
    assert store.incr_and_get("slots", 60, "flow") == (1, None)


def test_incr_and_get_refuses_a_ttl_below_one_second(store: EphemeralStore) -> None:
    with pytest.raises(ValueError, match="ttl"):
        store.incr_and_get("slots", 0, "flow")
    assert store.ttl("slots") is None


def test_twenty_threads_incrementing_ten_times_count_exactly_200(store: EphemeralStore) -> None:
    results = _all_at_once(lambda: [store.incr("hits", ttl=60) for _ in range(10)])
    assert sorted(n for batch in results for n in batch) == list(range(1, 201))


def test_ttl_reports_the_seconds_left(backend: Backend) -> None:
    backend.store.put("session", {"u": 1}, ttl=120)
    ttl = backend.store.ttl("session")
    assert ttl is not None
    assert 118 <= ttl <= 120


def test_ttl_counts_down_with_the_clock(clock: FrozenClock) -> None:
    store = MemoryStore(clock)
    store.put("session", {"u": 1}, ttl=120)
    clock.advance(100)
    assert store.ttl("session") == 20


def test_ttl_of_an_absent_key_is_none(store: EphemeralStore) -> None:
    assert store.ttl("nothing") is None


def test_delete_removes_a_value(store: EphemeralStore) -> None:
    store.put("session", {"u": 1}, ttl=60)
    store.delete("session")
    assert store.get("session") is None


def test_deleting_an_absent_key_is_not_an_error(store: EphemeralStore) -> None:
    store.delete("nothing")


@pytest.mark.parametrize("ttl", [0, -5])
def test_a_ttl_below_one_second_is_refused(store: EphemeralStore, ttl: int) -> None:
    with pytest.raises(ValueError, match="ttl"):
        store.put("k", {}, ttl=ttl)


def test_ping_succeeds_when_the_store_is_reachable(store: EphemeralStore) -> None:
    store.ping()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize(
    "operation",
    [
        lambda s: s.ping(),
        lambda s: s.put("k", {}, 60),
        lambda s: s.add("k", {}, 60),
        lambda s: s.get("k"),
        lambda s: s.take("k"),
        lambda s: s.delete("k"),
        lambda s: s.incr("k", 60),
        lambda s: s.ttl("k"),
        lambda s: s.incr_and_get("k", 60, "flow"),
        lambda s: s.take_and_get("k", "nonce"),
        lambda s: s.write_batch(put=[("k", {}, 60)], decr="slots"),
    ],
    ids=[
        "ping",
        "put",
        "add",
        "get",
        "take",
        "delete",
        "incr",
        "ttl",
        "incr_and_get",
        "take_and_get",
        "batch",
    ],
)
def test_an_unreachable_redis_raises_ephemeral_store_unavailable(
    operation: Callable[[EphemeralStore], object],
) -> None:
    store = RedisStore(f"redis://127.0.0.1:{_closed_port()}/0", "bridge-test:")
    with pytest.raises(EphemeralStoreUnavailable, match="unavailable"):
        operation(store)
    store.close()


def test_open_store_builds_the_memory_store(clock: FrozenClock) -> None:
    assert isinstance(open_store("memory", clock=clock), MemoryStore)


def test_open_store_builds_the_redis_store(redis_url: str, redis_prefix: str) -> None:
    store = open_store("redis", redis_url=redis_url, prefix=redis_prefix)
    assert isinstance(store, RedisStore)
    store.ping()


def test_open_store_needs_a_url_for_redis() -> None:
    with pytest.raises(ValueError, match="redis_url"):
        open_store("redis")


def test_open_store_refuses_an_unknown_backend() -> None:
    with pytest.raises(ValueError, match="unknown"):
        open_store("memcached")  # type: ignore[arg-type]
