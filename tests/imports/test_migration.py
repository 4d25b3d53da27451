"""Migration 0009_imported_passwords on a database that already holds users."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

from bridge.storage.db.engine import Database


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
