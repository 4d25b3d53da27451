"""Migration 0016 (client lifecycle, issue 14): every client registered before it stays
enabled, and a client can be disabled after it."""

from __future__ import annotations

from sqlalchemy import text

from bridge.storage.db.engine import Database


def test_clients_registered_before_the_migration_stay_enabled(empty_url: str) -> None:
    database = Database(empty_url)
    try:
        database.upgrade("0015_unique_email")
        with database.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO clients (id, name, secret_hash, public, redirect_uris,"
                    " post_logout_redirect_uris, scope, created_at, kind) VALUES ('c1', 'CRM',"
                    " NULL, true, '[\"https://crm.example.com/cb\"]', '[]', 'openid',"
                    " '2026-01-01 00:00:00+00', 'relying_party')"
                )
            )
        database.upgrade()
        with database.engine.begin() as connection:
            assert not connection.execute(text("SELECT disabled FROM clients")).scalar_one()
            connection.execute(text("UPDATE clients SET disabled = true WHERE id = 'c1'"))
            assert bool(connection.execute(text("SELECT disabled FROM clients")).scalar_one())
    finally:
        database.dispose()
