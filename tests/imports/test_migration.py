"""Migration 0009_imported_passwords on a database that already holds users."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from bridge.storage.db.engine import Database


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[str]:
    """A database with no schema yet: a SQLite file, or a PostgreSQL database of its own."""
    if request.param == "sqlite":
        yield sqlite_url
        return
    admin_url: URL = request.getfixturevalue("postgres_admin_url")
    name = f"bridge_migration_{secrets.token_hex(6)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrading_from_0008_keeps_users_and_marks_no_password_imported(empty_url: str) -> None:
    database = Database(empty_url)
    database.upgrade("0008")
    with database.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (id, username, password_hash, email_verified, disabled,"
                " created_at, updated_at) VALUES ('u1', 'alice', '$argon2id$x', false, false,"
                " :now, :now)"
            ),
            {"now": "2026-01-01 00:00:00+00:00"},
        )
    database.upgrade()
    with database.engine.connect() as connection:
        row = connection.execute(
            text("SELECT username, password_hash, password_imported_at FROM users")
        ).one()
        assert tuple(row) == ("alice", "$argon2id$x", None)
    config = database.alembic_config()
    with database.engine.begin() as connection:  # and back down
        config.attributes["connection"] = connection
        command.downgrade(config, "0008")
    with database.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM users")).scalar_one() == 1
    database.dispose()
