"""The unit of work: one transaction for many ``session()`` blocks, each still atomic."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from bridge.services.users import UserExists, UserService
from bridge.storage.db.engine import Database
from bridge.storage.db.models import User
from bridge.storage.db.reading import ReadOnlyBlock
from bridge.storage.db.unit import current_unit, unit_of_work, when_committed

pytestmark = pytest.mark.postgres(
    "savepoints inside one transaction behave per dialect", committed=True
)


def _usernames(database: Database) -> list[str]:
    with database.session() as session:
        return sorted(session.scalars(select(User.username)))


def test_blocks_inside_a_unit_commit_together_when_it_ends(users: UserService) -> None:
    with unit_of_work():
        users.create("ann", email="ann@example.org", password="correct horse")
        users.create("bob", email="bob@example.org", password="correct horse")
        assert [u.username for u in users.list()] == ["ann", "bob"]
    assert sorted(u.username for u in users.list()) == ["ann", "bob"]


def test_an_error_that_leaves_the_unit_rolls_back_every_block(
    users: UserService, database: Database
) -> None:
    def create_two_then_fail() -> None:
        with unit_of_work():
            users.create("ann", email="ann@example.org", password="correct horse")
            users.create("bob", email="bob@example.org", password="correct horse")
            raise RuntimeError("after both blocks ended")

    with pytest.raises(RuntimeError):
        create_two_then_fail()
    assert _usernames(database) == []


def test_an_error_caught_inside_the_unit_undoes_only_its_own_block(
    users: UserService, database: Database
) -> None:
    users.create("ann", email="ann@example.org", password="correct horse")
    with unit_of_work():
        users.create("bob", email="bob@example.org", password="correct horse")
        with pytest.raises(UserExists):
            users.create("ann", email="other@example.org", password="correct horse")
        users.create("cid", email="cid@example.org", password="correct horse")
    assert _usernames(database) == ["ann", "bob", "cid"]


def test_a_failed_first_block_does_not_take_later_blocks_with_it(
    database: Database, users: UserService
) -> None:
    def write_then_fail() -> None:
        with database.session() as session:
            now = datetime.now(UTC)
            session.add(User(id="u-gone", username="gone", created_at=now, updated_at=now))
            session.flush()
            raise ZeroDivisionError

    with unit_of_work():
        with pytest.raises(ZeroDivisionError):
            write_then_fail()
        users.create("kept", email="kept@example.org", password="correct horse")
    assert _usernames(database) == ["kept"]


def test_what_waits_for_the_commit_runs_after_it_and_never_after_a_rollback() -> None:
    ran: list[str] = []
    with unit_of_work():
        when_committed(lambda: ran.append("committed"))
        assert ran == []
    assert ran == ["committed"]

    def wait_then_fail() -> None:
        with unit_of_work():
            when_committed(lambda: ran.append("rolled back"))
            raise RuntimeError

    with pytest.raises(RuntimeError):
        wait_then_fail()
    assert ran == ["committed"]
    when_committed(lambda: ran.append("no unit"))
    assert ran == ["committed", "no unit"]


def test_the_unit_is_bound_to_its_context_only_while_it_runs() -> None:
    assert current_unit() is None
    with unit_of_work() as unit:
        assert current_unit() is unit
    assert current_unit() is None


def test_a_reading_block_sees_the_units_writes_and_keeps_them(
    users: UserService, database: Database
) -> None:
    with unit_of_work():
        users.create("ann", email="ann@example.org", password="correct horse")
        with database.reading() as session:
            assert session.scalars(select(User.username)).all() == ["ann"]
        users.create("bob", email="bob@example.org", password="correct horse")
    assert _usernames(database) == ["ann", "bob"]


def test_an_error_in_a_reading_block_leaves_the_units_writes_alone(
    users: UserService, database: Database
) -> None:
    def read_then_fail() -> None:
        with database.reading() as session:
            session.scalars(select(User.username)).all()
            raise ZeroDivisionError

    with unit_of_work():
        users.create("ann", email="ann@example.org", password="correct horse")
        with pytest.raises(ZeroDivisionError):
            read_then_fail()
        users.create("bob", email="bob@example.org", password="correct horse")
    assert _usernames(database) == ["ann", "bob"]


def test_a_reading_block_refuses_to_write(users: UserService, database: Database) -> None:
    def add_in_a_reading_block() -> None:
        with database.reading() as session:
            now = datetime.now(UTC)
            session.add(User(id="u-sly", username="sly", created_at=now, updated_at=now))

    def update_in_a_reading_block() -> None:
        with database.reading() as session:
            session.execute(update(User).values(name="sly"))

    with unit_of_work():
        users.create("ann", email="ann@example.org", password="correct horse")
        with pytest.raises(ReadOnlyBlock):
            add_in_a_reading_block()
        with pytest.raises(ReadOnlyBlock):
            update_in_a_reading_block()
    assert _usernames(database) == ["ann"]
    assert users.get(users.find("ann").id).name != "sly"  # type: ignore[union-attr]
