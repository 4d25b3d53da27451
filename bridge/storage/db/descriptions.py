"""psycopg cursors that describe their result's columns only when asked (issue 16).

psycopg builds a ``Column`` for every column of a result each time ``cursor.description`` is
read (its name decoded, its type looked up: several microseconds each), and SQLAlchemy reads
it after every statement, although it only looks at the columns the first time a compiled
statement runs (later runs reuse the result metadata cached with the compiled statement) and
otherwise only asks whether there is a description. A login's statements return about 300
columns. ``LazyCursor.description`` is a sequence that builds the ``Column`` objects on first
use, from the result it was read for, so it answers exactly as psycopg's list would.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, overload

import psycopg
from psycopg import Column, pq
from sqlalchemy import Engine, event

_WITH_ROWS = (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.SINGLE_TUPLE, pq.ExecStatus.TUPLES_CHUNK)


class _ResultOf:
    """What ``Column`` reads of a cursor, with the result fixed to the one described."""

    __slots__ = ("_cursor", "pgresult")

    def __init__(self, cursor: psycopg.Cursor[Any], pgresult: pq.abc.PGresult) -> None:
        self._cursor = cursor
        self.pgresult = pgresult

    @property
    def _encoding(self) -> str:
        return self._cursor._encoding

    @property
    def adapters(self) -> Any:
        return self._cursor.adapters


class LazyDescription(Sequence[Column]):
    """``cursor.description``, its ``Column`` objects built on first use."""

    __slots__ = ("_columns", "_count", "_result")

    def __init__(self, result: _ResultOf, count: int) -> None:
        self._result = result
        self._count = count
        self._columns: list[Column] | None = None

    def _built(self) -> list[Column]:
        if self._columns is None:
            result: Any = self._result
            self._columns = [Column(result, index) for index in range(self._count)]
        return self._columns

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> Column: ...

    @overload
    def __getitem__(self, index: slice) -> list[Column]: ...

    def __getitem__(self, index: int | slice) -> Column | list[Column]:
        return self._built()[index]

    def __iter__(self) -> Iterator[Column]:
        return iter(self._built())

    def __eq__(self, other: object) -> bool:
        return self._built() == (list(other) if isinstance(other, LazyDescription) else other)

    __hash__ = None  # type: ignore[assignment]  # a list's: unhashable

    def __repr__(self) -> str:
        return repr(self._built())


class LazyCursor(psycopg.Cursor[Any]):
    """A client-side psycopg cursor whose ``description`` is a ``LazyDescription``."""

    @property
    def description(self) -> Sequence[Column] | None:  # type: ignore[override]
        result = self.pgresult
        # As psycopg's: columns when the result has fields or says it returned rows.
        if result and (result.nfields or result.status in _WITH_ROWS):
            return LazyDescription(_ResultOf(self, result), result.nfields)
        return None


def install(engine: Engine) -> None:
    """Open ``LazyCursor``s on every psycopg connection of ``engine``."""

    @event.listens_for(engine, "connect")
    def _lazy_cursors(dbapi_connection: Any, _record: Any) -> None:
        if isinstance(dbapi_connection, psycopg.Connection):
            dbapi_connection.cursor_factory = LazyCursor
