"""An imported password works as it is, and the first successful login makes it argon2id."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from bridge.services.foreign_passwords import from_crypt_string
from bridge.services.users import UserService
from bridge.storage.db.engine import Database
from bridge.storage.db.models import User
from tests.imports.hashes import authelia_pbkdf2

pytestmark = pytest.mark.postgres("the conditional upgrade is an UPDATE on both dialects")

PASSWORD = "original password"
IMPORTED_AT = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def imported(database: Database) -> User:
    user = User(
        id=uuid.uuid4().hex,
        username="imogen",
        password_hash=from_crypt_string(authelia_pbkdf2(PASSWORD)).stored,
        password_imported_at=IMPORTED_AT,
        created_at=IMPORTED_AT,
        updated_at=IMPORTED_AT,
    )
    with database.session() as session:
        session.add(user)
    return user


def test_the_original_password_signs_in_and_is_upgraded_to_argon2id(
    users: UserService, imported: User
) -> None:
    check = users.check_password("imogen", PASSWORD)
    assert check.user_id == imported.id
    row = users.get(imported.id)
    assert row is not None
    assert row.password_hash is not None
    assert row.password_hash.startswith("$argon2id$")
    assert row.password_imported_at is None
    assert users.check_password("imogen", PASSWORD).user_id == imported.id


def test_a_wrong_password_leaves_the_imported_hash(users: UserService, imported: User) -> None:
    check = users.check_password("imogen", "not the password")
    assert check.user_id is None
    assert check.reason == "wrong_password"
    row = users.get(imported.id)
    assert row is not None
    assert row.password_hash == imported.password_hash
    assert row.password_imported_at == IMPORTED_AT


def test_setting_a_password_ends_the_imported_one(users: UserService, imported: User) -> None:
    users.set_password("imogen", "a brand new password")
    row = users.get(imported.id)
    assert row is not None
    assert row.password_imported_at is None
    assert users.check_password("imogen", PASSWORD).user_id is None
