"""Fixtures for importing users: the account service on SQLite (and PostgreSQL where marked)."""

from __future__ import annotations

import pytest

from bridge.domain.clock import FrozenClock
from bridge.services.passwords import PasswordHasher
from bridge.services.users import UserService
from bridge.storage.db.engine import Database


@pytest.fixture
def users(database: Database, password_hasher: PasswordHasher, clock: FrozenClock) -> UserService:
    return UserService(database, password_hasher, clock)
