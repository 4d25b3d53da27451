"""The durable store's connection: one ``Database`` per process, shared by every service.

Services open ``Database.session()`` blocks; inside a unit of work (``bridge.storage.db.unit``: one
per
HTTP request and per CLI command) those blocks share the unit's one transaction.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, Engine, Executable, create_engine, text
from sqlalchemy.engine import URL, CursorResult, Result, Row, make_url
from sqlalchemy.orm import Session, sessionmaker

from bridge.storage.db import descriptions, pool, sqlite
from bridge.storage.db.hosts import multi_host_url
from bridge.storage.db.reading import ReadingSession
from bridge.storage.db.revisions import code_heads, database_heads
from bridge.storage.db.unit import current_unit
from bridge.storage.db.waits import Waits, bound_waits, unbounded

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def normalise_url(url: str) -> URL:
    """Parse ``url``; a bare ``postgresql://`` (or ``postgres://``) URL means psycopg 3; libpq's
    several hosts (``db1:5432,db2:5432``) are read as ``host=`` parameters (``hosts``)."""
    parsed = make_url(multi_host_url(url))
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def affected_rows(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE run through ``Session.execute`` matched."""
    return cast(CursorResult[Any], result).rowcount


@dataclass(frozen=True)
class Written:
    """What a write (``Database.execute``) did: the rows it matched, what it returned."""

    rowcount: int
    rows: Sequence[Row[Any]]

    @classmethod
    def of(cls, result: CursorResult[Any]) -> Written:
        rows = result.all() if result.returns_rows else ()
        return cls(result.rowcount, rows)


class Database:
    """An engine, a session factory and the schema migrations for one database URL."""

    def __init__(self, url: str, *, waits: Waits | None = None) -> None:
        """``waits`` bounds every wait for PostgreSQL (``bridge.storage.db.waits``); the
        defaults apply when None. SQLite waits only for its own lock (``busy_timeout``)."""
        self.url = normalise_url(url)
        if self.url.get_backend_name() == "sqlite":
            database = self.url.database
            if database and database != ":memory:" and not database.startswith("file:"):
                Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = create_engine(self.url)
            sqlite.install(self.engine)
        else:
            waits = waits or Waits()
            # No ping per check-out: only connections idle for a while (storage/db/pool.py).
            self.engine = create_engine(
                self.url, pool_recycle=pool.POOL_RECYCLE_SECONDS, **waits.engine_options()
            )
            bound_waits(self.engine, waits)
            pool.install(self.engine)
            descriptions.install(self.engine)
        self._sessions = sessionmaker(bind=self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose changes are kept when the block ends and undone when it raises.

        Outside a unit of work the block is a transaction of its own. Inside one it is a
        savepoint in the unit's transaction, in a session of its own (objects it returns are
        detached, as before): see ``bridge.storage.db.unit`` for why.
        """
        unit = current_unit()
        if unit is None:
            with self._sessions.begin() as session:
                yield session
            return
        connection = unit.connection(self.engine)
        with (
            Session(
                bind=connection,
                join_transaction_mode="create_savepoint",
                expire_on_commit=False,
            ) as session,
            session.begin(),
        ):
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A block that only reads: inside a unit of work it joins the unit's transaction
        without a savepoint (``bridge.storage.db.reading``); outside one it is ``session()``."""
        unit = current_unit()
        if unit is None:
            with self.session() as session:
                yield session
            return
        with ReadingSession(
            bind=unit.connection(self.engine),
            join_transaction_mode="rollback_only",
            autoflush=False,
            expire_on_commit=False,
        ) as session:
            yield session
            session.check_unchanged()

    def fetch(
        self, statement: Executable, params: Mapping[str, Any] | None = None
    ) -> Sequence[Row[Any]]:
        """The rows of a SELECT (with its bound ``params``), run as Core on the unit's
        connection: no ``Session``, no savepoint (issue 16: a session's execution costs more
        CPU than the statement). Outside a unit of work, in a ``session()`` block's
        transaction (its connection)."""
        unit = current_unit()
        if unit is None:
            with self.session() as session:
                return session.connection().execute(statement, params).all()
        return unit.connection(self.engine).execute(statement, params).all()

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """A connection for Core statements that are kept together or undone together: a
        savepoint of the unit's transaction (as a ``session()`` block), outside a unit the
        connection of a ``session()`` block. No ``Session`` inside a unit: see ``fetch``."""
        unit = current_unit()
        if unit is None:
            with self.session() as session:
                yield session.connection()
            return
        connection = unit.connection(self.engine)
        with connection.begin_nested():
            yield connection

    def execute(self, statement: Executable, params: Mapping[str, Any] | None = None) -> Written:
        """One INSERT, UPDATE or DELETE whose failure fails the request: in the unit's
        transaction without a savepoint (two round trips fewer on PostgreSQL), outside a unit
        in a transaction of its own. Nothing may catch its error and carry on in the unit: on
        PostgreSQL a failed statement ends the transaction, which the request then rolls back
        (as every request does that ends with an error). For a change whose failure a caller
        handles, use ``session()``, ``writing()`` or ``run()``."""
        unit = current_unit()
        if unit is None:
            with self.writing() as connection:
                return Written.of(connection.execute(statement, params))
        return Written.of(unit.connection(self.engine).execute(statement, params))

    def run(self, *statements: Executable) -> list[CursorResult[Any]]:
        """Run INSERT/UPDATE/DELETE statements together (``writing``)."""
        with self.writing() as connection:
            return [connection.execute(statement) for statement in statements]

    def commit_now(self) -> None:
        """Inside a unit of work, commit what it did so far and go on in a new transaction;
        outside one, every block has committed already and this does nothing."""
        unit = current_unit()
        if unit is not None:
            unit.commit_now(self.engine)

    def alembic_config(self) -> Config:
        """An Alembic configuration built in code: no ``alembic.ini`` on disk."""
        from alembic.config import Config  # only to migrate: a serving process needs no Alembic

        config = Config()
        # Config values go through configparser interpolation: a "%" must be doubled.
        config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
        url = self.url.render_as_string(hide_password=False)
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
        return config

    def upgrade(self, revision: str = "head") -> None:
        """Migrate the schema to ``revision`` (the newest by default)."""
        from alembic import command

        config = self.alembic_config()
        # A migration may take long: no statement limit.
        with self.engine.begin() as connection, unbounded(connection):
            config.attributes["connection"] = connection
            command.upgrade(config, revision)

    def schema_problem(self) -> str | None:
        """Why the schema is not the newest the code knows, or None when it is (read without
        Alembic: ``bridge.storage.db.revisions``)."""
        heads = code_heads(MIGRATIONS / "versions")
        with self.engine.connect() as connection:
            current = database_heads(connection)
        if current == heads:
            return None
        found = ", ".join(sorted(current)) or "no schema"
        return (
            f"the database has {found}, this version of the bridge needs "
            f"{', '.join(sorted(heads))}: run `bridge db upgrade`"
        )

    def ping(self) -> None:
        """Raise ``OperationalError`` when the database cannot be reached."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()
