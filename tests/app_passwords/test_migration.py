"""Migration 0010_app_passwords on a database that already holds organisations."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from bridge.storage.db.engine import Database


def test_upgrading_from_0009_allows_app_passwords_in_every_organisation(sqlite_url: str) -> None:
    database = Database(sqlite_url)
    database.upgrade("0009_imported_passwords")
    with database.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO organisations (id, slug, name, kind, mode, created_at, mfa_enforced,"
                " on_disable, trusted_browsers_enabled, trusted_browser_days,"
                " lockout_password_failures, lockout_code_failures, lockout_action, sso_enabled,"
                " sso_domains) VALUES ('o1', 'acme', 'Acme', 'standalone', 'production',"
                " '2026-01-01 00:00:00', 0, 'keep', 1, 30, 5, 3, 'lock', 0, '[]')"
            )
        )
    database.upgrade()
    with database.engine.connect() as connection:
        allowed = connection.execute(text("SELECT app_passwords_allowed FROM organisations"))
        assert allowed.scalar_one() in (1, True)
        assert connection.execute(text("SELECT count(*) FROM app_passwords")).scalar_one() == 0
    database.dispose()


@pytest.mark.postgres("the migration runs on PostgreSQL too")
def test_the_app_passwords_table_exists_after_upgrade(database: Database) -> None:
    with database.session() as session:
        assert session.execute(text("SELECT count(*) FROM app_passwords")).scalar_one() == 0
        assert (
            session.execute(
                text("SELECT count(*) FROM organisations WHERE app_passwords_allowed")
            ).scalar_one()
            == 0
        )
