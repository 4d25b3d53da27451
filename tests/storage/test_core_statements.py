"""Core statements on the unit's connection (``Database.fetch``, ``writing``, ``run``) and the
detached objects built from their rows: the hot reads and writes of a login (issue 16)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import DetachedInstanceError

from bridge.services.users import UserService
from bridge.storage.db.engine import Database
from bridge.storage.db.models import User
from bridge.storage.db.rows import Shape, columns_of, detached
from bridge.storage.db.unit import unit_of_work

pytestmark = pytest.mark.postgres(
    "savepoints inside one transaction behave per dialect", committed=True
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _name_of(database: Database, user_id: str) -> str | None:
    rows = database.fetch(select(User.name).where(User.id == user_id))
    return rows[0].name if rows else None


def test_a_read_inside_a_unit_sees_what_an_earlier_block_of_it_wrote(
    users: UserService, database: Database
) -> None:
    ann = users.create("ann", email="ann@example.org", password="correct horse")
    with unit_of_work():
        database.run(update(User).where(User.id == ann.id).values(name="Ann"))
        assert _name_of(database, ann.id) == "Ann"
    assert _name_of(database, ann.id) == "Ann"


def test_writes_of_a_unit_that_fails_are_rolled_back(
    users: UserService, database: Database
) -> None:
    ann = users.create("ann", email="ann@example.org", password="correct horse")

    def fail_after_writing() -> None:
        with unit_of_work():
            database.run(update(User).where(User.id == ann.id).values(name="Ann"))
            raise RuntimeError("the request failed")

    with pytest.raises(RuntimeError):
        fail_after_writing()
    assert _name_of(database, ann.id) is None


def test_a_failed_writing_block_undoes_only_its_own_statements(
    users: UserService, database: Database
) -> None:
    ann = users.create("ann", email="ann@example.org", password="correct horse")
    same_id = {"id": ann.id, "username": "ann-again", "disabled": False}

    def rename_then_insert_a_duplicate() -> None:
        with database.writing() as connection:
            connection.execute(update(User).where(User.id == ann.id).values(name="lost"))
            connection.execute(insert(User).values(**same_id, created_at=NOW, updated_at=NOW))

    with unit_of_work():
        database.run(update(User).where(User.id == ann.id).values(name="Ann"))
        with pytest.raises(IntegrityError):
            rename_then_insert_a_duplicate()
        # The unit's transaction is still usable (PostgreSQL would refuse every statement).
        assert _name_of(database, ann.id) == "Ann"
    assert _name_of(database, ann.id) == "Ann"


def test_a_detached_object_from_a_row_updates_its_row_when_added_to_a_session(
    users: UserService, database: Database
) -> None:
    ann = users.create("ann", email="ann@example.org", password="correct horse")
    (row,) = database.fetch(select(*columns_of(User)).where(User.id == ann.id))
    read = detached(User, row)
    assert (read.id, read.username, read.email) == (ann.id, "ann", "ann@example.org")
    read.name = "Ann"
    with database.session() as session:
        session.add(read)
    assert _name_of(database, ann.id) == "Ann"
    with database.session() as session:
        assert session.scalars(select(User.username)).all() == ["ann"]


def test_an_object_of_some_columns_refuses_the_others_until_a_session_loads_them(
    users: UserService, database: Database
) -> None:
    ann = users.create("ann", email="ann@example.org", password="correct horse")
    shape = Shape(User, ("id", "username"))
    (row,) = database.fetch(select(*shape.columns("u_")).where(User.id == ann.id))
    read = shape.detached(row, "u_")
    assert (read.id, read.username) == (ann.id, "ann")
    with pytest.raises(DetachedInstanceError):
        _ = read.email  # never a wrong None for a column the statement did not read
    with database.session() as session:
        session.add(read)
        assert read.email == "ann@example.org"


def test_a_shape_must_read_the_primary_key() -> None:
    with pytest.raises(ValueError, match="primary key"):
        Shape(User, ("username",))
