"""Migration 0012 (issue 13): a language for each person and a default for each organisation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import text

from bridge.storage.db.engine import Database

ALICE = (
    "INSERT INTO users (id, username, email_verified, disabled, created_at, updated_at) "
    "VALUES ('u1', 'alice', false, false, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
)
ACME = (
    "INSERT INTO organisations (id, slug, name, kind, mode, created_at, mfa_enforced, "
    "on_disable, trusted_browsers_enabled, trusted_browser_days, lockout_password_failures, "
    "lockout_code_failures, lockout_action, sso_enabled, sso_domains) VALUES ('o1', 'acme', "
    "'Acme', 'standalone', 'production', '2026-01-01 00:00:00', false, 'keep', true, 30, 5, 3, "
    "'lock', false, '[]')"
)


@pytest.fixture
def empty_database(empty_url: str) -> Iterator[Database]:
    """A database with no schema yet, on each dialect."""
    database = Database(empty_url)
    yield database
    database.dispose()


def test_existing_people_and_organisations_have_no_language_until_they_choose(
    empty_database: Database,
) -> None:
    empty_database.upgrade("0011_api_clients")
    with empty_database.engine.begin() as connection:
        connection.execute(text(ALICE))
        connection.execute(text(ACME))
    empty_database.upgrade("0012")
    with empty_database.engine.begin() as connection:
        assert connection.execute(text("SELECT language FROM users")).scalar_one() is None
        connection.execute(text("UPDATE users SET language = 'de'"))
        default = connection.execute(text("SELECT default_language FROM organisations"))
        assert default.scalar_one() is None
    empty_database.upgrade()  # the later migrations apply over it
    assert empty_database.schema_problem() is None


def test_the_language_migration_can_be_undone_keeping_the_rows(
    empty_database: Database,
) -> None:
    empty_database.upgrade("0012")
    with empty_database.engine.begin() as connection:
        connection.execute(text(ALICE))
        connection.execute(text("UPDATE users SET language = 'de'"))
    config = empty_database.alembic_config()
    with empty_database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0011_api_clients")
    with empty_database.engine.connect() as connection:
        assert connection.execute(text("SELECT username FROM users")).scalar_one() == "alice"
        columns = connection.execute(text("SELECT * FROM users")).keys()
    assert "language" not in columns
