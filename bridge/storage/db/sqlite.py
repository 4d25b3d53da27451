"""SQLite transaction control for the unit of work.

The ``sqlite3`` driver's legacy mode emits ``BEGIN`` only before the first INSERT, UPDATE or
DELETE and never before ``SAVEPOINT``; a savepoint opened before that ``BEGIN`` starts a
transaction of its own, which its ``RELEASE`` commits (SQLAlchemy's SQLite documentation,
"Incorrect behavior for SAVEPOINT"). The unit of work runs every block in a savepoint, so the
driver is put in autocommit mode and the transaction is driven here instead, keeping what the
legacy mode did well under concurrency:

- reads before the transaction's first write run in autocommit, as they always did: a request
  that only reads never takes SQLite's write lock;
- the first write emits ``BEGIN IMMEDIATE``, which waits for the write lock (``busy_timeout``)
  and holds it until the commit. A deferred ``BEGIN`` before the reads would instead fail at
  once with "database is locked" when another connection wrote after the reads began (WAL
  cannot upgrade a stale read snapshot), which concurrent logins would hit;
- a savepoint opened before that first write is not sent to SQLite: until then there is
  nothing to undo. Releasing it does nothing; rolling back to it after the transaction began
  inside it rolls back the whole transaction (all of which is that block's work), and the next
  write begins a new one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, event

SQLITE_BUSY_TIMEOUT_MS = 10_000

_STATE = "bridge_sqlite_transaction"
# Matched at the statement's start, not on copies of it (a login's statements run to 2 kB).
_SAVEPOINT = re.compile(r"\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT) (\S+)\s*$")
_READS = re.compile(r"\s*(SELECT|PRAGMA)", re.IGNORECASE)
_NOTHING = "-- (savepoint before the first write: nothing to do)"


@dataclass
class _Transaction:
    begun: bool = False  # BEGIN IMMEDIATE sent
    unsent: list[str] = field(default_factory=list)  # savepoints opened before it


def install(engine: Engine) -> None:
    """Drive the transactions of ``engine``'s SQLite connections as described above."""
    event.listen(engine, "connect", _configure)
    event.listen(engine, "begin", _begin)
    event.listen(engine, "commit", _end)
    event.listen(engine, "rollback", _end)
    event.listen(engine, "before_cursor_execute", _before_execute, retval=True)


def _configure(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # the driver emits no BEGIN of its own
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


def _begin(connection: Connection) -> None:
    connection.info[_STATE] = _Transaction()


def _end(connection: Connection) -> None:
    connection.info.pop(_STATE, None)


def _before_execute(
    connection: Connection,
    cursor: Any,
    statement: str,
    parameters: Any,
    _context: Any,
    _executemany: bool,
) -> tuple[str, Any]:
    transaction: _Transaction | None = connection.info.get(_STATE)
    if transaction is None:  # a connection used without a transaction: autocommit
        return statement, parameters
    savepoint = _SAVEPOINT.match(statement)
    if savepoint is not None:
        return _savepoint(transaction, savepoint[1], savepoint[2]), parameters
    if not transaction.begun and not _READS.match(statement):
        cursor.execute("BEGIN IMMEDIATE")
        transaction.begun = True
    return statement, parameters


def _savepoint(transaction: _Transaction, verb: str, name: str) -> str:
    """The statement to send for a savepoint command."""
    if verb == "SAVEPOINT":
        if transaction.begun:
            return f"SAVEPOINT {name}"
        transaction.unsent.append(name)
        return _NOTHING
    if name not in transaction.unsent:
        return f"{verb} {name}"
    del transaction.unsent[transaction.unsent.index(name) :]
    if verb == "ROLLBACK TO SAVEPOINT" and transaction.begun:
        transaction.begun = False
        return "ROLLBACK"
    return _NOTHING
