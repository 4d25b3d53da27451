"""Migration 0008: every organisation, existing ones included, starts with
``admin_reset_requires_verified_domain`` on (seed 002)."""

from __future__ import annotations

from sqlalchemy import text

from bridge.storage.db.engine import Database


def test_upgrading_from_0007_turns_the_policy_on_for_existing_organisations(
    empty_url: str,
) -> None:
    database = Database(empty_url)
    try:
        database.upgrade("0007")
        with database.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO organisations (id, slug, name, kind, mode, created_at,"
                    " mfa_enforced, on_disable, trusted_browsers_enabled, trusted_browser_days,"
                    " lockout_password_failures, lockout_code_failures, lockout_action,"
                    " sso_enabled, sso_domains) VALUES ('o1', 'acme', 'Acme', 'standalone',"
                    " 'production', '2026-01-01 00:00:00+00', false, 'keep', true, 30, 5, 3,"
                    " 'lock', false, '[]')"
                )
            )
        database.upgrade()
        with database.engine.connect() as connection:
            value = connection.execute(
                text("SELECT admin_reset_requires_verified_domain FROM organisations")
            ).scalar_one()
        assert bool(value) is True
    finally:
        database.dispose()
