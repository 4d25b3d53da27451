"""psycopg cursors describe their columns only when asked (issue 16), exactly as psycopg's
own description would."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy.engine import make_url

from bridge.storage.db.descriptions import LazyCursor
from bridge.storage.db.engine import Database


@pytest.fixture
def connection(postgres_url: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    url = make_url(postgres_url).set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False)) as connection:
        yield connection


def test_the_bridge_opens_lazy_cursors_on_postgresql(postgres_url: str) -> None:
    database = Database(postgres_url)
    try:
        raw = database.engine.raw_connection()
        try:
            assert isinstance(raw.cursor(), LazyCursor)
        finally:
            raw.close()
    finally:
        database.dispose()


def _described(
    connection: psycopg.Connection[tuple[object, ...]], factory: type[psycopg.Cursor], query: str
) -> list[tuple[object, ...]] | None:
    connection.cursor_factory = factory
    cursor = connection.cursor()
    cursor.execute(query)
    described = cursor.description
    if described is None:
        return None
    return [tuple(column) for column in described]


@pytest.mark.parametrize(
    "query",
    [
        "SELECT 1 AS one, 'a'::text AS letter, now() AS at, NULL::numeric(5, 2) AS amount",
        "SELECT",  # rows, no columns
        "SELECT 1 WHERE false",
        "CREATE TEMPORARY TABLE scratch (id integer)",  # no rows at all
    ],
)
def test_a_lazy_description_says_what_psycopg_says(
    connection: psycopg.Connection[tuple[object, ...]], query: str
) -> None:
    assert _described(connection, LazyCursor, query) == _described(
        connection, psycopg.Cursor, query.replace("scratch", "scratch_two")
    )


def test_a_description_read_late_describes_its_own_result(
    connection: psycopg.Connection[tuple[object, ...]],
) -> None:
    connection.cursor_factory = LazyCursor
    cursor = connection.cursor()
    cursor.execute("SELECT 1 AS first")
    described = cursor.description
    cursor.execute("SELECT 2 AS second, 3 AS third")
    assert described is not None
    assert [column.name for column in described] == ["first"]
