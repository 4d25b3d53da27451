"""PostgreSQL failover with a libpq multi-host URL (slow: starts its own primary and streaming
standby; marked ``ha``, run by ``make test``).

The bridge is given both hosts with ``target_session_attrs=read-write``. The primary is stopped
and the standby promoted: the requests in flight and those until the promotion get 503 (never
a 500, nothing half-written); SQLAlchemy drops the dead pooled connections (``pool_pre_ping``
and its disconnect handling), libpq skips the old primary and the read-only standby until it
is promoted, and the bridge serves again without a restart. What is lost: with asynchronous
streaming, transactions the old primary committed but had not sent (here the test waits until
the standby has replayed everything, as synchronous replication or Patroni's
``maximum_lag_on_failover`` would ensure)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from bridge.domain.clock import FrozenClock
from bridge.storage.db.engine import Database
from tests.bridges import make_services
from tests.e2e.harness import Browser, RelyingParty, first_tokens, serve
from tests.ha.servers import PostgresCluster, primary_and_standby

pytestmark = pytest.mark.ha("starts its own PostgreSQL primary and streaming standby")


def multi_host_url(primary: PostgresCluster, standby: PostgresCluster) -> str:
    return (
        f"postgresql://postgres@127.0.0.1:{primary.port},127.0.0.1:{standby.port}/postgres"
        "?target_session_attrs=read-write&connect_timeout=2"
    )


def replayed(primary: PostgresCluster, standby: PostgresCluster) -> bool:
    engine = create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{primary.port}/postgres")
    try:
        with engine.connect() as connection:
            lsn = connection.execute(text("SELECT pg_current_wal_lsn()")).scalar()
    finally:
        engine.dispose()
    engine = create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{standby.port}/postgres")
    try:
        with engine.connect() as connection:
            return bool(
                connection.execute(
                    text("SELECT pg_last_wal_replay_lsn() >= CAST(:lsn AS pg_lsn)"), {"lsn": lsn}
                ).scalar()
            )
    finally:
        engine.dispose()


def test_the_bridge_follows_a_promoted_standby_without_a_restart(
    tmp_path: Path, redis_url: str, redis_prefix: str
) -> None:
    with primary_and_standby() as (primary, standby):
        database = Database(multi_host_url(primary, standby))
        database.upgrade()
        clock = FrozenClock(time.time())

        def factory(issuer: str) -> tuple[object, FrozenClock]:
            services = make_services(
                issuer,
                database,
                tmp_path / "data",
                clock,
                backend="redis",
                redis_url=redis_url,
                redis_prefix=redis_prefix,
            )
            return services, clock

        with serve(factory) as live:
            client_id, secret = live.add_client()
            rp = RelyingParty(live.url, client_id, secret, now=live.clock)
            _, tokens = first_tokens(live, rp, Browser(), "ada")
            deadline = time.monotonic() + 30
            while not replayed(primary, standby):
                assert time.monotonic() < deadline, "the standby did not catch up"
                time.sleep(0.1)

            primary.stop()  # the primary dies; its pooled connections are dead
            answers = [_refresh(rp, tokens)]  # refused: no primary yet
            assert answers[0].status_code == 503, answers[0].text
            standby.ctl("promote", "-w")

            deadline = time.monotonic() + 30
            while answers[-1].status_code != 200:
                assert answers[-1].status_code == 503, answers[-1].text  # never a 500
                assert time.monotonic() < deadline, "the bridge did not reconnect"
                time.sleep(0.2)
                answers.append(_refresh(rp, tokens))
            # The grant written before the failover is there; new writes go to the new primary.
            rotated = answers[-1].json()
            assert _refresh(rp, rotated).status_code == 200
            _, again = first_tokens(live, rp, Browser(), "bob")
            assert again["id_token"]
            assert requests.get(live.url + "/health/ready").status_code == 200
        database.dispose()


def _refresh(rp: RelyingParty, tokens: dict[str, str]) -> requests.Response:
    return rp.refresh(tokens["refresh_token"])
