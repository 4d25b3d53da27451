"""Bounded waits towards PostgreSQL: no request waits for the database longer than a few seconds.

Three limits, each a setting (``database.*``, see docs/configuration.md), turn a slow or hung
server into an ``OperationalError`` or a pool ``TimeoutError``, which the app answers 503 with
``Retry-After``:

- connecting: libpq's ``connect_timeout`` (the TCP handshake, TLS and authentication);
- a statement: the server's ``statement_timeout``, which a live but slow server honours, and a
  client-side deadline a second longer (``BoundedConnection``), for a server that answers
  nothing at all (stopped, partitioned): every wait for the server (a query, a fetch, a commit,
  the pool's ping) is given up after it, the connection closed, and SQLAlchemy, seeing a closed
  connection, drops it from the pool. TCP keepalives and ``tcp_user_timeout`` do not help
  there: the peer's kernel still acknowledges what is sent to a stopped process;
- a free pooled connection: ``pool_timeout``.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import psycopg
from psycopg import errors
from sqlalchemy import Connection, Engine, event, text

RV = TypeVar("RV")

#: How much longer the client waits than the server's ``statement_timeout``: the server's own
#: cancellation, which keeps the connection usable, comes first when the server is alive.
CLIENT_MARGIN = 1.0


@dataclass(frozen=True)
class Waits:
    """Seconds the bridge waits for PostgreSQL."""

    connect: int = 3
    statement: int = 5
    pool: int = 5

    @property
    def answer(self) -> float:
        """The client-side deadline of any one wait for the server's answer."""
        return self.statement + CLIENT_MARGIN

    def engine_options(self) -> dict[str, Any]:
        """``create_engine`` options for a PostgreSQL engine."""
        return {
            "pool_timeout": self.pool,
            "connect_args": {
                "connect_timeout": self.connect,
                "options": f"-c statement_timeout={self.statement * 1000}",
            },
        }


class BoundedConnection(psycopg.Connection[Any]):
    """A psycopg connection none of whose waits for the server lasts longer than
    ``answer_within`` seconds; past it the connection is closed and ``OperationalError``
    raised."""

    answer_within: float | None = None

    def wait(
        self,
        gen: Generator[Any, Any, RV],
        interval: float = 0.1,
        timeout: float | None = None,
    ) -> RV:
        if timeout is not None or self.answer_within is None:
            return super().wait(gen, interval=interval, timeout=timeout)
        try:
            return super().wait(gen, interval=interval, timeout=self.answer_within)
        except errors._WaitTimeout as error:
            self.close()  # closed: SQLAlchemy invalidates it instead of reusing it
            raise psycopg.OperationalError(
                f"the database did not answer within {self.answer_within:g} s"
            ) from error


def bound_waits(engine: Engine, waits: Waits) -> None:
    """Make ``engine`` (PostgreSQL through psycopg) open ``BoundedConnection``s."""

    @event.listens_for(engine, "do_connect")
    def _connect(
        _dialect: Any, _record: Any, cargs: tuple[Any, ...], cparams: dict[str, Any]
    ) -> BoundedConnection:
        connection = BoundedConnection.connect(*cargs, **cparams)
        connection.answer_within = waits.answer
        return connection


@contextmanager
def unbounded(connection: Connection) -> Iterator[None]:
    """No statement limit on ``connection`` for the block (schema migrations), in its
    transaction; SQLite has none anyway."""
    raw = connection.connection.dbapi_connection
    if not isinstance(raw, BoundedConnection):
        yield
        return
    connection.execute(text("SET LOCAL statement_timeout = 0"))
    answer_within, raw.answer_within = raw.answer_within, None
    try:
        yield
    finally:
        raw.answer_within = answer_within
