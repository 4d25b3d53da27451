"""Migration 0002 on a database that already holds users, clients and grants."""

from __future__ import annotations

from sqlalchemy import text

from bridge.storage.db.engine import Database


def test_upgrading_from_0001_keeps_every_row_and_gives_defaults(sqlite_url: str) -> None:
    database = Database(sqlite_url)
    database.upgrade("0001")
    now = "2026-01-01 00:00:00"
    with database.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (id, username, email_verified, disabled, created_at, updated_at)"
                " VALUES ('u1', 'alice', 0, 0, :now, :now)"
            ),
            {"now": now},
        )
        connection.execute(
            text(
                "INSERT INTO clients (id, name, public, redirect_uris, post_logout_redirect_uris,"
                " scope, created_at) VALUES ('c1', 'App', 0, '[]', '[]', 'openid', :now)"
            ),
            {"now": now},
        )
        connection.execute(
            text(
                "INSERT INTO grants (id, client_id, user_id, scope, amr, auth_time, created_at)"
                " VALUES ('g1', 'c1', 'u1', 'openid', '[]', 0, :now)"
            ),
            {"now": now},
        )
    database.upgrade()
    with database.engine.connect() as connection:
        user = connection.execute(
            text("SELECT mfa_required, service_account, locked_at FROM users")
        ).one()
        assert tuple(user) == (0, 0, None)
        assert connection.execute(text("SELECT org_id FROM clients")).scalar_one() is None
        assert connection.execute(text("SELECT count(*) FROM grants")).scalar_one() == 1
    database.dispose()
