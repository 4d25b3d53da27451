"""Migration 0017: ``users.password_must_change`` (issue 14) is added off for every existing
account, and goes away again on downgrade with the accounts intact."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

from bridge.storage.db.engine import Database

INSERT = text(
    "INSERT INTO users (id, username, email, email_verified, disabled, created_at, updated_at,"
    " mfa_required, mfa_reenrol, service_account, password_hash)"
    " VALUES ('u1', 'ada', 'ada@example.com', false, false, '2026-01-01 00:00:00+00',"
    " '2026-01-01 00:00:00+00', false, false, false, 'a-hash')"
)


def test_existing_accounts_need_no_new_password(empty_url: str) -> None:
    database = Database(empty_url)
    try:
        database.upgrade("0016_client_life")
        with database.engine.begin() as connection:
            connection.execute(INSERT)
        database.upgrade()
        with database.engine.connect() as connection:
            value = connection.execute(
                text("SELECT password_must_change FROM users WHERE id = 'u1'")
            ).scalar_one()
        assert bool(value) is False
        config = database.alembic_config()
        with database.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0016_client_life")
        with database.engine.connect() as connection:
            assert connection.execute(text("SELECT username FROM users")).scalar_one() == "ada"
            columns = connection.execute(text("SELECT * FROM users")).keys()
        assert "password_must_change" not in columns
    finally:
        database.dispose()
