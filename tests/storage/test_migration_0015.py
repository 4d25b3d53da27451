"""Migration 0015: e-mail addresses become unique (case-insensitively) among accounts with a
password where no two share one; where some do, it reports them instead of failing and leaves the
index out. An account without a password (made for an upstream identity) may share an address."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bridge.services.email_addresses import EmailAddresses, EmailsShared
from bridge.storage.db.engine import Database

INSERT = text(
    "INSERT INTO users (id, username, email, email_verified, disabled, created_at, updated_at,"
    " mfa_required, mfa_reenrol, service_account, password_hash)"
    " VALUES (:id, :id, :email, false, false, '2026-01-01 00:00:00+00',"
    " '2026-01-01 00:00:00+00', false, false, false, 'a-hash')"
)
WITHOUT_PASSWORD = text(
    "INSERT INTO users (id, username, email, email_verified, disabled, created_at, updated_at,"
    " mfa_required, mfa_reenrol, service_account)"
    " VALUES (:id, :id, :email, false, false, '2026-01-01 00:00:00+00',"
    " '2026-01-01 00:00:00+00', false, false, false)"
)


def _migrated_with(url: str, emails: dict[str, str | None]) -> Database:
    database = Database(url)
    database.upgrade("0014_password_resets")
    with database.engine.begin() as connection:
        for user, email in emails.items():
            connection.execute(INSERT, {"id": user, "email": email})
    database.upgrade()
    return database


def test_distinct_addresses_become_unique(empty_url: str) -> None:
    database = _migrated_with(empty_url, {"ada": "Ada@example.com", "bob": None, "cy": None})
    try:
        emails = EmailAddresses(database)
        assert emails.unique() and emails.shared() == []
        with pytest.raises(IntegrityError), database.engine.begin() as connection:
            connection.execute(INSERT, {"id": "eve", "email": "ADA@EXAMPLE.COM"})
        with database.engine.begin() as connection:  # an upstream identity's account: no password
            connection.execute(WITHOUT_PASSWORD, {"id": "fed", "email": "ada@example.com"})
        assert emails.shared() == []
    finally:
        database.dispose()


def test_shared_addresses_are_reported_not_fatal_and_unique_once_resolved(
    empty_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    database = _migrated_with(
        empty_url, {"ada": "Ada@example.com", "bob": "ada@EXAMPLE.com", "cy": "cy@example.com"}
    )
    try:
        assert "shared by several accounts" in caplog.text and "ada@example.com" in caplog.text
        emails = EmailAddresses(database)
        assert not emails.unique()
        [shared] = emails.shared()
        assert (shared.address, shared.usernames) == ("ada@example.com", ("ada", "bob"))
        with pytest.raises(EmailsShared, match=r"ada@example\.com"):
            emails.make_unique()
        with database.engine.begin() as connection:
            connection.execute(text("UPDATE users SET email = 'bob@example.com' WHERE id = 'bob'"))
        assert emails.make_unique() is True
        assert emails.unique() and emails.make_unique() is False
    finally:
        database.dispose()
