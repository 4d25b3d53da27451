"""The durable store: connections, transactions and a schema that matches the models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import IntegrityError, StatementError

from bridge.storage.db import pool
from bridge.storage.db.engine import Database, normalise_url
from bridge.storage.db.models import Base, TotpCredential, User

pytestmark = pytest.mark.postgres(
    "the storage contract holds on both dialects; transactions are the subject, so real commits",
    committed=True,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _user(user_id: str = "u1", username: str = "alice") -> User:
    return User(id=user_id, username=username, created_at=NOW, updated_at=NOW)


def test_the_migrated_schema_matches_the_models(database: Database) -> None:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_upgrade_twice_is_harmless(database: Database) -> None:
    database.upgrade()
    head = ScriptDirectory.from_config(database.alembic_config()).get_current_head()
    with database.engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
    assert database.schema_problem() is None


def test_a_session_commits_when_the_block_succeeds(database: Database) -> None:
    with database.session() as session:
        session.add(_user())
    with database.session() as session:
        assert session.get(User, "u1") is not None


def test_a_session_rolls_back_when_the_block_raises(database: Database) -> None:
    def add_then_fail() -> None:
        with database.session() as session:
            session.add(_user())
            session.flush()
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        add_then_fail()
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0


def test_objects_stay_readable_after_commit(database: Database) -> None:
    with database.session() as session:
        user = _user()
        session.add(user)
    assert user.username == "alice"


def test_foreign_keys_are_enforced(database: Database) -> None:
    with pytest.raises(IntegrityError), database.session() as session:
        session.add(
            TotpCredential(
                id="c1",
                user_id="nobody",
                secret_ciphertext="x",
                algorithm="SHA1",
                digits=6,
                period=30,
                created_at=NOW,
            )
        )


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(sqlite_url: str) -> None:
    database = Database(sqlite_url)
    with database.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    database.dispose()


def test_the_directory_of_a_sqlite_file_is_created(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'a' / 'b' / 'bridge.sqlite3'}")
    database.upgrade()
    database.dispose()
    assert (tmp_path / "a" / "b" / "bridge.sqlite3").is_file()


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_a_plain_postgresql_url_means_psycopg_3(scheme: str) -> None:
    assert normalise_url(f"{scheme}://u@h/db").drivername == "postgresql+psycopg"


def test_an_explicit_driver_is_kept() -> None:
    assert normalise_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"


def test_timestamps_read_back_as_aware_utc(database: Database) -> None:
    berlin = timezone(timedelta(hours=1))
    with database.session() as session:
        session.add(
            User(
                id="u1",
                username="alice",
                created_at=datetime(2026, 1, 1, 13, 0, tzinfo=berlin),
                updated_at=NOW,
            )
        )
    with database.session() as session:
        user = session.get_one(User, "u1")
    assert user.created_at == datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert user.created_at.tzinfo == UTC


def test_a_naive_timestamp_is_refused(database: Database) -> None:
    with pytest.raises(StatementError, match="naive datetime"), database.session() as session:
        session.add(User(id="u1", username="a", created_at=datetime(2026, 1, 1), updated_at=NOW))


def test_a_postgresql_connection_dropped_while_idle_is_replaced_at_check_out(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pool, "IDLE_PING_SECONDS", 0.0)
    database = Database(postgres_url)
    admin = create_engine(normalise_url(postgres_url))
    try:
        with database.engine.connect() as connection:
            pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with admin.connect() as connection:  # the server drops the pooled connection
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with database.session() as session:
            assert session.scalar(text("SELECT pg_backend_pid()")) != pid
    finally:
        admin.dispose()
        database.dispose()
